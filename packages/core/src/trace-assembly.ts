/**
 * How a trace is assembled: the delegation, the path above it, everything below it, its token
 * versions, and the decisions about any of them. One definition for the service's
 * `GET /v1/delegations/{did}` and the CLI reading a database file directly.
 */
import type {
  DecisionRecord,
  DelegationRecord,
  Store,
  TokenRecord,
  WalkedDelegation,
} from "@baton/store/contract";

/** Decisions on a trace's first page (newest first); the rest page on by `path`. */
export const TRACE_PAGE = 100;

/** A delegation with everything around it, as `GET /v1/delegations/{did}` returns it. */
export interface Trace {
  readonly delegation: DelegationRecord;
  /** Root first, without the delegation itself. */
  readonly ancestors: readonly DelegationRecord[];
  readonly descendants: readonly WalkedDelegation[];
  readonly versions: readonly TokenRecord[];
  /** The first page of decisions about the delegation, its ancestors and its descendants, newest first. */
  readonly decisions: readonly DecisionRecord[];
  /** null when `decisions` holds every decision of the path; else the cursor of the next page. */
  readonly decisionsNext: number | null;
}

/** The trace of `did`, or undefined when the store does not know it. */
export async function traceOf(store: Store, did: string): Promise<Trace | undefined> {
  const delegation = await store.getDelegation(did);
  if (delegation === undefined) return undefined;
  const ancestors = (await store.ancestors(did)).filter((record) => record.did !== did);
  const descendants = await store.descendants(did);
  const versions = await store.tokenVersions(did);
  // The decisions about this delegation, the path above it and everything below it, by index:
  // no volume of other decisions in the task can push one of them out.
  const page = await store.queryDecisions({ path: did, limit: TRACE_PAGE });
  return { delegation, ancestors, descendants, versions, decisions: page.items, decisionsNext: page.next };
}
