/**
 * The decision log's operations: append (alone or in a batch), page through, and verify the hash
 * chain end to end.
 */
import { verifyDecisionRows } from "./decision-chain.ts";
import {
  checkAgentId,
  checkCount,
  checkDecisionInput,
  checkLimit,
  checkObject,
  checkRandomId,
  checkTaskId,
  invalidInput,
} from "./input-checks.ts";
import {
  DECISION_COLUMNS,
  type DecisionRow,
  type SqliteContext,
  toDecisionRecord,
} from "./sqlite-context.ts";
import type {
  DecisionInput,
  DecisionLogVerification,
  DecisionPage,
  DecisionQuery,
  DecisionRecord,
  VerifyDecisionLogOptions,
} from "./store.ts";

/** The most decisions one `appendDecisions` call takes. */
export const MAX_DECISION_BATCH = 1000;

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

/** Pages through decisions, filtered by task, agent and did. */
export function queryDecisions(ctx: SqliteContext, query: DecisionQuery): DecisionPage {
  const input = checkObject(query, "query");
  const limit = checkLimit(input.limit, "query.limit", 1000, 100);
  const order = input.order ?? "newest";
  if (order !== "newest" && order !== "oldest") throw invalidInput("query.order", "must be newest or oldest");
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (input.task !== undefined) {
    where.push("task = ?");
    params.push(checkTaskId(input.task, "query.task"));
  }
  if (input.agent !== undefined) {
    where.push("agent = ?");
    params.push(checkAgentId(input.agent, "query.agent"));
  }
  if (input.did !== undefined) {
    where.push("did = ?");
    params.push(checkRandomId(input.did, "query.did"));
  }
  if (input.cursor !== undefined) {
    where.push(order === "newest" ? "id < ?" : "id > ?");
    params.push(checkCount(input.cursor, "query.cursor", Number.MAX_SAFE_INTEGER));
  }
  const sql = `select ${DECISION_COLUMNS} from decisions ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
    order by id ${order === "newest" ? "desc" : "asc"} limit ?`;
  let statement = ctx.decisionQueries.get(sql);
  if (statement === undefined) {
    // At most 16 shapes (3 optional filters, optional cursor) times 2 orders: a bounded cache.
    statement = ctx.database.prepare<unknown[], DecisionRow>(sql);
    ctx.decisionQueries.set(sql, statement);
  }
  const rows = statement.all(...params, limit + 1);
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
