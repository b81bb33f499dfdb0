import type { TokenClaims } from "@baton/token";

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
}

/** A policy's answer. `policies` names the policies that determined it, for the audit log. */
export interface PolicyOutcome {
  readonly decision: "allow" | "deny" | "step_up";
  readonly message?: string;
  readonly policies?: readonly string[];
}

/** Runtime policy, consulted last, once every other check has passed. Must be synchronous and pure. */
export type PolicyHook = (context: PolicyContext) => PolicyOutcome;
