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
import {
  audit,
  linkStatus,
  type PgContext,
  requireAgent,
  requireDelegation,
  requireTask,
  type Tx,
} from "./pg-context.ts";

const APPROVAL_COLUMNS = `id, did, agent, task, action, resource, reason, status, created_at as "createdAt",
  expires_at as "expiresAt", decided_at as "decidedAt", decided_by as "decidedBy"`;

async function findApproval(tx: Pick<Tx, "row">, id: string, lock = ""): Promise<ApprovalRecord | undefined> {
  return tx.row<ApprovalRecord>(`select ${APPROVAL_COLUMNS} from approvals where id = $1 ${lock}`, [id]);
}

/** Records a pending approval request for a live delegation. */
export async function createApproval(ctx: PgContext, input: CreateApprovalInput): Promise<ApprovalRecord> {
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
  const approvalAudit = checkAudit(value.audit, "approval.audit");

  return ctx.write(async (tx) => {
    if ((await findApproval(tx, id)) !== undefined) {
      throw new StoreError("conflict", `approval.id: approval ${id} already exists`, {
        field: "approval.id",
      });
    }
    // Locked: requests for one delegation take turns, so the pending count below cannot be
    // passed by two instances at once, and a revocation of it waits for this commit.
    const delegation = await requireDelegation(tx, did, "approval.did", "for update of d");
    await requireAgent(tx, agent, "approval.agent");
    await requireTask(tx, task, "approval.task");
    if (delegation.task !== task)
      throw invalidInput("approval.task", `must be the delegation's task ${delegation.task}`);
    if (delegation.to !== agent)
      throw invalidInput("approval.agent", `must be the delegation's holder ${delegation.to}`);
    const status = (await linkStatus(tx, [did]))[0];
    if (status !== undefined && !status.live) {
      throw new StoreError("revoked", `approval.did: delegation ${did} is not live (${status.problem})`, {
        field: "approval.did",
      });
    }
    if (maxPending !== undefined) {
      const pending =
        (
          await tx.row<{ n: number }>(
            "select count(*) as n from approvals where did = $1 and status = 'pending' and expires_at > $2",
            [did, at],
          )
        )?.n ?? 0;
      if (pending >= maxPending) {
        throw new StoreError(
          "approval_limit",
          `approval.did: delegation ${did} already has ${pending} pending approval requests (the limit is ${maxPending}); an operator must approve or deny some (baton approvals list) before it can ask for more`,
          { field: "approval.did" },
        );
      }
    }
    const row = await tx.row<ApprovalRecord>(
      `insert into approvals (id, did, agent, task, action, resource, reason, created_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${APPROVAL_COLUMNS}`,
      [id, did, agent, task, action, resource, reason, at, expiresAt],
    );
    await audit(tx, approvalAudit);
    return row as ApprovalRecord;
  });
}

/** The approval, if any. */
export async function getApproval(ctx: PgContext, id: string): Promise<ApprovalRecord | undefined> {
  if (typeof id !== "string") return undefined;
  return findApproval(ctx, id);
}

/** Approvals, newest first, optionally of one status. */
export async function listApprovals(
  ctx: PgContext,
  options: { readonly status?: ApprovalStatus; readonly limit?: number } = {},
): Promise<ApprovalRecord[]> {
  const input = checkObject(options, "options");
  const status = input.status;
  if (status !== undefined && status !== "pending" && status !== "approved" && status !== "denied") {
    throw invalidInput("options.status", "must be pending, approved or denied");
  }
  const limit = checkLimit(input.limit, "options.limit", INPUT_LIMITS.maxPageSize, 100);
  return ctx.rows<ApprovalRecord>(
    `select ${APPROVAL_COLUMNS} from approvals where ($1::text is null or status = $1)
     order by created_at desc, id limit $2`,
    [status ?? null, limit],
  );
}

/** Decides a pending, unexpired approval. */
export async function decideApproval(
  ctx: PgContext,
  id: string,
  input: DecideApprovalInput,
): Promise<ApprovalRecord> {
  const approvalId = checkApprovalId(id, "approval");
  const value = checkObject(input, "input");
  const decision = value.decision;
  if (decision !== "approved" && decision !== "denied")
    throw invalidInput("input.decision", "must be approved or denied");
  const by = checkText(value.by, "input.by", MAX_NAME_LENGTH);
  const at = checkTime(value.at, "input.at");
  const decisionAudit = checkAudit(value.audit, "input.audit");
  return ctx.write(async (tx) => {
    // Locked, so two operators deciding at once on two instances decide it once.
    const approval = await findApproval(tx, approvalId, "for update");
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
    const row = await tx.row<ApprovalRecord>(
      `update approvals set status = $2, decided_at = $3, decided_by = $4 where id = $1 returning ${APPROVAL_COLUMNS}`,
      [approvalId, decision, at, by],
    );
    await audit(tx, decisionAudit);
    if (row === undefined) throw new Error(`approval ${approvalId} vanished inside its transaction`);
    return row;
  });
}

/** Approvals for `did` that are approved and unexpired at `at`. */
export async function activeApprovals(ctx: PgContext, did: string, at: number): Promise<ApprovalRecord[]> {
  const target = checkRandomId(did, "did");
  const now = checkTime(at, "at");
  return ctx.rows<ApprovalRecord>(
    `select ${APPROVAL_COLUMNS} from approvals where did = $1 and status = 'approved' and expires_at > $2
     order by created_at, id`,
    [target, now],
  );
}

/**
 * The pending, unexpired approval request for exactly this call on `did`, if one exists: a refused
 * call retried before an operator decides reuses it instead of queueing another request.
 */
export async function pendingApproval(
  ctx: PgContext,
  subject: { readonly did: string; readonly action: string; readonly resource: string },
  at: number,
): Promise<ApprovalRecord | undefined> {
  const value = checkObject(subject, "subject");
  const did = checkRandomId(value.did, "subject.did");
  const action = checkText(value.action, "subject.action", INPUT_LIMITS.maxTargetLength);
  const resource = checkText(value.resource, "subject.resource", INPUT_LIMITS.maxTargetLength);
  const now = checkTime(at, "at");
  return ctx.row<ApprovalRecord>(
    `select ${APPROVAL_COLUMNS} from approvals
     where did = $1 and action = $2 and resource = $3 and status = 'pending' and expires_at > $4
     order by created_at desc, id limit 1`,
    [did, action, resource, now],
  );
}
