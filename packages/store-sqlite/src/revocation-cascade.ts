/**
 * Cascade revocation as one statement: a recursive CTE collects the live subtree below the
 * targets over the `parent` index, and a single UPDATE … FROM marks every collected row revoked
 * with the next values of the revocation sequence (parents before children). There is no loop of
 * queries in JavaScript, so a 10,000-node subtree costs one statement. Callers run it inside their
 * write transaction.
 */
import type Database from "better-sqlite3";

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

const RANK_AND_UPDATE = `
ranked(did, n) as (
  select s.did, row_number() over (order by d.depth, d.did) from sub s cross join delegations d on d.did = s.did
)
update delegations
set status = 'revoked', revoked_at = @at, revoke_reason = @reason, revoke_cause = @cause,
    revocation_seq = @base + ranked.n
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

/** Prepared cascade statements for one connection. */
export interface RevocationCascade {
  /** Revokes everything live under `target`; run inside a write transaction. */
  revoke(target: RevocationTarget, at: number, reason: string): CascadeResult;
  /** The feed's last sequence number. */
  lastSeq(): number;
}

/** Prepares the cascade statements on `client`. */
export function prepareRevocationCascade(client: Database.Database): RevocationCascade {
  const lastSeq = client.prepare<[], { seq: number }>(
    "select coalesce(max(revocation_seq), 0) as seq from delegations",
  );
  const byDelegation = client.prepare(SUBTREE_OF("did = @target"));
  const byAgent = client.prepare(SUBTREE_OF("(to_agent = @target or from_agent = @target)"));
  // Every delegation of a task carries the task id, so the task index finds the whole tree at once.
  const byTask = client.prepare(`
with sub(did) as (select did from delegations where task = @target and status = 'live'),
${RANK_AND_UPDATE}`);

  const currentSeq = (): number => lastSeq.get()?.seq ?? 0;

  return {
    lastSeq: currentSeq,
    revoke(target, at, reason) {
      const base = currentSeq();
      const [statement, id] =
        target.kind === "delegation"
          ? [byDelegation, target.did]
          : target.kind === "agent"
            ? [byAgent, target.agent]
            : [byTask, target.task];
      const rows = statement.all({ target: id, at, reason, cause: `${target.kind}:${id}`, base }) as {
        did: string;
        seq: number;
      }[];
      // RETURNING gives rows in no promised order; the feed order is the sequence.
      rows.sort((a, b) => a.seq - b.seq);
      return { revoked: rows.map((row) => row.did), lastSeq: base + rows.length };
    },
  };
}
