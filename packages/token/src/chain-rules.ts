/**
 * The rules that tie a hop to its parent (DESIGN.md "Re-authorizing a chain", checks 5 to 8).
 * Each function returns every rule the hop breaks, not just the first, so a refusal names all of
 * them. Pure: the caller supplies `now`.
 */
import type { TokenClaims } from "./claims.ts";
import { sha256Base64url } from "./digest.ts";
import { type Capability, capsCover } from "./scope.ts";
import { TokenError } from "./token-error.ts";

/** One verified token of a chain: its exact bytes and its parsed claims. */
export interface ChainToken {
  readonly compact: string;
  readonly claims: TokenClaims;
}

/** True when `child` audiences are all allowed by `parent` (only a parent `*` allows any). */
export function audiencesCover(parent: readonly string[], child: readonly string[]): boolean {
  if (parent.includes("*")) return true;
  return child.every((audience) => audience !== "*" && parent.includes(audience));
}

/**
 * Checks that the token at position `hop` (≥ 1) is a faithful child of `parent`: linked to it
 * (`chain_broken`, `delegator_mismatch`, `task_mismatch`), within its depth (`depth_exceeded`),
 * and no wider in scope, audience or lifetime (`scope_widening`, `audience_widening`,
 * `lifetime_widening`).
 */
export function checkHopAgainstParent(parent: ChainToken, child: ChainToken, hop: number): TokenError[] {
  const p = parent.claims;
  const c = child.claims;
  // Each refusal is pushed where it is found, not through a closure made per call: this runs for
  // every hop of every chain presented.
  const errors: TokenError[] = [];
  if (c.dpt !== hop || c.dpt !== p.dpt + 1)
    errors.push(hopError(hop, "chain_broken", `dpt is ${c.dpt} at position ${hop} of the chain`, "dpt"));
  if (c.par !== p.did)
    errors.push(
      hopError(hop, "chain_broken", "par does not name the parent's did: this hop belongs elsewhere", "par"),
    );
  if (c.prf !== sha256Base64url(parent.compact)) {
    errors.push(
      hopError(
        hop,
        "chain_broken",
        "prf does not match the parent token's bytes: the parent was swapped or re-issued",
        "prf",
      ),
    );
  }
  if (c.iss !== p.iss)
    errors.push(hopError(hop, "chain_broken", "iss differs from the parent's issuer", "iss"));
  if (c.dlg !== p.sub)
    errors.push(
      hopError(hop, "delegator_mismatch", `dlg ${c.dlg} is not the parent's holder ${p.sub}`, "dlg", {
        dlg: c.dlg ?? null,
        parentSub: p.sub,
      }),
    );
  if (c.tsk !== p.tsk)
    errors.push(
      hopError(hop, "task_mismatch", `tsk ${c.tsk} differs from the parent's task ${p.tsk}`, "tsk", {
        tsk: c.tsk,
        parentTsk: p.tsk,
      }),
    );

  if (p.mdp < 1)
    errors.push(
      hopError(hop, "depth_exceeded", "the parent allows no further delegation (mdp 0)", "mdp", {
        parentMdp: p.mdp,
      }),
    );
  else if (c.mdp > p.mdp - 1)
    errors.push(
      hopError(hop, "depth_exceeded", `mdp ${c.mdp} exceeds the parent's mdp − 1 = ${p.mdp - 1}`, "mdp", {
        mdp: c.mdp,
        parentMdp: p.mdp,
      }),
    );

  const uncovered: Capability[] = capsCover(p.cap, c.cap);
  if (uncovered.length > 0) {
    const names = uncovered.map((capability) => `${capability.act} on ${capability.res}`).join(", ");
    errors.push(
      hopError(hop, "scope_widening", `not covered by any parent capability: ${names}`, "cap", {
        uncovered,
        parentCap: p.cap,
      }),
    );
  }
  if (!audiencesCover(p.aud, c.aud))
    errors.push(
      hopError(hop, "audience_widening", "aud names an audience the parent does not allow", "aud", {
        aud: c.aud,
        parentAud: p.aud,
      }),
    );
  if (c.exp > p.exp)
    errors.push(
      hopError(hop, "lifetime_widening", "exp is later than the parent's exp", "exp", {
        exp: c.exp,
        parent: p.exp,
      }),
    );
  if (c.rvl > p.rvl)
    errors.push(
      hopError(hop, "lifetime_widening", "rvl is later than the parent's rvl", "rvl", {
        rvl: c.rvl,
        parent: p.rvl,
      }),
    );
  if (c.iat < p.iat)
    errors.push(
      hopError(hop, "lifetime_widening", "iat is earlier than the parent's iat", "iat", {
        iat: c.iat,
        parent: p.iat,
      }),
    );
  if (c.nbf < p.nbf)
    errors.push(
      hopError(hop, "lifetime_widening", "nbf is earlier than the parent's nbf", "nbf", {
        nbf: c.nbf,
        parent: p.nbf,
      }),
    );
  return errors;
}

function hopError(
  hop: number,
  code: TokenError["code"],
  message: string,
  claim: string,
  evidence?: Readonly<Record<string, unknown>>,
): TokenError {
  return new TokenError(code, message, evidence === undefined ? { hop, claim } : { hop, claim, evidence });
}

/** Checks that a chain's first token is a root grant (`chain_broken` otherwise). */
export function checkRoot(root: ChainToken): TokenError[] {
  return root.claims.dpt === 0
    ? []
    : [
        new TokenError("chain_broken", "the chain must start with a root grant (dpt 0)", {
          hop: 0,
          claim: "dpt",
        }),
      ];
}

/**
 * Checks a token's time window at `now` (seconds), allowing `skewSeconds` of clock difference:
 * `not_yet_valid`, `expired`, `revalidation_due`. Revalidation gets no skew: it is the service's
 * own deadline, and the holder can always revalidate early.
 */
export function checkTime(claims: TokenClaims, now: number, skewSeconds: number, hop: number): TokenError[] {
  const errors: TokenError[] = [];
  if (now < claims.nbf - skewSeconds) {
    errors.push(
      new TokenError("not_yet_valid", `not valid before ${claims.nbf}; now is ${now}`, {
        hop,
        claim: "nbf",
        evidence: { nbf: claims.nbf, now, skew: skewSeconds },
      }),
    );
  }
  if (now >= claims.exp + skewSeconds) {
    errors.push(
      new TokenError("expired", `expired at ${claims.exp}; now is ${now}`, {
        hop,
        claim: "exp",
        evidence: { exp: claims.exp, now, skew: skewSeconds },
      }),
    );
  } else if (now >= claims.rvl) {
    errors.push(
      new TokenError("revalidation_due", `revalidation was due at ${claims.rvl}; call /v1/revalidate`, {
        hop,
        claim: "rvl",
        evidence: { rvl: claims.rvl, now },
      }),
    );
  }
  return errors;
}
