/**
 * When a chain link is live, and why not: written once for every adapter. An adapter reads each
 * delegation with its task and both agents in one query and hands the rows here.
 */
import type { ChainFacts, ChainLinkStatus, TaskRecord } from "./store.ts";

/** A delegation joined to its task and its two agents, as an adapter's chain-status query returns it. */
export interface LinkFacts {
  readonly did: string;
  /** The delegation's task id. */
  readonly task: string;
  /** The delegation's revalidation interval, if one was recorded. */
  readonly rvi: number | null;
  readonly status: string;
  readonly revokedAt: number | null;
  readonly revokeReason: string | null;
  readonly revocationSeq: number | null;
  readonly taskStatus: string;
  readonly taskClosedAt: number | null;
  readonly taskCloseReason: string | null;
  readonly toStatus: string;
  readonly toDisabledAt: number | null;
  readonly toDisabledReason: string | null;
  /** Null on a root grant, which no agent delegated. */
  readonly fromStatus: string | null;
  readonly fromDisabledAt: number | null;
  readonly fromDisabledReason: string | null;
}

/** The status of each `did`, in the order given; a did with no row is `not_found`. */
export function linkStatuses(dids: readonly string[], found: Iterable<LinkFacts>): ChainLinkStatus[] {
  const rows = byDid(found);
  return dids.map((did) => linkStatusOf(did, rows.get(did)));
}

function byDid<Row extends LinkFacts>(found: Iterable<Row>): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const row of found) rows.set(row.did, row);
  return rows;
}

/**
 * The chain facts of `dids` from the rows an adapter read: each link's status, the task of the
 * first `did`'s row, which `taskOf` builds from that row (its query joined the task), and the last
 * `did`'s revalidation interval.
 */
export function chainFactsOf<Row extends LinkFacts>(
  dids: readonly string[],
  found: Iterable<Row>,
  taskOf: (row: Row) => TaskRecord | undefined,
): ChainFacts {
  const rows = byDid(found);
  const first = dids[0] === undefined ? undefined : rows.get(dids[0]);
  const last = dids.length === 0 ? undefined : rows.get(dids[dids.length - 1] as string);
  return {
    links: dids.map((did) => linkStatusOf(did, rows.get(did))),
    task: first === undefined ? undefined : taskOf(first),
    leaf: last === undefined ? undefined : { did: last.did, rvi: last.rvi },
  };
}

function linkStatusOf(did: string, row: LinkFacts | undefined): ChainLinkStatus {
  if (row === undefined) {
    return { did, live: false, problem: "not_found", since: null, reason: null, revocationSeq: null };
  }
  const notLive = (
    problem: "revoked" | "task_closed" | "agent_disabled",
    since: number | null,
    reason: string | null,
    revocationSeq: number | null = null,
  ): ChainLinkStatus => ({ did, live: false, problem, since, reason, revocationSeq });
  if (row.status !== "live") return notLive("revoked", row.revokedAt, row.revokeReason, row.revocationSeq);
  if (row.taskStatus !== "open") return notLive("task_closed", row.taskClosedAt, row.taskCloseReason);
  if (row.toStatus !== "active") return notLive("agent_disabled", row.toDisabledAt, row.toDisabledReason);
  if (row.fromStatus !== null && row.fromStatus !== "active") {
    return notLive("agent_disabled", row.fromDisabledAt, row.fromDisabledReason);
  }
  return { did, live: true };
}
