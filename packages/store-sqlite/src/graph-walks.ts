/**
 * Graph walks as recursive CTEs over the indexed `parent` column (and the `task` and `to_agent`
 * indexes for their anchors): who let this agent do that, through whom, and what else they let
 * through.
 *
 * Each walk joins its CTE to `delegations` with CROSS JOIN, which SQLite reads as "this join order":
 * without it the planner may scan the whole table and probe the CTE, which on a million rows turns
 * a 500-row walk from a millisecond into a quarter of a second.
 */

import {
  type BlastRadius,
  blastRadiusOf,
  type DelegationRecord,
  type WalkedDelegation,
} from "@baton/store/adapter-kit";
import type Database from "better-sqlite3";
import {
  DELEGATION_COLUMNS,
  type DelegationRow,
  type DelegationValues,
  delegationFromValues,
  toDelegationRecord,
} from "./delegation-rows.ts";

/** Deeper than any chain can be (the token format caps depth at 64), so "no limit" stays finite. */
const UNLIMITED_DEPTH = 1_000_000;

/**
 * What an agent holds live and every live row below it, in one walk ordered by (depth, did): the
 * held rows are the ones it reaches that the agent holds. The walk follows integer keys (each
 * row's `node` and its parent's `parent_node`, migration 0006) through two partial indexes over
 * live rows alone, delegations_live_held_idx for the start and delegations_live_child_nodes_idx
 * for each step, and carries rowids, so each row it reaches is read from the table once, at the
 * end, and revoked rows are never read. Integer keys halve the walk against the text `did`s it
 * followed before. `union` keeps a row reached twice once (an agent holding a delegation below
 * another it holds, which issuance refuses but a hand-edited file could contain). Read in raw
 * mode: no object per row.
 */
export const BLAST_RADIUS = `
with recursive down(id, node) as (
  select rowid, node from delegations where to_agent = @agent and status = 'live'
  union
  select d.rowid, d.node from down cross join delegations d on d.parent_node = down.node where d.status = 'live'
)
select ${DELEGATION_COLUMNS} from down cross join delegations d on d.rowid = down.id
order by d.depth, d.did`;

/** Prepared graph walks for one connection. */
export interface GraphWalks {
  ancestors(did: string): DelegationRecord[];
  descendants(did: string, maxDepth: number | undefined, liveOnly: boolean): WalkedDelegation[];
  taskTree(task: string): DelegationRecord[];
  blastRadius(agent: string): BlastRadius;
  /** The first delegation on the path from `did` up to its root that `agent` holds, if any. */
  heldOnPath(did: string, agent: string): string | undefined;
}

/** Prepares the walks on `client`. */
export function prepareGraphWalks(client: Database.Database): GraphWalks {
  // The start row is distance 0; its parent 1, and so on up to the root.
  const ancestors = client.prepare<{ did: string }, DelegationRow>(`
with recursive up(did, parent, distance) as (
  select did, parent, 0 from delegations where did = @did
  union all
  select d.did, d.parent, up.distance + 1 from delegations d join up on d.did = up.parent
)
select ${DELEGATION_COLUMNS} from up cross join delegations d on d.did = up.did
where up.distance > 0 order by up.distance desc`);

  const descendants = client.prepare<
    { did: string; maxDepth: number; liveOnly: number },
    DelegationRow & { distance: number }
  >(`
with recursive down(did, distance) as (
  select did, 0 from delegations where did = @did and (@liveOnly = 0 or status = 'live')
  union all
  select d.did, down.distance + 1 from delegations d join down on d.parent = down.did
  where down.distance < @maxDepth and (@liveOnly = 0 or d.status = 'live')
)
select ${DELEGATION_COLUMNS}, down.distance as distance from down cross join delegations d on d.did = down.did
where down.distance > 0 order by down.distance, d.did`);

  const taskTree = client.prepare<{ task: string }, DelegationRow>(`
select ${DELEGATION_COLUMNS} from delegations d where d.task = @task order by d.depth, d.created_at, d.did`);

  const radius = client.prepare<{ agent: string }, DelegationValues>(BLAST_RADIUS).raw(true);

  const heldOnPath = client.prepare<{ did: string; agent: string }, { did: string }>(`
with recursive up(did, parent, to_agent) as (
  select did, parent, to_agent from delegations where did = @did
  union all
  select d.did, d.parent, d.to_agent from delegations d join up on d.did = up.parent
)
select did from up where to_agent = @agent limit 1`);

  return {
    ancestors: (did) => ancestors.all({ did }).map(toDelegationRecord),
    descendants: (did, maxDepth, liveOnly) =>
      descendants
        .all({ did, maxDepth: maxDepth ?? UNLIMITED_DEPTH, liveOnly: liveOnly ? 1 : 0 })
        .map((row) => ({ ...toDelegationRecord(row), distance: row.distance })),
    taskTree: (task) => taskTree.all({ task }).map(toDelegationRecord),
    blastRadius: (agent) => blastRadiusOf(agent, radius.all({ agent }).map(delegationFromValues)),
    heldOnPath: (did, agent) => heldOnPath.get({ did, agent })?.did,
  };
}
