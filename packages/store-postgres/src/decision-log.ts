/**
 * The decision log's operations: append (alone or in a batch), page through, and verify the hash
 * chain end to end. Every append locks the log's head row until commit (`appendDecisionRows`), so
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
  checkAppendDecisionInput,
  checkAppendDecisionsInput,
  checkAppendEachDecisionInput,
  checkDecisionQuery,
  checkVerifyDecisionLogOptions,
  StoreError,
  toDecisionRecord,
  verifyDecisionRows,
} from "@baton/store/adapter-kit";
import { DECISION_COLUMNS, type DecisionRow, insertDecision, type PgContext } from "./pg-context.ts";

/** Rows read per query while verifying, so a large log is not one result set. */
const VERIFY_PAGE = 10_000;

/** Appends one decision, chained to the last; appends asked for together share one commit. */
export async function appendDecision(ctx: PgContext, input: DecisionInput): Promise<DecisionRecord> {
  const decision = checkAppendDecisionInput(input);
  const appended = await ctx.appendAtNextCommit(decision);
  return appended.record as DecisionRecord;
}

/** Appends a batch in one transaction: all or nothing. */
export async function appendDecisions(
  ctx: PgContext,
  inputs: readonly DecisionInput[],
): Promise<DecisionRecord[]> {
  const decisions = checkAppendDecisionsInput(inputs);
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
  const checked = checkAppendEachDecisionInput(inputs);
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

/**
 * The delegations related to `$path`: itself, its ancestors and its descendants (walked down with
 * LATERAL key lookups: see the note on `Prepared` in pg-context.ts).
 */
const PATH_DIDS = (path: string) => `with recursive
  up(did, parent) as (
    select did, parent from delegations where did = ${path}
    union all select p.did, p.parent from up cross join lateral (
      select did, parent from delegations d where d.did = up.parent offset 0) p),
  down(did) as (
    select did from delegations where did = ${path}
    union all select c.did from down cross join lateral (
      select did from delegations d where d.parent = down.did offset 0) c),
  related(did) as (select did from up union select did from down)`;

/** Pages through decisions, filtered by task, agent, did and path. */
export async function queryDecisions(ctx: PgContext, query: DecisionQuery): Promise<DecisionPage> {
  const input = checkDecisionQuery(query);
  const { limit, order } = input;
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (input.task !== undefined) where.push(`task = ${param(input.task)}`);
  if (input.agent !== undefined) where.push(`agent = ${param(input.agent)}`);
  if (input.did !== undefined) {
    where.push(`id in (select decision_id from decision_dids where did = ${param(input.did)})`);
  }
  let prefix = "";
  if (input.path !== undefined) {
    prefix = PATH_DIDS(param(input.path));
    // The index probed with the related dids, not joined to a CTE the planner overestimates.
    where.push(
      "id in (select decision_id from decision_dids where did = any(array(select did from related)))",
    );
  }
  if (input.cursor !== undefined) {
    const cursor = param(input.cursor);
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
  const { progressEvery, onProgress } = checkVerifyDecisionLogOptions(options);
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
    ...(onProgress === undefined ? {} : { onProgress }),
  });
}
