/** Approve or deny: the operator decides a pending step-up request; the decision is logged with it. */
import type { ApprovalRecord } from "@baton/store/contract";
import { recorded, type UseCaseContext } from "../context.ts";
import { refusals } from "../use-case-error.ts";

/** The operator's answer to a step-up request. */
export type ApprovalAnswer = "approve" | "deny";

/** Decides approval `id`; a 404 when it does not exist (the store refuses one already decided). */
export function decideApproval(
  ctx: UseCaseContext,
  id: string,
  answer: ApprovalAnswer,
): Promise<ApprovalRecord> {
  return recorded(ctx, async () => {
    const approval = await ctx.store.getApproval(id);
    if (approval === undefined) throw refusals.notFound(`approval ${id} does not exist`);
    const now = ctx.now();
    return await ctx.store.decideApproval(id, {
      decision: answer === "approve" ? "approved" : "denied",
      by: "operator",
      at: now,
      audit: {
        at: now,
        kind: answer === "approve" ? "approve" : "deny_approval",
        decision: answer === "approve" ? "allow" : "deny",
        task: approval.task,
        did: approval.did,
        action: approval.action,
        resource: approval.resource,
        reasons: [],
        detail: { by: "operator", approval: id, agent: approval.agent },
      },
    });
  });
}
