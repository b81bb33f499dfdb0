/**
 * Where investigation commands read the graph and the decision log: the running service
 * (operator endpoints) or a database file opened directly. Both give the same shapes, so
 * `trace`, `graph` and `decisions` render the same way whichever is used.
 */

import type { BatonOperator } from "@baton/client";
import {
  allMatchingDecisions,
  type DecisionSearch,
  decisionById,
  EXPORT_LIMIT,
  type Explanation,
  explainDecision,
  explanationFactsOf,
  parseDecisionSearch,
  searchDecisions,
  type Trace,
  traceOf,
  UseCaseError,
  withHops,
} from "@baton/core";
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

/** A search of the decision log (the grammar is @baton/core's `parseDecisionSearch`). */
export interface DecisionSearchFilter {
  readonly q: string;
  readonly task?: string;
  readonly limit: number;
  readonly cursor?: number;
  readonly order?: "newest" | "oldest";
}

/** Read access to the graph. */
export interface InvestigationSource {
  trace(did: string): Promise<Trace>;
  taskGraph(task: string): Promise<TaskGraph>;
  decisions(filter: DecisionFilter): Promise<DecisionPage>;
  /** One page of the decisions matching a search. */
  search(filter: DecisionSearchFilter): Promise<DecisionPage>;
  /** Every decision matching a search, oldest first, up to the export limit. */
  searchAll(filter: Pick<DecisionSearchFilter, "q" | "task">): Promise<readonly DecisionRecord[]>;
  /** Why decision `id` was allowed or refused. */
  explain(id: number): Promise<Explanation>;
  approvals(status?: ApprovalRecord["status"]): Promise<readonly ApprovalRecord[]>;
}

/** Most decisions a task graph carries. */
const TRACE_DECISIONS = 1000;

/** A search the core refused (a bad time, an unclosed quote) as a usage error. */
function searchProblem(error: unknown): never {
  if (error instanceof UseCaseError) throw new CliError("invalid_search", error.message, EXIT_CODES.usage);
  throw error;
}

function notFound(what: string): CliError {
  return new CliError(
    "not_found",
    `${what} does not exist: check the id (and --db or --url)`,
    EXIT_CODES.refused,
  );
}

/** Reads a database file (or an open store) directly; `now` dates a search's ages (`since:2h`). */
export function storeSource(
  store: Store,
  now: () => number = () => Math.floor(Date.now() / 1000),
): InvestigationSource {
  const parse = (q: string): DecisionSearch => {
    try {
      return parseDecisionSearch(q, now());
    } catch (error) {
      return searchProblem(error);
    }
  };
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
      const page = await store.queryDecisions(filter);
      return { items: withHops(page.items), next: page.next };
    },
    async search({ q, ...rest }) {
      const page = await searchDecisions(store, { ...rest, search: parse(q) });
      return { items: withHops(page.items), next: page.next };
    },
    async searchAll({ q, task }) {
      return (await allMatchingDecisions(store, { search: parse(q), task })).items;
    },
    async explain(id) {
      const decision = await decisionById(store, id);
      if (decision === undefined) throw notFound(`decision ${id}`);
      return explainDecision(await explanationFactsOf(store, decision));
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
  const search = (filter: DecisionSearchFilter): Promise<DecisionPage> => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filter))
      if (value !== undefined) query.set(name, String(value));
    return operator.request<DecisionPage>("GET", `/v1/decisions?${query}`);
  };
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
    search,
    async searchAll({ q, task }) {
      // Page through the search and format here: the same rows, the same core formats.
      const found: DecisionRecord[] = [];
      let cursor: number | undefined;
      for (;;) {
        const page = await search({
          q,
          limit: 1000,
          order: "oldest",
          ...(task === undefined ? {} : { task }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        found.push(...page.items);
        if (page.next === null || found.length >= EXPORT_LIMIT) return found.slice(0, EXPORT_LIMIT);
        cursor = page.next;
      }
    },
    explain(id) {
      return operator.request<Explanation>("GET", `/v1/decisions/${id}/explanation`);
    },
    async approvals(status) {
      const page = (await operator.approvals(status)) as { items: ApprovalRecord[] };
      return page.items;
    },
  };
}
