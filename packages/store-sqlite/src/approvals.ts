/**
 * Step-up approvals: requested when policy says `step_up`, decided once by an operator, and
 * honoured for one delegation until they expire.
 */

import type {
  ApprovalRecord,
  ApprovalStatus,
  CreateApprovalInput,
  DecideApprovalInput,
} from "@baton/store/adapter-kit";
import {
  checkAgentId,
  checkApprovalId,
  checkAudit,
  checkCount,
  checkLimit,
  checkObject,
  checkRandomId,
  checkTaskId,
  checkText,
  checkTime,
  invalidInput,
  MAX_NAME_LENGTH,
  StoreError,
} from "@baton/store/adapter-kit";
import { INPUT_LIMITS } from "@baton/token";
import { and, count, desc, eq, gt } from "drizzle-orm";
import * as schema from "./schema.ts";
import type { SqliteContext } from "./sqlite-context.ts";

/** Records a pending approval request for a live delegation. */
export function createApproval(ctx: SqliteContext, input: CreateApprovalInput): ApprovalRecord {
  const value = checkObject(input, "approval");
  const id = checkApprovalId(value.id, "approval.id");
  const did = checkRandomId(value.did, "approval.did");
  const agent = checkAgentId(value.agent, "approval.agent");
  const task = checkTaskId(value.task, "approval.task");
  const action = checkText(value.action, "approval.action", INPUT_LIMITS.maxTargetLength);
  const resource = checkText(value.resource, "approval.resource", INPUT_LIMITS.maxTargetLength);
  const reason = checkText(value.reason, "approval.reason");
  const at = checkTime(value.at, "approval.at");
  const expiresAt = checkTime(value.expiresAt, "approval.expiresAt");
  if (expiresAt <= at) throw invalidInput("approval.expiresAt", "must be after at");
  const maxPending =
    value.maxPending === undefined
      ? undefined
      : checkCount(value.maxPending, "approval.maxPending", 1_000_000);
  const audit = checkAudit(value.audit, "approval.audit");

  return ctx.write(() => {
    if (getApproval(ctx, id) !== undefined) {
      throw new StoreError("conflict", `approval.id: approval ${id} already exists`, {
        field: "approval.id",
      });
    }
    const delegation = ctx.requireDelegation(did, "approval.did");
    ctx.requireAgent(agent, "approval.agent");
    ctx.requireTask(task, "approval.task");
    if (delegation.task !== task)
      throw invalidInput("approval.task", `must be the delegation's task ${delegation.task}`);
    if (delegation.to !== agent)
      throw invalidInput("approval.agent", `must be the delegation's holder ${delegation.to}`);
    const status = ctx.linkStatus([did])[0];
    if (status !== undefined && !status.live) {
      throw new StoreError("revoked", `approval.did: delegation ${did} is not live (${status.problem})`, {
        field: "approval.did",
      });
    }
    if (maxPending !== undefined) {
      // Counted inside the IMMEDIATE write transaction, so concurrent requests cannot both pass.
      const a = schema.approvals;
      const pending =
        ctx.db
          .select({ n: count() })
          .from(a)
          .where(and(eq(a.did, did), eq(a.status, "pending"), gt(a.expiresAt, at)))
          .get()?.n ?? 0;
      if (pending >= maxPending) {
        throw new StoreError(
          "approval_limit",
          `approval.did: delegation ${did} already has ${pending} pending approval requests (the limit is ${maxPending}); an operator must approve or deny some (baton approvals list) before it can ask for more`,
          { field: "approval.did" },
        );
      }
    }
    const row = ctx.db
      .insert(schema.approvals)
      .values({ id, did, agent, task, action, resource, reason, createdAt: at, expiresAt })
      .returning()
      .get();
    ctx.audit(audit);
    return row;
  });
}

/** The approval, if any. */
export function getApproval(ctx: SqliteContext, id: string): ApprovalRecord | undefined {
  if (typeof id !== "string") return undefined;
  return ctx.db.select().from(schema.approvals).where(eq(schema.approvals.id, id)).get();
}

/** Approvals, newest first, optionally of one status. */
export function listApprovals(
  ctx: SqliteContext,
  options: { readonly status?: ApprovalStatus; readonly limit?: number } = {},
): ApprovalRecord[] {
  const input = checkObject(options, "options");
  const status = input.status;
  if (status !== undefined && status !== "pending" && status !== "approved" && status !== "denied") {
    throw invalidInput("options.status", "must be pending, approved or denied");
  }
  const limit = checkLimit(input.limit, "options.limit", INPUT_LIMITS.maxPageSize, 100);
  const query = ctx.db.select().from(schema.approvals);
  const filtered = status === undefined ? query : query.where(eq(schema.approvals.status, status));
  return filtered.orderBy(desc(schema.approvals.createdAt), schema.approvals.id).limit(limit).all();
}

/** Decides a pending, unexpired approval. */
export function decideApproval(ctx: SqliteContext, id: string, input: DecideApprovalInput): ApprovalRecord {
  const approvalId = checkApprovalId(id, "approval");
  const value = checkObject(input, "input");
  const decision = value.decision;
  if (decision !== "approved" && decision !== "denied")
    throw invalidInput("input.decision", "must be approved or denied");
  const by = checkText(value.by, "input.by", MAX_NAME_LENGTH);
  const at = checkTime(value.at, "input.at");
  const audit = checkAudit(value.audit, "input.audit");
  return ctx.write(() => {
    const approval = getApproval(ctx, approvalId);
    if (approval === undefined) {
      throw new StoreError("not_found", `approval: no approval ${approvalId}`, { field: "approval" });
    }
    if (approval.status !== "pending") {
      throw new StoreError("conflict", `approval ${approvalId} was already ${approval.status}`, {
        field: "approval",
      });
    }
    if (at >= approval.expiresAt) {
      throw new StoreError("conflict", `approval ${approvalId} expired; the agent must ask again`, {
        field: "approval",
      });
    }
    const row = ctx.db
      .update(schema.approvals)
      .set({ status: decision, decidedAt: at, decidedBy: by })
      .where(eq(schema.approvals.id, approvalId))
      .returning()
      .get();
    ctx.audit(audit);
    if (row === undefined) throw new Error(`approval ${approvalId} vanished inside its transaction`);
    return row;
  });
}

/** Approvals for `did` that are approved and unexpired at `at`. */
export function activeApprovals(ctx: SqliteContext, did: string, at: number): ApprovalRecord[] {
  const target = checkRandomId(did, "did");
  const now = checkTime(at, "at");
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
  const value = checkObject(subject, "subject");
  const did = checkRandomId(value.did, "subject.did");
  const action = checkText(value.action, "subject.action", INPUT_LIMITS.maxTargetLength);
  const resource = checkText(value.resource, "subject.resource", INPUT_LIMITS.maxTargetLength);
  const now = checkTime(at, "at");
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
