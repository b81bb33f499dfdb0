/**
 * The decision log's operations: append (alone or in a batch), page through, and verify the hash
 * chain end to end.
 */

import type {
  AppendOutcome,
  DecisionInput,
  DecisionLogVerification,
  DecisionPage,
  DecisionQuery,
  DecisionRecord,
  VerifyDecisionLogOptions,
} from "@baton/store/adapter-kit";
import {
  type CheckedDecision,
  checkAgentId,
  checkCount,
  checkDecisionInput,
  checkLimit,
  checkObject,
  checkRandomId,
  checkTaskId,
  invalidInput,
  MAX_DECISION_BATCH,
  StoreError,
  verifyDecisionRows,
} from "@baton/store/adapter-kit";
import { INPUT_LIMITS } from "@baton/token";
import {
  DECISION_COLUMNS,
  type DecisionRow,
  type SqliteContext,
  toDecisionRecord,
} from "./sqlite-context.ts";

/** The most decisions one `appendDecisions` call takes: the same batch the service accepts. */

/** Appends one decision, chained to the last. */
export function appendDecision(ctx: SqliteContext, input: DecisionInput): DecisionRecord {
  const decision = checkDecisionInput(input, "decision");
  return ctx.write(() => ctx.insertDecision(decision));
}

/** Appends a batch in one transaction: all or nothing. */
export function appendDecisions(ctx: SqliteContext, inputs: readonly DecisionInput[]): DecisionRecord[] {
  if (!Array.isArray(inputs) || inputs.length > MAX_DECISION_BATCH) {
    throw invalidInput("decisions", `must be an array of at most ${MAX_DECISION_BATCH} decisions`);
  }
  const decisions = inputs.map((input, i) => checkDecisionInput(input, `decisions[${i}]`));
  return ctx.write(() => decisions.map((decision) => ctx.insertDecision(decision)));
}

/** Checks each input alone; appends the ones that pass in one transaction. */
export function appendEachDecision(ctx: SqliteContext, inputs: readonly DecisionInput[]): AppendOutcome[] {
  if (!Array.isArray(inputs) || inputs.length > MAX_DECISION_BATCH) {
    throw invalidInput("decisions", `must be an array of at most ${MAX_DECISION_BATCH} decisions`);
  }
  const checked = inputs.map((input, i): CheckedDecision | StoreError => {
    try {
      return checkDecisionInput(input, `decisions[${i}]`);
    } catch (error) {
      if (error instanceof StoreError) return error;
      throw error;
    }
  });
  return ctx.write(() =>
    checked.map(
      (decision): AppendOutcome =>
        decision instanceof StoreError
          ? { ok: false, error: decision }
          : { ok: true, record: ctx.insertDecision(decision) },
    ),
  );
}

/** The delegations related to `@path`: itself, its ancestors and its descendants. */
const PATH_DIDS = `with recursive
  up(did, parent) as (
    select did, parent from delegations where did = @path
    union all select d.did, d.parent from delegations d join up on d.did = up.parent),
  down(did) as (
    select did from delegations where did = @path
    union all select d.did from delegations d join down on d.parent = down.did),
  related(did) as (select did from up union select did from down)`;

/** Pages through decisions, filtered by task, agent, did and path. */
export function queryDecisions(ctx: SqliteContext, query: DecisionQuery): DecisionPage {
  const input = checkObject(query, "query");
  const limit = checkLimit(input.limit, "query.limit", INPUT_LIMITS.maxPageSize, 100);
  const order = input.order ?? "newest";
  if (order !== "newest" && order !== "oldest") throw invalidInput("query.order", "must be newest or oldest");
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (input.task !== undefined) {
    where.push("task = @task");
    params.task = checkTaskId(input.task, "query.task");
  }
  if (input.agent !== undefined) {
    where.push("agent = @agent");
    params.agent = checkAgentId(input.agent, "query.agent");
  }
  if (input.did !== undefined) {
    where.push("id in (select decision_id from decision_dids where did = @did)");
    params.did = checkRandomId(input.did, "query.did");
  }
  if (input.path !== undefined) {
    where.push("id in (select dd.decision_id from decision_dids dd join related r on r.did = dd.did)");
    params.path = checkRandomId(input.path, "query.path");
  }
  if (input.cursor !== undefined) {
    where.push(order === "newest" ? "id < @cursor" : "id > @cursor");
    params.cursor = checkCount(input.cursor, "query.cursor", Number.MAX_SAFE_INTEGER);
  }
  params.limit = limit + 1;
  const sql = `${input.path === undefined ? "" : PATH_DIDS}
    select ${DECISION_COLUMNS} from decisions ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
    order by id ${order === "newest" ? "desc" : "asc"} limit @limit`;
  let statement = ctx.decisionQueries.get(sql);
  if (statement === undefined) {
    // At most 32 shapes (4 optional filters, optional cursor) times 2 orders: a bounded cache.
    statement = ctx.database.prepare<[Record<string, string | number>], DecisionRow>(sql);
    ctx.decisionQueries.set(sql, statement);
  }
  const rows = statement.all(params);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(toDecisionRecord);
  return { items, next: more ? (items.at(-1)?.id ?? null) : null };
}

/** Recomputes the whole chain and reports the first broken row. */
export function verifyDecisionLog(
  ctx: SqliteContext,
  options: VerifyDecisionLogOptions = {},
): DecisionLogVerification {
  const input = checkObject(options, "options");
  if (input.onProgress !== undefined && typeof input.onProgress !== "function") {
    throw invalidInput("options.onProgress", "must be a function");
  }
  const progressEvery = checkLimit(input.progressEvery, "options.progressEvery", 10_000_000, 10_000);
  return ctx.read(() => {
    const highestIdIssued = ctx.statements.decisionSequence.get()?.seq ?? 0;
    return verifyDecisionRows(ctx.statements.allDecisions.iterate(), {
      highestIdIssued,
      progressEvery,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
  });
}
