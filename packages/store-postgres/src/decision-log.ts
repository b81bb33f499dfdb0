/**
 * The decision log's operations: append (alone or in a batch), page through, and verify the hash
 * chain end to end. Every append locks the log's head row until commit (`insertDecision`), so
 * writers on any number of instances build one chain.
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
  insertDecision,
  type PgContext,
  toDecisionRecord,
} from "./pg-context.ts";

/** Rows read per query while verifying, so a large log is not one result set. */
const VERIFY_PAGE = 10_000;

/** Appends one decision, chained to the last. */
export async function appendDecision(ctx: PgContext, input: DecisionInput): Promise<DecisionRecord> {
  const decision = checkDecisionInput(input, "decision");
  return ctx.write((tx) => insertDecision(tx, decision));
}

/** Appends a batch in one transaction: all or nothing. */
export async function appendDecisions(
  ctx: PgContext,
  inputs: readonly DecisionInput[],
): Promise<DecisionRecord[]> {
  if (!Array.isArray(inputs) || inputs.length > MAX_DECISION_BATCH) {
    throw invalidInput("decisions", `must be an array of at most ${MAX_DECISION_BATCH} decisions`);
  }
  const decisions = inputs.map((input, i) => checkDecisionInput(input, `decisions[${i}]`));
  return ctx.write(async (tx) => {
    const records: DecisionRecord[] = [];
    for (const decision of decisions) records.push(await insertDecision(tx, decision));
    return records;
  });
}

/** Checks each input alone; appends the ones that pass in one transaction. */
export async function appendEachDecision(
  ctx: PgContext,
  inputs: readonly DecisionInput[],
): Promise<AppendOutcome[]> {
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
  return ctx.write(async (tx) => {
    const outcomes: AppendOutcome[] = [];
    for (const decision of checked) {
      outcomes.push(
        decision instanceof StoreError
          ? { ok: false, error: decision }
          : { ok: true, record: await insertDecision(tx, decision) },
      );
    }
    return outcomes;
  });
}

/** The delegations related to `$path`: itself, its ancestors and its descendants. */
const PATH_DIDS = (path: string) => `with recursive
  up(did, parent) as (
    select did, parent from delegations where did = ${path}
    union all select d.did, d.parent from delegations d join up on d.did = up.parent),
  down(did) as (
    select did from delegations where did = ${path}
    union all select d.did from delegations d join down on d.parent = down.did),
  related(did) as (select did from up union select did from down)`;

/** Pages through decisions, filtered by task, agent, did and path. */
export async function queryDecisions(ctx: PgContext, query: DecisionQuery): Promise<DecisionPage> {
  const input = checkObject(query, "query");
  const limit = checkLimit(input.limit, "query.limit", INPUT_LIMITS.maxPageSize, 100);
  const order = input.order ?? "newest";
  if (order !== "newest" && order !== "oldest") throw invalidInput("query.order", "must be newest or oldest");
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (input.task !== undefined) where.push(`task = ${param(checkTaskId(input.task, "query.task"))}`);
  if (input.agent !== undefined) where.push(`agent = ${param(checkAgentId(input.agent, "query.agent"))}`);
  if (input.did !== undefined) {
    where.push(
      `id in (select decision_id from decision_dids where did = ${param(checkRandomId(input.did, "query.did"))})`,
    );
  }
  let prefix = "";
  if (input.path !== undefined) {
    prefix = PATH_DIDS(param(checkRandomId(input.path, "query.path")));
    where.push("id in (select dd.decision_id from decision_dids dd join related r on r.did = dd.did)");
  }
  if (input.cursor !== undefined) {
    const cursor = param(checkCount(input.cursor, "query.cursor", Number.MAX_SAFE_INTEGER));
    where.push(order === "newest" ? `id < ${cursor}` : `id > ${cursor}`);
  }
  const rows = await ctx.rows<DecisionRow>(
    `${prefix}
    select ${DECISION_COLUMNS} from decisions ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
    order by id ${order === "newest" ? "desc" : "asc"} limit ${param(limit + 1)}`,
    params,
  );
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(toDecisionRecord);
  return { items, next: more ? (items.at(-1)?.id ?? null) : null };
}

/** Recomputes the whole chain, from one snapshot, and reports the first broken row. */
export async function verifyDecisionLog(
  ctx: PgContext,
  options: VerifyDecisionLogOptions = {},
): Promise<DecisionLogVerification> {
  const input = checkObject(options, "options");
  if (input.onProgress !== undefined && typeof input.onProgress !== "function") {
    throw invalidInput("options.onProgress", "must be a function");
  }
  const progressEvery = checkLimit(input.progressEvery, "options.progressEvery", 10_000_000, 10_000);
  const { highestIdIssued, rows } = await ctx.read(async (tx) => {
    const head = await tx.row<{ lastId: number }>(
      `select last_id as "lastId" from decision_log_head where singleton = 1`,
    );
    const all: DecisionRow[] = [];
    for (let after = 0; ; ) {
      const page = await tx.rows<DecisionRow>(
        `select ${DECISION_COLUMNS} from decisions where id > $1 order by id limit $2`,
        [after, VERIFY_PAGE],
      );
      all.push(...page);
      const last = page.at(-1);
      if (last === undefined || page.length < VERIFY_PAGE) break;
      after = last.id;
    }
    return { highestIdIssued: head?.lastId ?? 0, rows: all };
  });
  return verifyDecisionRows(rows, {
    highestIdIssued,
    progressEvery,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}
