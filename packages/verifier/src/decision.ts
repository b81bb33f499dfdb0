import type { Reason, TokenError } from "@baton/token";

/** What a verifier concluded. `step_up` means: allowed once an operator approves. */
export type DecisionKind = "allow" | "deny" | "step_up";

/** One failed check: the one `Reason` shape, defined in @baton/token's contract. */
export type { Reason };

/** One verified hop as the decision reports it. */
export interface ChainEntry {
  readonly did: string;
  readonly jti: string;
  readonly sub: string;
  readonly dlg: string | null;
  readonly dpt: number;
}

/**
 * One token of the chain as it was presented, verified or not. `did` and `sub` are what the token
 * claims (null when it could not be read at all); `verified` says whether the hop passed every
 * chain check (signature, claims, link, attenuation, time, status).
 */
export interface PresentedHop {
  readonly did: string | null;
  readonly sub: string | null;
  readonly verified: boolean;
}

/**
 * Who presented the chain: the leaf holder. `proven` only when every hop verified and the leaf
 * holder's DPoP proof for this request was valid; otherwise `agent` is what the leaf token claims
 * (null when it could not be read), never an ancestor's holder.
 */
export interface Actor {
  readonly agent: string | null;
  readonly proven: boolean;
}

/**
 * The result of re-authorizing a chain for one request. A deny names every failed check of the
 * first failing hop (or of the request, once every hop passed), and the hops verified up to it.
 */
export interface Decision {
  readonly decision: DecisionKind;
  readonly reasons: readonly Reason[];
  /** The hops whose signature and claims verified, root first, up to the first failing hop. */
  readonly chain: readonly ChainEntry[];
  readonly task: string | null;
  readonly actor: Actor;
  /** Every token of the presented chain, root first, with how far the chain verified. */
  readonly presented: readonly PresentedHop[];
}

/** Turns token-level refusals into decision reasons. */
export function reasonsFrom(errors: readonly TokenError[], fallbackHop: number | null): Reason[] {
  return errors.map((error) => ({
    hop: error.hop ?? fallbackHop,
    code: error.code,
    message: error.message,
    ...(error.claim === undefined ? {} : { claim: error.claim }),
    ...(error.evidence === undefined ? {} : { evidence: error.evidence }),
  }));
}

/** The actor and presented hops of a request that never got as far as a chain (no credentials). */
export const NO_PRESENTATION: Pick<Decision, "actor" | "presented"> = Object.freeze({
  actor: Object.freeze({ agent: null, proven: false }),
  presented: Object.freeze([]) as readonly PresentedHop[],
});
