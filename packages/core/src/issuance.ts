/**
 * Building the claims of a root grant, a hop and a re-issued token. Pure apart from random ids:
 * `now` and every bound come in as arguments. A hop request wider than its parent is refused with
 * the verifier's reason codes, never clamped (DESIGN.md: "refusal, not repair"); fields left out
 * default to the narrowest sensible value within the parent.
 */
import {
  type Capability,
  type ChainToken,
  checkHopAgainstParent,
  delegationIdAt,
  randomId,
  sha256Base64url,
  type TokenClaims,
  TokenError,
} from "@baton/token";

/** What an operator asks for in a root grant, after validation and defaults. */
export interface RootClaimsInput {
  readonly issuer: string;
  readonly agent: string;
  readonly jkt: string;
  readonly task: string;
  readonly cap: readonly Capability[];
  readonly aud: readonly string[];
  readonly now: number;
  readonly ttl: number;
  readonly rvi: number;
  readonly mdp: number;
}

/** The claims of a root grant. */
export function rootClaims(input: RootClaimsInput): TokenClaims {
  const exp = input.now + input.ttl;
  return {
    iss: input.issuer,
    sub: input.agent,
    jti: randomId(),
    did: delegationIdAt(input.now),
    dpt: 0,
    mdp: input.mdp,
    tsk: input.task,
    cap: input.cap,
    aud: input.aud,
    iat: input.now,
    nbf: input.now,
    exp,
    rvl: Math.min(input.now + input.rvi, exp),
    cnf: { jkt: input.jkt },
  };
}

/** A hop request after schema validation; absent fields take their defaults. */
export interface HopRequest {
  readonly to: string;
  readonly toJkt: string;
  readonly cap: readonly Capability[];
  readonly aud?: readonly string[] | undefined;
  readonly ttl?: number | undefined;
  readonly rvi?: number | undefined;
  readonly mdp?: number | undefined;
}

/** Service bounds and defaults for a hop. */
export interface HopBounds {
  readonly now: number;
  readonly defaultTtl: number;
  /** The revalidation interval a hop gets when it asks for none: the service default, or the parent's if shorter. */
  readonly defaultRvi: number;
}

/** The candidate hop claims, or every rule it would break. */
export type HopClaimsResult =
  | { readonly ok: true; readonly claims: TokenClaims; readonly rvi: number }
  | { readonly ok: false; readonly errors: readonly TokenError[] };

/**
 * Builds the claims of a hop below `parent` (the presented leaf, at position `hop - 1`), and
 * checks them with the same rules a verifier applies (`checkHopAgainstParent`), so a refusal
 * carries exactly the reason code a verifier would give the widened token.
 */
export function hopClaims(
  parent: ChainToken,
  hop: number,
  request: HopRequest,
  bounds: HopBounds,
): HopClaimsResult {
  const p = parent.claims;
  const { now } = bounds;
  const iat = Math.max(now, p.iat);
  const nbf = Math.max(now, p.nbf, iat);
  const exp = request.ttl === undefined ? Math.min(nbf + bounds.defaultTtl, p.exp) : nbf + request.ttl;
  const rvi = request.rvi ?? bounds.defaultRvi;
  const rvl = request.rvi === undefined ? Math.min(nbf + rvi, exp, p.rvl) : Math.min(nbf + request.rvi, exp);
  const mdp = request.mdp ?? Math.max(p.mdp - 1, 0);
  const errors: TokenError[] = [];
  if (exp <= nbf)
    errors.push(
      new TokenError("expired", "the parent token expires now; nothing can be issued under it", {
        hop: hop - 1,
      }),
    );
  if (rvl <= nbf) {
    errors.push(
      new TokenError("revalidation_due", "the parent must be revalidated before it can delegate", {
        hop: hop - 1,
      }),
    );
  }
  const claims: TokenClaims = {
    iss: p.iss,
    sub: request.to,
    dlg: p.sub,
    jti: randomId(),
    did: delegationIdAt(iat),
    par: p.did,
    prf: sha256Base64url(parent.compact),
    dpt: p.dpt + 1,
    mdp,
    tsk: p.tsk,
    cap: request.cap,
    aud: request.aud ?? p.aud,
    iat,
    nbf,
    exp,
    rvl,
    cnf: { jkt: request.toJkt },
  };
  errors.push(...checkHopAgainstParent(parent, { compact: "", claims }, hop));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, claims, rvi };
}

/**
 * The claims of a re-issued token: a new `jti`, the same `did`, `prf` to the (possibly re-issued)
 * parent, and `rvl` = min(now + rvi, exp, parent rvl, the earliest expiry of its approvals). Undefined when the token can no longer be
 * re-issued (its `exp` has passed).
 */
export function reissuedClaims(
  current: TokenClaims,
  parent: ChainToken | undefined,
  now: number,
  rvi: number,
  approvals: readonly string[],
  approvalsExpireAt = Number.POSITIVE_INFINITY,
): TokenClaims | undefined {
  const iat = Math.max(now, parent?.claims.iat ?? now);
  const nbf = Math.max(iat, parent?.claims.nbf ?? iat);
  // A token carrying approvals must be revalidated by the time the first of them expires: that
  // is how an offline verifier, which only sees approval ids, stops honouring an expired one.
  const rvl = Math.min(nbf + rvi, current.exp, parent?.claims.rvl ?? current.exp, approvalsExpireAt);
  if (current.exp <= nbf || rvl <= nbf) return undefined;
  const { apv: _apv, ...rest } = current;
  return {
    ...rest,
    jti: randomId(),
    ...(parent === undefined ? {} : { prf: sha256Base64url(parent.compact) }),
    iat,
    nbf,
    rvl,
    ...(approvals.length === 0 ? {} : { apv: approvals }),
  };
}
