/**
 * A task's tree as an investigator sees it: each hop's state now, its latest token times, and
 * what narrowed against its parent (issue 10).
 */
import type { DecisionRecord, DelegationRecord, Store, TaskRecord, TokenRecord } from "@baton/store/contract";
import { decisionHop } from "./decision-search.ts";
import { compareHop, type HopChange } from "./narrowing.ts";
import { type NarrowingLine, narrowingLines } from "./narrowing-words.ts";

/**
 * A hop's state right now, for colouring: `revoked` (revocation is final; a closed task or a
 * disabled agent revokes the tree), `expired` (now ≥ exp), `revalidation_due` (the latest token's
 * rvl ≤ now < exp: usable again only after `/v1/revalidate`), otherwise `live`. Clock skew is not
 * applied: this is what the service's clock says.
 */
export type HopState = "live" | "revalidation_due" | "expired" | "revoked";

/** The latest token version of a hop, without the compact token itself. */
export interface LatestTokenView {
  readonly jti: string;
  readonly version: number;
  readonly iat: number;
  readonly exp: number;
  readonly rvl: number;
}

/** One node of a task's tree as `GET /v1/tasks/{id}` returns it. */
export type TaskNode = DelegationRecord & {
  readonly state: HopState;
  readonly token: LatestTokenView | null;
  /** What narrowed against the parent (null for the root grant). */
  readonly narrowing: readonly HopChange[] | null;
  /** The same changes in words, as the CLI says them (null for the root grant). */
  readonly narrowingText: readonly NarrowingLine[] | null;
  /** Refusals (deny and step_up with reasons) about this hop, with the latest one's first code. */
  readonly denials: HopDenials;
};

/** The refusals logged about one hop. */
export interface HopDenials {
  readonly count: number;
  /** The newest refusal's id, time and first reason code; null when there is none. */
  readonly latest: { readonly id: number; readonly at: number; readonly code: string | null } | null;
}

/** Most decisions of a task read to count each hop's refusals. */
const DENIAL_SCAN = 5000;

/** Refusals per hop (by {@link decisionHop}) among a task's latest decisions. */
async function denialsByHop(store: Store, task: string): Promise<Map<string, HopDenials>> {
  const byHop = new Map<string, HopDenials>();
  let cursor: number | undefined;
  let read = 0;
  while (read < DENIAL_SCAN) {
    const page = await store.queryDecisions({
      task,
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const decision of page.items) {
      // A refusal of a chain always names its reasons; an operator's own "deny" (of an approval) does not.
      if (decision.decision === "allow" || decision.reasons.length === 0) continue;
      const hop = decisionHop(decision);
      if (hop === null) continue;
      const seen = byHop.get(hop);
      // Newest first: the first refusal met is the latest.
      byHop.set(hop, {
        count: (seen?.count ?? 0) + 1,
        latest: seen?.latest ?? { id: decision.id, at: decision.at, code: decision.reasons[0]?.code ?? null },
      });
    }
    read += page.items.length;
    if (page.next === null) break;
    cursor = page.next;
  }
  return byHop;
}

/** Computes a hop's {@link HopState} at `now`. */
export function hopState(record: DelegationRecord, token: TokenRecord | undefined, now: number): HopState {
  if (record.status === "revoked") return "revoked";
  const exp = token?.exp ?? record.exp;
  if (now >= exp) return "expired";
  if (token !== undefined && token.rvl <= now) return "revalidation_due";
  return "live";
}

/** The newest decision of a task, or null. */
export async function lastDecision(store: Store, task: string): Promise<DecisionRecord | null> {
  return (await store.queryDecisions({ task, limit: 1 })).items[0] ?? null;
}

/** A task's tree with states, latest token times and narrowing, root first then by depth. */
export async function taskNodes(store: Store, task: string, now: number): Promise<TaskNode[]> {
  const records = await store.taskTree(task);
  const byDid = new Map<string, { record: DelegationRecord; token: TokenRecord | undefined }>();
  for (const record of records) byDid.set(record.did, { record, token: await store.latestToken(record.did) });
  const denials = await denialsByHop(store, task);
  return records.map((record) => {
    const { token } = byDid.get(record.did) ?? { token: undefined };
    const parent = record.parent === null ? undefined : byDid.get(record.parent);
    const narrowing =
      parent === undefined
        ? null
        : compareHop(
            {
              cap: parent.record.cap,
              aud: parent.record.aud,
              exp: parent.record.exp,
              mdp: parent.record.mdp,
            },
            { cap: record.cap, aud: record.aud, exp: record.exp, mdp: record.mdp },
          );
    return {
      ...record,
      state: hopState(record, token, now),
      token:
        token === undefined
          ? null
          : { jti: token.jti, version: token.version, iat: token.iat, exp: token.exp, rvl: token.rvl },
      narrowing,
      narrowingText: narrowing === null ? null : narrowingLines(narrowing),
      denials: denials.get(record.did) ?? { count: 0, latest: null },
    };
  });
}

/** A task with its tree at `now`, as `GET /v1/tasks/{id}` returns it. */
export interface TaskTree {
  readonly task: TaskRecord;
  readonly now: number;
  readonly lastDecision: DecisionRecord | null;
  readonly nodes: readonly TaskNode[];
}

/** The tree of `task` at `now`, or undefined when the store does not know the task. */
export async function taskTreeOf(store: Store, task: string, now: number): Promise<TaskTree | undefined> {
  const record = await store.getTask(task);
  if (record === undefined) return undefined;
  return {
    task: record,
    now,
    lastDecision: await lastDecision(store, task),
    nodes: await taskNodes(store, task, now),
  };
}
