/**
 * Evaluate access: the OpenID AuthZEN door onto {@link verify} (issue 20). A question carrying a
 * delegation chain in `subject.properties.baton_chain` is that chain presented for one call and
 * re-authorized hop by hop, exactly as `POST /v1/verify` does it (same checks, same decision
 * record); the proof and request line come from `context.baton_pop`, forwarded by the PEP, and a
 * missing proof is `pop_missing`. Nothing else in the question is trusted. A question without a
 * chain is decided by the access policy set alone.
 */
import type { AccessAnswer, AccessQuestion } from "@baton/policy";
import type { UseCaseContext } from "../context.ts";
import { type CallDecision, type ToolServerCaller, verify } from "./verify.ts";

/** The PEP-forwarded proof of possession and the request line it was made for. */
export interface ForwardedProof {
  readonly dpop?: string | undefined;
  readonly htm?: string | undefined;
  readonly htu?: string | undefined;
}

/** One AuthZEN question, parsed: `chain` and `pop` are lifted out of the subject and context. */
export interface AccessEvaluation extends AccessQuestion {
  /** The presented chain `t0~…~tn`, when the subject carries one. */
  readonly chain?: string | undefined;
  readonly pop?: ForwardedProof | undefined;
}

/** What decided: the chain (and policy over it), or the access policy alone. */
export type AccessVerdict =
  | {
      readonly by: "chain";
      readonly decision: CallDecision;
      /** For a step-up: when the pending approval request expires (seconds since the epoch). */
      readonly approvalExpiresAt?: number;
    }
  | { readonly by: "policy"; readonly answer: AccessAnswer };

/** The Baton resource an AuthZEN resource names: `<type>:<id>` (scheme and path). */
export function batonResource(resource: { readonly type: string; readonly id: string }): string {
  return `${resource.type}:${resource.id}`;
}

/** Decides one AuthZEN question for the tool server whose audience secret asked. */
export async function evaluateAccess(
  ctx: UseCaseContext,
  caller: Extract<ToolServerCaller, { kind: "audience" }>,
  question: AccessEvaluation,
): Promise<AccessVerdict> {
  if (question.chain === undefined) return { by: "policy", answer: ctx.accessPolicy(question) };
  const decision = await verify(ctx, caller, {
    chain: question.chain,
    proof: question.pop?.dpop,
    htm: question.pop?.htm,
    htu: question.pop?.htu,
    audience: caller.audience,
    action: question.action.name,
    resource: batonResource(question.resource),
    args: question.action.properties,
    context: question.context,
  });
  if (decision.approval === undefined) return { by: "chain", decision };
  const approval = await ctx.store.getApproval(decision.approval);
  return {
    by: "chain",
    decision,
    ...(approval === undefined ? {} : { approvalExpiresAt: approval.expiresAt }),
  };
}
