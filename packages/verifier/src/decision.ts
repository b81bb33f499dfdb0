import type { ReasonCode, TokenError } from "@baton/token";

/** What a verifier concluded. `step_up` means: allowed once an operator approves. */
export type DecisionKind = "allow" | "deny" | "step_up";

/** One failed check: which hop (root = 0; null for the chain as a whole), its code, and advice. */
export interface Reason {
  readonly hop: number | null;
  readonly code: ReasonCode;
  readonly message: string;
  /** Policy ids that determined a policy outcome, when there are any. */
  readonly policies?: readonly string[];
}

/** One verified hop as the decision reports it. */
export interface ChainEntry {
  readonly did: string;
  readonly jti: string;
  readonly sub: string;
  readonly dlg: string | null;
  readonly dpt: number;
}

/**
 * The result of re-authorizing a chain for one request. A deny names every failed check of the
 * first failing hop (or of the request, once every hop passed), and the hops verified up to it.
 */
export interface Decision {
  readonly decision: DecisionKind;
  readonly reasons: readonly Reason[];
  readonly chain: readonly ChainEntry[];
  readonly task: string | null;
}

/** Turns token-level refusals into decision reasons. */
export function reasonsFrom(errors: readonly TokenError[], fallbackHop: number | null): Reason[] {
  return errors.map((error) => ({ hop: error.hop ?? fallbackHop, code: error.code, message: error.message }));
}
