/**
 * Step-up: a policy asked for an operator's approval. The pending approval and the `step_up`
 * decision are written in one transaction; a retry reuses the pending request.
 */
import { type DecisionInput, isStoreError } from "@baton/store/contract";
import { newApprovalId, type Reason } from "@baton/verifier";
import type { UseCaseContext } from "./context.ts";
import { type Attribution, jsonDetail, storeReasons } from "./decision-records.ts";
import { UseCaseError } from "./use-case-error.ts";

/** What a step-up is about: the hop or call, who asks, and the policy's reason. */
export interface ApprovalRequest {
  readonly now: number;
  /** The decision-log kind of the refused request (`delegate`, `verify`). */
  readonly kind: string;
  /** The claims of the token whose `did` the approval is for (the presenting leaf). */
  readonly leaf: { readonly did: string; readonly sub: string; readonly tsk: string; readonly jti: string };
  readonly action: string;
  readonly resource: string;
  readonly reason: Reason;
  readonly detail?: Record<string, unknown>;
  readonly audience?: string;
  /** Who presented the chain, and the chain as presented. */
  readonly by: Attribution;
  readonly argsDigest?: string;
}

/**
 * Records a step-up: a pending approval for this `did`, action and resource, and the `step_up`
 * decision in the same transaction. Returns the approval id. Throws a 429 `approval_limit`
 * (carrying the step-up decision, marked refused) when the delegation has too many open.
 */
export async function recordApprovalRequest(ctx: UseCaseContext, request: ApprovalRequest): Promise<string> {
  const { now, leaf } = request;
  const action = request.action.slice(0, 512);
  const resource = request.resource.slice(0, 512);
  // A retry before the operator decides reuses the pending request: one call, one request, so an
  // agent cannot flood the approvals queue by repeating a refused call.
  const pending = await ctx.store.pendingApproval({ did: leaf.did, action, resource }, now);
  const id =
    pending?.id ?? newApprovalId({ did: leaf.did, action: request.action, resource: request.resource });
  const audit: DecisionInput = {
    at: now,
    kind: request.kind,
    decision: "step_up",
    task: leaf.tsk,
    did: leaf.did,
    jti: leaf.jti,
    ...request.by,
    ...(request.audience === undefined ? {} : { audience: request.audience }),
    action,
    resource,
    ...(request.argsDigest === undefined ? {} : { argsDigest: request.argsDigest }),
    reasons: storeReasons([request.reason]),
    detail: jsonDetail({
      ...request.detail,
      approval: id,
      ...(pending === undefined ? {} : { reused: true }),
    }),
  };
  if (pending !== undefined) {
    await ctx.audit(audit);
    return id;
  }
  try {
    await ctx.store.createApproval({
      id,
      did: leaf.did,
      agent: leaf.sub,
      task: leaf.tsk,
      action,
      resource,
      reason: request.reason.message.slice(0, 1024),
      at: now,
      expiresAt: now + ctx.approvalTtl,
      maxPending: ctx.maxPendingApprovals,
      audit,
    });
  } catch (error) {
    if (!isStoreError(error, "approval_limit")) throw error;
    // The step-up is still a decision: logged, with the request that could not be opened.
    throw new UseCaseError({
      status: 429,
      code: "approval_limit",
      message: `delegation ${leaf.did} already has ${ctx.maxPendingApprovals} pending approval requests; an operator must approve or deny some (baton approvals list) before it can ask for more`,
      decision: {
        ...audit,
        detail: jsonDetail({ ...request.detail, approval: null, refused: "approval_limit" }),
      },
    });
  }
  return id;
}

/** A step-up at an agent endpoint: the approval is recorded and the 403 names it. */
export async function stepUpRefusal(ctx: UseCaseContext, request: ApprovalRequest): Promise<UseCaseError> {
  const approval = await recordApprovalRequest(ctx, request);
  return new UseCaseError({
    status: 403,
    code: "step_up_required",
    message: `${request.reason.message}; approval ${approval} is pending`,
    reasons: [request.reason],
    extra: { decision: "step_up", approval },
  });
}
