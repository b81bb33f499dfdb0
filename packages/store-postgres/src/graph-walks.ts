/**
 * Graph walks as recursive CTEs over the indexed `parent` column (and the `task` and `to_agent`
 * indexes for their anchors): who let this agent do that, through whom, and what else they let
 * through.
 */

import {
  type BlastRadius,
  blastRadiusOf,
  type DelegationRecord,
  toDelegationRecord,
  type WalkedDelegation,
} from "@baton/store/adapter-kit";
import { DELEGATION_COLUMNS, type DelegationRow, lockedPath, type Prepared, type Tx } from "./pg-context.ts";

/** Deeper than any chain can be (the token format caps depth at 64), so "no limit" stays finite. */
const UNLIMITED_DEPTH = 1_000_000;

// The walks carry whole rows rather than joining their dids back to `delegations` afterwards, and
// take each step through a LATERAL key lookup: see the note on `Prepared` in pg-context.ts.

// The start row is distance 0; its parent 1, and so on up to the root.
export const ANCESTORS = `
with recursive up as (
  select d.*, 0 as distance from delegations d where d.did = $1
  union all
  select p.*, up.distance + 1 from up cross join lateral (
    select * from delegations d where d.did = up.parent offset 0
  ) p
)
select ${DELEGATION_COLUMNS} from up d
where d.distance > 0 order by d.distance desc`;

export const DESCENDANTS = `
with recursive down as (
  select d.*, 0 as distance from delegations d where d.did = $1 and (not $3::boolean or d.status = 'live')
  union all
  select c.*, down.distance + 1 from down cross join lateral (
    select * from delegations d where d.parent = down.did and (not $3::boolean or d.status = 'live') offset 0
  ) c
  where down.distance < $2
)
select ${DELEGATION_COLUMNS}, d.distance as distance from down d
where d.distance > 0 order by d.distance, d.did`;

const TASK_TREE = `
select ${DELEGATION_COLUMNS} from delegations d where d.task = $1 order by d.depth, d.created_at, d.did`;

// What an agent holds live and every live row below it, in one walk ordered by (depth, did): the
// held rows are the ones it reaches that the agent holds, so they are read once. `union` keeps a
// row reached twice once (an agent holding a delegation below another it holds, which issuance
// refuses but a hand-edited database could contain).
export const RADIUS = `
with recursive down as (
  select * from delegations where to_agent = $1 and status = 'live'
  union
  select c.* from down cross join lateral (
    select * from delegations d where d.parent = down.did and d.status = 'live' offset 0
  ) c
)
select ${DELEGATION_COLUMNS} from down d
order by d.depth, d.did`;

/**
 * Share-locks every row on the path from `did` up to its root, root first: what a hop does before
 * it checks its parent, so a cascade from any ancestor either sees the hop or refuses it. Returns
 * the rows as locked (a row changed meanwhile is read again at its latest version), `did`'s own
 * among them, so the hop needs no other read of its parent. Each row is locked as the nested loop
 * reaches it, in the path's order from the root: the order a cascade locks in.
 */
export const LOCK_PATH: Prepared = {
  name: "baton_lock_path",
  text: `with recursive ${lockedPath("$1")}
select ${DELEGATION_COLUMNS} from path d`,
};

export async function ancestors(tx: Tx, did: string): Promise<DelegationRecord[]> {
  return (await tx.rows<DelegationRow>(ANCESTORS, [did])).map(toDelegationRecord);
}

export async function descendants(
  tx: Tx,
  did: string,
  maxDepth: number | undefined,
  liveOnly: boolean,
): Promise<WalkedDelegation[]> {
  const rows = await tx.rows<DelegationRow & { distance: number }>(DESCENDANTS, [
    did,
    maxDepth ?? UNLIMITED_DEPTH,
    liveOnly,
  ]);
  return rows.map((row) => ({ ...toDelegationRecord(row), distance: row.distance }));
}

export async function taskTree(tx: Tx, task: string): Promise<DelegationRecord[]> {
  return (await tx.rows<DelegationRow>(TASK_TREE, [task])).map(toDelegationRecord);
}

export async function blastRadius(tx: Tx, agent: string): Promise<BlastRadius> {
  return blastRadiusOf(agent, (await tx.rows<DelegationRow>(RADIUS, [agent])).map(toDelegationRecord));
}

/**
 * Share-locks the path from `did` to its root until commit (see {@link LOCK_PATH}) and returns
 * `did`'s row as locked, if it exists.
 */
export async function lockPath(tx: Tx, did: string): Promise<DelegationRow | undefined> {
  return (await tx.rows<DelegationRow>(LOCK_PATH, [did])).find((row) => row.did === did);
}
