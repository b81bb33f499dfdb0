/**
 * Step-up approvals: requested when policy says `step_up`, decided once by an operator, and
 * honoured for one delegation until they expire.
 */

import {
  type ApprovalRecord,
  type ApprovalStatus,
  type CreateApprovalInput,
  checkActiveApprovalsInput,
  checkCreateApprovalInput,
  checkDecideApprovalInput,
  checkListApprovalsOptions,
  checkPendingApprovalInput,
  createApprovalFits,
  type DecideApprovalInput,
  decideApprovalFits,
} from "@baton/store/adapter-kit";
import { and, count, desc, eq, gt } from "drizzle-orm";
import * as schema from "./schema.ts";
import type { SqliteContext } from "./sqlite-context.ts";

/** Records a pending approval request for a live delegation. */
export function createApproval(ctx: SqliteContext, input: CreateApprovalInput): Promise<ApprovalRecord> {
  const approval = checkCreateApprovalInput(input);
  const { id, did, agent, task, action, resource, reason, at, expiresAt } = approval;
  return ctx.write(() => {
    const delegation = ctx.findDelegation(did);
    const status = delegation === undefined ? undefined : ctx.linkStatus([did])[0];
    const a = schema.approvals;
    createApprovalFits(approval, {
      idTaken: getApproval(ctx, id) !== undefined,
      delegation,
      agentExists: ctx.findAgent(agent) !== undefined,
      taskExists: ctx.findTask(task) !== undefined,
      notLive: status !== undefined && !status.live ? status.problem : undefined,
      pending:
        approval.maxPending === undefined
          ? 0
          : (ctx.db
              .select({ n: count() })
              .from(a)
              .where(and(eq(a.did, did), eq(a.status, "pending"), gt(a.expiresAt, at)))
              .get()?.n ?? 0),
    });
    const row = ctx.db
      .insert(schema.approvals)
      .values({ id, did, agent, task, action, resource, reason, createdAt: at, expiresAt })
      .returning()
      .get();
    ctx.audit(approval.audit);
    return row;
  });
}

/** The approval, if any. */
export function getApproval(ctx: SqliteContext, id: string): ApprovalRecord | undefined {
  if (typeof id !== "string") return undefined;
  return ctx.lookups.approval.get({ key: id });
}

/** Approvals, newest first, optionally of one status. */
export function listApprovals(
  ctx: SqliteContext,
  options: { readonly status?: ApprovalStatus; readonly limit?: number } = {},
): ApprovalRecord[] {
  const { status, limit } = checkListApprovalsOptions(options);
  const query = ctx.db.select().from(schema.approvals);
  const filtered = status === undefined ? query : query.where(eq(schema.approvals.status, status));
  return filtered.orderBy(desc(schema.approvals.createdAt), schema.approvals.id).limit(limit).all();
}

/** Decides a pending, unexpired approval. */
export function decideApproval(
  ctx: SqliteContext,
  id: string,
  input: DecideApprovalInput,
): Promise<ApprovalRecord> {
  const decided = checkDecideApprovalInput(id, input);
  const { id: approvalId, decision, by, at } = decided;
  return ctx.write(() => {
    decideApprovalFits(decided, { approval: getApproval(ctx, approvalId) });
    const row = ctx.db
      .update(schema.approvals)
      .set({ status: decision, decidedAt: at, decidedBy: by })
      .where(eq(schema.approvals.id, approvalId))
      .returning()
      .get();
    ctx.audit(decided.audit);
    if (row === undefined) throw new Error(`approval ${approvalId} vanished inside its transaction`);
    return row;
  });
}

/** Approvals for `did` that are approved and unexpired at `at`. */
export function activeApprovals(ctx: SqliteContext, did: string, at: number): ApprovalRecord[] {
  const { did: target, at: now } = checkActiveApprovalsInput(did, at);
  const a = schema.approvals;
  return ctx.db
    .select()
    .from(a)
    .where(and(eq(a.did, target), eq(a.status, "approved"), gt(a.expiresAt, now)))
    .orderBy(a.createdAt, a.id)
    .all();
}

/**
 * The pending, unexpired approval request for exactly this call on `did`, if one exists: a refused
 * call retried before an operator decides reuses it instead of queueing another request.
 */
export function pendingApproval(
  ctx: SqliteContext,
  subject: { readonly did: string; readonly action: string; readonly resource: string },
  at: number,
): ApprovalRecord | undefined {
  const { did, action, resource, at: now } = checkPendingApprovalInput(subject, at);
  const a = schema.approvals;
  return ctx.db
    .select()
    .from(a)
    .where(
      and(
        eq(a.did, did),
        eq(a.action, action),
        eq(a.resource, resource),
        eq(a.status, "pending"),
        gt(a.expiresAt, now),
      ),
    )
    .orderBy(desc(a.createdAt), a.id)
    .limit(1)
    .get();
}
