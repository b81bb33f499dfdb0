import type { TokenClaims } from "@baton/token";
import type { Reason } from "./decision.ts";

/** What runtime policy sees: the whole verified chain and the call, at `now`. */
export interface PolicyContext {
  /** `delegate` when a hop is being issued, `use` when a tool call is being made. */
  readonly kind: "delegate" | "use";
  readonly now: number;
  /** Claims of every hop, root first; the last is the leaf (or, for `delegate`, the parent). */
  readonly hops: readonly TokenClaims[];
  readonly audience: string;
  readonly action: string;
  readonly resource: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Facts the caller declares: sensitivity, reversibility, the delegate, intent, … */
  readonly context: Readonly<Record<string, unknown>>;
  /**
   * Approval ids in the leaf's `apv` that cover exactly this action and resource for the leaf's
   * `did` (see approvals.ts). A policy may let these lift a step-up; never anything else.
   */
  readonly approved?: readonly string[];
}

/** A policy's answer. `policies` names the policies that determined it, for the audit log. */
export interface PolicyOutcome {
  readonly decision: "allow" | "deny" | "step_up";
  readonly message?: string;
  readonly policies?: readonly string[];
}

/** Runtime policy, consulted last, once every other check has passed. Must be synchronous and pure. */
export type PolicyHook = (context: PolicyContext) => PolicyOutcome;

/**
 * The reason a refusing policy outcome gives: `step_up_required` or `policy_denied`,
 * attributed to `hop`, carrying the determining policy ids. `fallback` is the message to use when
 * the policy gave none.
 */
export function policyReason(outcome: PolicyOutcome, hop: number, fallback: string): Reason {
  return {
    hop,
    code: outcome.decision === "step_up" ? "step_up_required" : "policy_denied",
    message: outcome.message ?? fallback,
    ...(outcome.policies === undefined ? {} : { policies: outcome.policies }),
  };
}
