/**
 * The shapes the policy package exchanges with its callers. They mirror `@baton/verifier`'s
 * `PolicyContext`/`PolicyOutcome`/`PolicyHook` structurally (the verifier does not depend on Cedar,
 * and this package does not depend on the verifier), so a hook built here is a verifier hook.
 */

/** The claims of one verified hop that policy reads. */
export interface PolicyHopClaims {
  readonly sub: string;
  readonly dlg?: string | undefined;
  readonly did: string;
  readonly dpt: number;
  readonly tsk: string;
  readonly iat: number;
  readonly apv?: readonly string[] | undefined;
}

/** What the verifier (or the service) asks policy about: one hop being issued, or one call. */
export interface PolicyInput {
  readonly kind: "delegate" | "use";
  /** Seconds since the epoch. */
  readonly now: number;
  /** Claims of every hop, root first; the last is the leaf (for `delegate`, the delegating hop). */
  readonly hops: readonly PolicyHopClaims[];
  readonly audience: string;
  readonly action: string;
  readonly resource: string;
  readonly args: Readonly<Record<string, unknown>>;
  /**
   * Declared facts: `sensitivity`, `reversible` (tool servers, per route); `to`, `intent`,
   * `taskIntent`, `taskOpenedAt`, `taskHours` (the service, which knows the graph).
   */
  readonly context: Readonly<Record<string, unknown>>;
  /** Approval ids held by the leaf that cover exactly this action and resource for its `did`. */
  readonly approved?: readonly string[] | undefined;
}

/** The answer: `policies` names the determining policy ids (or approvals), for the decision log. */
export interface PolicyDecision {
  readonly decision: "allow" | "deny" | "step_up";
  readonly message?: string;
  readonly policies?: readonly string[];
}

/** A synchronous runtime policy; assignable to `@baton/verifier`'s `PolicyHook`. */
export type PolicyFunction = (input: PolicyInput) => PolicyDecision;

/**
 * A task's business hours as policy reads them: ISO weekdays (1 = Monday) and minutes of the day,
 * end exclusive. The minutes view of `TaskHours` (@baton/token), which the service converts.
 */
export interface BusinessHours {
  readonly days: readonly number[];
  readonly start: number;
  readonly end: number;
}
