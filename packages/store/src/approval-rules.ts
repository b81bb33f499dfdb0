/**
 * Step-up approvals' rules, written once for every adapter: a request is for the live delegation
 * it names, within a cap on pending requests; an operator decides it once, before it expires.
 */
import { INPUT_LIMITS } from "@baton/token";
import {
  type CheckedDecision,
  checkAgentId,
  checkApprovalId,
  checkAudit,
  checkCount,
  checkDelegationId,
  checkLimit,
  checkObject,
  checkTaskId,
  checkText,
  checkTime,
  invalidInput,
  MAX_NAME_LENGTH,
} from "./input-checks.ts";
import { conflict, notFound, revoked } from "./rule-errors.ts";
import type { ApprovalRecord, ApprovalStatus, DelegationRecord } from "./store.ts";
import { StoreError } from "./store-error.ts";

/** The largest `maxPending` a caller may set. */
export const MAX_PENDING_LIMIT = 1_000_000;

/** An approval request, checked. */
export interface CheckedApprovalRequest {
  readonly id: string;
  readonly did: string;
  readonly agent: string;
  readonly task: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
  readonly at: number;
  readonly expiresAt: number;
  /** Refuse when the delegation already has this many pending, unexpired requests. */
  readonly maxPending: number | undefined;
  readonly audit: CheckedDecision | null;
}

export function checkCreateApprovalInput(input: unknown): CheckedApprovalRequest {
  const value = checkObject(input, "approval");
  const id = checkApprovalId(value.id, "approval.id");
  const did = checkDelegationId(value.did, "approval.did");
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
      : checkCount(value.maxPending, "approval.maxPending", MAX_PENDING_LIMIT);
  const audit = checkAudit(value.audit, "approval.audit");
  return { id, did, agent, task, action, resource, reason, at, expiresAt, maxPending, audit };
}

/** What a request's transaction read. */
export interface CreateApprovalFacts {
  readonly idTaken: boolean;
  readonly delegation: Pick<DelegationRecord, "task" | "to"> | undefined;
  readonly agentExists: boolean;
  readonly taskExists: boolean;
  /** Why the delegation is not live (revoked, task closed, agent disabled…), if it is not. */
  readonly notLive: string | undefined;
  /** The delegation's pending requests unexpired at `at`; read when `maxPending` is set. */
  readonly pending: number;
}

/**
 * A request names a new id and a live delegation, its holder and its task, and stays under the
 * caller's cap on pending requests (counted in the same write transaction, so concurrent
 * requests cannot both pass).
 */
export function createApprovalFits(approval: CheckedApprovalRequest, facts: CreateApprovalFacts): void {
  if (facts.idTaken) throw conflict("approval.id", `approval ${approval.id} already exists`);
  if (facts.delegation === undefined) throw notFound("approval.did", `no delegation ${approval.did}`);
  if (!facts.agentExists) throw notFound("approval.agent", `no agent ${approval.agent} is registered`);
  if (!facts.taskExists) throw notFound("approval.task", `no task ${approval.task}`);
  const delegation = facts.delegation;
  if (delegation.task !== approval.task)
    throw invalidInput("approval.task", `must be the delegation's task ${delegation.task}`);
  if (delegation.to !== approval.agent)
    throw invalidInput("approval.agent", `must be the delegation's holder ${delegation.to}`);
  if (facts.notLive !== undefined)
    throw revoked("approval.did", `delegation ${approval.did} is not live (${facts.notLive})`);
  if (approval.maxPending !== undefined && facts.pending >= approval.maxPending) {
    throw new StoreError(
      "approval_limit",
      `approval.did: delegation ${approval.did} already has ${facts.pending} pending approval requests (the limit is ${approval.maxPending}); an operator must approve or deny some (baton approvals list) before it can ask for more`,
      { field: "approval.did" },
    );
  }
}

export interface CheckedApprovalListing {
  readonly status: ApprovalStatus | undefined;
  readonly limit: number;
}

export function checkListApprovalsOptions(options: unknown): CheckedApprovalListing {
  const input = checkObject(options, "options");
  const status = input.status;
  if (status !== undefined && status !== "pending" && status !== "approved" && status !== "denied") {
    throw invalidInput("options.status", "must be pending, approved or denied");
  }
  return { status, limit: checkLimit(input.limit, "options.limit", INPUT_LIMITS.maxPageSize, 100) };
}

/** An operator's decision, checked. */
export interface CheckedApprovalDecision {
  readonly id: string;
  readonly decision: "approved" | "denied";
  readonly by: string;
  readonly at: number;
  readonly audit: CheckedDecision | null;
}

export function checkDecideApprovalInput(id: unknown, input: unknown): CheckedApprovalDecision {
  const approvalId = checkApprovalId(id, "approval");
  const value = checkObject(input, "input");
  const decision = value.decision;
  if (decision !== "approved" && decision !== "denied")
    throw invalidInput("input.decision", "must be approved or denied");
  return {
    id: approvalId,
    decision,
    by: checkText(value.by, "input.by", MAX_NAME_LENGTH),
    at: checkTime(value.at, "input.at"),
    audit: checkAudit(value.audit, "input.audit"),
  };
}

/** What a decision's transaction read: the approval, if it exists. */
export interface DecideApprovalFacts {
  readonly approval: Pick<ApprovalRecord, "status" | "expiresAt"> | undefined;
}

/** An approval is decided once, while pending and before it expires. */
export function decideApprovalFits(decision: CheckedApprovalDecision, facts: DecideApprovalFacts): void {
  const { id } = decision;
  if (facts.approval === undefined) throw notFound("approval", `no approval ${id}`);
  // These two messages name the approval without the field prefix; callers match them as they are.
  if (facts.approval.status !== "pending") {
    throw new StoreError("conflict", `approval ${id} was already ${facts.approval.status}`, {
      field: "approval",
    });
  }
  if (decision.at >= facts.approval.expiresAt) {
    throw new StoreError("conflict", `approval ${id} expired; the agent must ask again`, {
      field: "approval",
    });
  }
}

export function checkActiveApprovalsInput(did: unknown, at: unknown): { did: string; at: number } {
  return { did: checkDelegationId(did, "did"), at: checkTime(at, "at") };
}

/** The call a pending request is looked up for, checked. */
export interface CheckedApprovalSubject {
  readonly did: string;
  readonly action: string;
  readonly resource: string;
  readonly at: number;
}

export function checkPendingApprovalInput(subject: unknown, at: unknown): CheckedApprovalSubject {
  const value = checkObject(subject, "subject");
  return {
    did: checkDelegationId(value.did, "subject.did"),
    action: checkText(value.action, "subject.action", INPUT_LIMITS.maxTargetLength),
    resource: checkText(value.resource, "subject.resource", INPUT_LIMITS.maxTargetLength),
    at: checkTime(at, "at"),
  };
}
