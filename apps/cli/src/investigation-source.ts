/**
 * Where investigation commands read the graph and the decision log: the running service
 * (operator endpoints) or a database file opened directly. Both give the same shapes, so
 * `trace`, `graph` and `decisions` render the same way whichever is used.
 */

import type { BatonOperator } from "@baton/client";
import { type Trace, traceOf } from "@baton/core";
import type { ApprovalRecord, DecisionPage, DecisionRecord, DelegationRecord, Store } from "@baton/store";
import { CliError } from "./cli-error.ts";
import { EXIT_CODES } from "./exit-codes.ts";

/** A delegation with everything around it, assembled as the service assembles it. */
export type { Trace } from "@baton/core";

/** A task's whole tree and its decisions. */
export interface TaskGraph {
  readonly task: string;
  /** Root first, then by depth. */
  readonly delegations: readonly DelegationRecord[];
  readonly decisions: readonly DecisionRecord[];
}

/** Filters and paging for the decision log. */
export interface DecisionFilter {
  readonly task?: string;
  readonly agent?: string;
  readonly did?: string;
  readonly path?: string;
  readonly limit: number;
  readonly cursor?: number;
  readonly order?: "newest" | "oldest";
}

/** Read access to the graph. */
export interface InvestigationSource {
  trace(did: string): Promise<Trace>;
  taskGraph(task: string): Promise<TaskGraph>;
  decisions(filter: DecisionFilter): Promise<DecisionPage>;
  approvals(status?: ApprovalRecord["status"]): Promise<readonly ApprovalRecord[]>;
}

/** Most decisions a task graph carries. */
const TRACE_DECISIONS = 1000;

function notFound(what: string): CliError {
  return new CliError(
    "not_found",
    `${what} does not exist: check the id (and --db or --url)`,
    EXIT_CODES.refused,
  );
}

/** Reads a database file (or an open store) directly. */
export function storeSource(store: Store): InvestigationSource {
  return {
    async trace(did) {
      const trace = await traceOf(store, did);
      if (trace === undefined) throw notFound(`delegation ${did}`);
      return trace;
    },
    async taskGraph(task) {
      if ((await store.getTask(task)) === undefined) throw notFound(`task ${task}`);
      return {
        task,
        delegations: await store.taskTree(task),
        decisions: (await store.queryDecisions({ task, limit: TRACE_DECISIONS })).items,
      };
    },
    async decisions(filter) {
      return await store.queryDecisions(filter);
    },
    async approvals(status) {
      return await store.listApprovals(status === undefined ? {} : { status });
    },
  };
}

/** Reads through the service's operator endpoints. */
export function serviceSource(operator: BatonOperator): InvestigationSource {
  const decisions = (filter: DecisionFilter): Promise<DecisionPage> => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filter))
      if (value !== undefined) query.set(name, String(value));
    return operator.request<DecisionPage>("GET", `/v1/decisions?${query}`);
  };
  const trace = (did: string) => operator.trace(did) as Promise<Trace>;
  return {
    trace,
    async taskGraph(task) {
      // The service has no task endpoint: the task's first decisions name its root grant, and
      // the root's trace holds the whole tree.
      const first = await decisions({ task, limit: 100, order: "oldest" });
      const grant = first.items.find((decision) => decision.kind === "grant" && decision.did !== null);
      if (grant?.did == null) throw notFound(`task ${task}`);
      const root = await trace(grant.did);
      return {
        task,
        delegations: [root.delegation, ...root.descendants],
        decisions: root.decisions,
      };
    },
    decisions,
    async approvals(status) {
      const page = (await operator.approvals(status)) as { items: ApprovalRecord[] };
      return page.items;
    },
  };
}
