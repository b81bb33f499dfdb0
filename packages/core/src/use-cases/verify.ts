/**
 * Verify: re-authorize a presented chain for one call at a tool server, now (DESIGN.md,
 * "Re-authorizing a chain"). Every outcome is a decision, returned and logged; a step-up opens an
 * approval request and names it.
 */
import { argsDigest, type Decision, type PolicyHook, type Reason, verifyPresentation } from "@baton/verifier";
import { recorded, type UseCaseContext } from "../context.ts";
import { attribution, audienceReporter, callRecord } from "../decision-records.ts";
import { recordApprovalRequest } from "../step-up.ts";
import { refusals } from "../use-case-error.ts";

/** Who asked for the check: a tool server by its audience secret, or the operator. */
export type ToolServerCaller =
  | { readonly kind: "operator" }
  | { readonly kind: "audience"; readonly audience: string };

/** One call to check: the chain and proof the tool server received, and what the call does. */
export interface CallCheck {
  readonly chain: string;
  readonly proof?: string | undefined;
  /** The method and public URL of the call, for the proof's `htm` and `htu`. */
  readonly htm?: string | undefined;
  readonly htu?: string | undefined;
  readonly audience: string;
  readonly action: string;
  readonly resource: string;
  readonly args?: Readonly<Record<string, unknown>> | undefined;
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

/** The verifier's decision; a step-up also names its pending approval. */
export type CallDecision = Decision & { readonly approval?: string };

/** The refusal of a call or report about another audience than the caller's secret names. */
export function wrongAudienceMessage(audience: string): string {
  return `this audience secret is not for audience ${audience}`;
}

/**
 * Decides `call` now on behalf of `caller`; the decision (allow, deny or step_up) is logged. An
 * audience secret may only ask about its own audience (403 `forbidden`, not a decision).
 */
export function verify(
  ctx: UseCaseContext,
  caller: ToolServerCaller,
  call: CallCheck,
): Promise<CallDecision> {
  return recorded(ctx, async () => {
    // An audience secret speaks for its own audience only.
    if (caller.kind === "audience" && caller.audience !== call.audience)
      throw refusals.forbidden(wrongAudienceMessage(call.audience));
    const now = ctx.now();
    // Policy sees what the graph knows about the task (intent, age, business hours) besides what
    // the tool server declared; the graph's facts win.
    // The graph is read before the pure verifier runs: the chain's statuses and the presented
    // task's facts, which policy sees only once the root verified as naming that task.
    const {
      statuses,
      task: presentedTask,
      taskFacts: facts,
    } = await ctx.presentedFacts(ctx.presentedLinks(call.chain));
    // The policies that permitted the call are kept for the log: "why was this allowed?" names them.
    let permittedBy: readonly string[] = [];
    const withTaskFacts: PolicyHook = (input) => {
      const task = input.hops[0]?.tsk;
      const outcome = ctx.policy(
        task === undefined
          ? input
          : { ...input, context: { ...input.context, ...(task === presentedTask ? facts : {}) } },
      );
      if (outcome.decision === "allow") permittedBy = outcome.policies ?? [];
      return outcome;
    };
    const decision = verifyPresentation(
      {
        chain: call.chain,
        proof: call.proof,
        method: (call.htm ?? "").toUpperCase(),
        url: call.htu ?? "",
        action: call.action,
        resource: call.resource,
        ...(call.args === undefined ? {} : { args: call.args }),
        ...(call.context === undefined ? {} : { context: call.context }),
      },
      {
        ...ctx.chainEnvironment(now, statuses),
        audience: call.audience,
        replayCache: ctx.replayCache,
        proofMaxAgeSeconds: ctx.settings.proofMaxAge,
        policy: withTaskFacts,
      },
    );
    // The service decided, at the request of a tool server (or the operator).
    const record = callRecord(decision, {
      at: now,
      kind: "verify",
      reporter: "service",
      audience: call.audience,
      action: call.action.slice(0, 512),
      resource: call.resource.slice(0, 512),
      argsDigest: argsDigest(call.args),
      detail: {
        requestedBy: caller.kind === "operator" ? "operator" : audienceReporter(caller.audience),
        ...(decision.decision === "allow" && permittedBy.length > 0 ? { policies: [...permittedBy] } : {}),
      },
    });
    const leaf = decision.chain[decision.chain.length - 1];
    if (decision.decision === "step_up" && leaf !== undefined && decision.task !== null) {
      // The approval is for this call by this delegation; the step_up decision is logged with it.
      const reason: Reason = decision.reasons[0] ?? {
        hop: null,
        code: "step_up_required",
        message: "an operator must approve this call",
      };
      const approval = await recordApprovalRequest(ctx, {
        now,
        kind: "verify",
        leaf: { did: leaf.did, sub: leaf.sub, tsk: decision.task, jti: leaf.jti },
        action: call.action,
        resource: call.resource,
        reason,
        audience: call.audience,
        detail: record.detail as Record<string, unknown>,
        by: attribution(decision),
        ...(record.argsDigest === undefined ? {} : { argsDigest: record.argsDigest }),
      });
      return { ...decision, approval };
    }
    await ctx.audit(record);
    return decision;
  });
}
