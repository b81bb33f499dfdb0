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
  checkAppendDecisionInput,
  checkAppendDecisionsInput,
  checkAppendEachDecisionInput,
  checkDecisionQuery,
  checkVerifyDecisionLogOptions,
  StoreError,
  toDecisionRecord,
  verifyDecisionRows,
} from "@baton/store/adapter-kit";
import { DECISION_COLUMNS, type DecisionRow, type SqliteContext } from "./sqlite-context.ts";

/** Appends one decision, chained to the last. */
export function appendDecision(ctx: SqliteContext, input: DecisionInput): Promise<DecisionRecord> {
  const decision = checkAppendDecisionInput(input);
  return ctx.write(() => ctx.insertDecision(decision));
}

/** Appends a batch in one transaction: all or nothing. */
export function appendDecisions(
  ctx: SqliteContext,
  inputs: readonly DecisionInput[],
): Promise<DecisionRecord[]> {
  const decisions = checkAppendDecisionsInput(inputs);
  return ctx.write(() => decisions.map((decision) => ctx.insertDecision(decision)));
}

/** Checks each input alone; appends the ones that pass in one transaction. */
export function appendEachDecision(
  ctx: SqliteContext,
  inputs: readonly DecisionInput[],
): Promise<AppendOutcome[]> {
  const checked = checkAppendEachDecisionInput(inputs);
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
  const { limit, order, ...filters } = checkDecisionQuery(query);
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (filters.task !== undefined) {
    where.push("task = @task");
    params.task = filters.task;
  }
  if (filters.agent !== undefined) {
    where.push("agent = @agent");
    params.agent = filters.agent;
  }
  if (filters.did !== undefined) {
    where.push("id in (select decision_id from decision_dids where did = @did)");
    params.did = filters.did;
  }
  if (filters.path !== undefined) {
    where.push("id in (select dd.decision_id from decision_dids dd join related r on r.did = dd.did)");
    params.path = filters.path;
  }
  if (filters.cursor !== undefined) {
    where.push(order === "newest" ? "id < @cursor" : "id > @cursor");
    params.cursor = filters.cursor;
  }
  params.limit = limit + 1;
  const sql = `${filters.path === undefined ? "" : PATH_DIDS}
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
  const { progressEvery, onProgress } = checkVerifyDecisionLogOptions(options);
  return ctx.read(() => {
    const highestIdIssued = ctx.statements.decisionSequence.get()?.seq ?? 0;
    return verifyDecisionRows(ctx.statements.allDecisions.iterate(), {
      highestIdIssued,
      progressEvery,
      ...(onProgress === undefined ? {} : { onProgress }),
    });
  });
}
