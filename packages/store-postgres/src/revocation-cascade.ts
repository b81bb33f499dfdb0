/**
 * Cascade revocation on PostgreSQL, in three steps inside the caller's write transaction:
 *
 * 1. Lock the revocation feed's head row. Every revoking transaction does this first and holds it
 *    until it commits, so revocations commit one at a time, in the order their sequence numbers
 *    were taken: a follower never sees number n+1 before n (see the README, "The feed").
 * 2. Lock the live rows the revocation is aimed at (`FOR UPDATE`, by depth). A hop locks every
 *    row of its parent's path `FOR SHARE` (root first) before checking its parent is live, so a
 *    hop under any of these rows has either committed already or waits for this transaction and
 *    then finds its parent revoked.
 * 3. Collect the live subtree with a recursive CTE and revoke it with one UPDATE … FROM that
 *    numbers the rows parents before children. In READ COMMITTED this statement's snapshot is
 *    taken after the locks of step 2 were granted, so it sees every hop that committed first.
 */
import type { Tx } from "./pg-context.ts";

/** What a revocation is aimed at. */
export type RevocationTarget =
  | { readonly kind: "delegation"; readonly did: string }
  | { readonly kind: "agent"; readonly agent: string }
  | { readonly kind: "task"; readonly task: string };

/** The rows of one cascade, in sequence order. */
export interface CascadeResult {
  readonly revoked: string[];
  readonly lastSeq: number;
}

const ANCHORS = {
  delegation: "did = $1",
  agent: "(to_agent = $1 or from_agent = $1)",
  task: "task = $1",
} as const;

const RANK_AND_UPDATE = `
ranked(did, n) as (
  select s.did, row_number() over (order by d.depth, d.did) from sub s join delegations d on d.did = s.did
)
update delegations
set status = 'revoked', revoked_at = $2, revoke_reason = $3, revoke_cause = $4, revocation_seq = $5 + ranked.n
from ranked
where delegations.did = ranked.did
returning delegations.did as did, delegations.revocation_seq as seq`;

// UNION (not UNION ALL): an agent's held and made delegations can sit in one another's subtrees.
const SUBTREE_OF = (anchor: string) => `
with recursive sub(did) as (
  select did from delegations where ${anchor} and status = 'live'
  union
  select d.did from delegations d join sub on d.parent = sub.did where d.status = 'live'
),
${RANK_AND_UPDATE}`;

const CASCADES = {
  delegation: SUBTREE_OF(ANCHORS.delegation),
  agent: SUBTREE_OF(ANCHORS.agent),
  // Every delegation of a task carries the task id, so the task index finds the whole tree at once.
  task: `with sub(did) as (select did from delegations where task = $1 and status = 'live'),
${RANK_AND_UPDATE}`,
} as const;

/** Takes the feed head's lock (step 1) and returns the last sequence number handed out. */
export async function lockFeedHead(tx: Tx): Promise<number> {
  const head = await tx.row<{ lastSeq: number }>(
    `select last_seq as "lastSeq" from revocation_feed_head where singleton = 1 for update`,
  );
  if (head === undefined)
    throw new Error("the revocation feed head row is missing; the database was altered");
  return head.lastSeq;
}

/**
 * Locks the live rows `target` aims at (step 2). Call after {@link lockFeedHead} and before
 * locking agent or task rows, the lock order every write keeps.
 */
export async function lockTargets(tx: Tx, target: RevocationTarget): Promise<void> {
  await tx.rows(
    `select did from delegations where ${ANCHORS[target.kind]} and status = 'live' order by depth, did for update`,
    [targetId(target)],
  );
}

function targetId(target: RevocationTarget): string {
  return target.kind === "delegation" ? target.did : target.kind === "agent" ? target.agent : target.task;
}

/** Revokes everything live under `target` (step 3) and moves the feed head. */
export async function cascade(
  tx: Tx,
  target: RevocationTarget,
  base: number,
  at: number,
  reason: string,
): Promise<CascadeResult> {
  const id = targetId(target);
  const rows = await tx.rows<{ did: string; seq: number }>(CASCADES[target.kind], [
    id,
    at,
    reason,
    `${target.kind}:${id}`,
    base,
  ]);
  // RETURNING gives rows in no promised order; the feed order is the sequence.
  rows.sort((a, b) => a.seq - b.seq);
  const lastSeq = base + rows.length;
  if (rows.length > 0) {
    await tx.rows("update revocation_feed_head set last_seq = $1 where singleton = 1", [lastSeq]);
  }
  return { revoked: rows.map((row) => row.did), lastSeq };
}
