/**
 * The pure core: re-authorize a presented chain hop by hop, then the request against its leaf.
 * No I/O and no clock: keys, revocation status, caches, policy and `now` come in as arguments.
 */
import {
  type Call,
  type ChainToken,
  allows as capabilitiesAllow,
  checkHopAgainstParent,
  checkRoot,
  checkTime,
  decodeChain,
  decodeToken,
  hasValidSignature,
  type KeyResolver,
  parseCall,
  parseTokenPayload,
  TokenError,
} from "@baton/token";
import { approvalsFor } from "./approvals.ts";
import { callBoundsReason } from "./call-bounds.ts";
import type { ChainEntry, Decision, Reason } from "./decision.ts";
import { reasonsFrom } from "./decision.ts";
import { checkProof } from "./dpop.ts";
import { type PolicyContext, type PolicyHook, policyReason } from "./policy-hook.ts";
import type { ReplayCache } from "./replay-cache.ts";
import type { SignatureCache } from "./signature-cache.ts";

/** Why a hop is not live, or undefined when it is. */
export type HopStatus =
  | { readonly code: "revoked" | "revocation_unknown"; readonly message: string }
  | undefined;

/**
 * Looks up whether each hop's delegation, task and agents are still live. Asked once per chain,
 * with every hop whose signature and claims verified, root first, so an online store can answer
 * with one query; returns one status per hop, in the same order.
 */
export type StatusCheck = (hops: readonly ChainToken[]) => readonly HopStatus[];

/** Everything the core needs besides the presentation itself. */
export interface ChainEnvironment {
  /** Seconds since the epoch. */
  readonly now: number;
  /** Every token's `iss` must be this. */
  readonly issuer: string;
  readonly resolveKey: KeyResolver;
  readonly status: StatusCheck;
  readonly clockSkewSeconds: number;
  readonly maxChainLength: number;
  readonly maxTokenBytes: number;
  readonly signatureCache?: SignatureCache | undefined;
  /**
   * Let hops whose revalidation is due pass: only for the revalidation endpoint, whose job is to
   * re-issue them. Everything else about them is still checked.
   */
  readonly acceptRevalidationDue?: boolean;
}

/** The outcome of checking the chain alone (steps 1 to 9). */
export type ChainResult =
  | { readonly ok: true; readonly hops: readonly ChainToken[] }
  | { readonly ok: false; readonly hops: readonly ChainToken[]; readonly reasons: readonly Reason[] };

/** One hop's identity for the decision. */
export function chainEntries(hops: readonly ChainToken[]): ChainEntry[] {
  return hops.map(({ claims }) => ({
    did: claims.did,
    jti: claims.jti,
    sub: claims.sub,
    dlg: claims.dlg ?? null,
    dpt: claims.dpt,
  }));
}

function verifyHopToken(compact: string, index: number, env: ChainEnvironment): ChainToken | TokenError {
  // Warm path: these exact bytes decoded, verified and parsed before. The hit counts only while
  // the key it was verified with is still the key for its kid, so a key that leaves the JWKS stops
  // verifying at once, cached or not.
  const cached = env.signatureCache?.get(compact);
  if (cached !== undefined && env.resolveKey(cached.header.kid) === cached.key) {
    return { compact, claims: cached.claims };
  }
  const decoded = decodeToken(compact, { maxTokenBytes: env.maxTokenBytes });
  if (!decoded.ok) return decoded.error;
  const { kid } = decoded.value.header;
  const key = env.resolveKey(kid);
  if (key === undefined) {
    return tokenError(
      "unknown_key",
      `no service key with kid ${kid}; the verifier's JWKS may need a refresh`,
      index,
    );
  }
  if (!hasValidSignature(decoded.value, key)) {
    return tokenError("bad_signature", "the signature does not verify under the service key", index);
  }
  const claims = parseTokenPayload(decoded.value);
  if (!claims.ok) return claims.error;
  env.signatureCache?.set(compact, { header: decoded.value.header, claims: claims.value, key });
  return { compact, claims: claims.value };
}

function tokenError(code: TokenError["code"], message: string, hop: number): TokenError {
  return new TokenError(code, message, { hop });
}

/**
 * Steps 1 to 9 of DESIGN.md for every hop, root first. Reports the first hop that fails, with
 * every failed check of that hop.
 */
export function authenticateChain(chainText: string, env: ChainEnvironment): ChainResult {
  const split = decodeChain(chainText, { maxTokens: env.maxChainLength, maxTokenBytes: env.maxTokenBytes });
  if (!split.ok) {
    return { ok: false, hops: [], reasons: reasonsFrom([split.error], split.error.hop ?? null) };
  }
  // Signatures and claims first, up to the first token that does not verify: only verified claims
  // may reach the status lookup, and the lookup then covers the whole verified prefix at once.
  const hops: ChainToken[] = [];
  let unverified: TokenError | undefined;
  for (const [index, compact] of split.value.entries()) {
    const verified = verifyHopToken(compact, index, env);
    if (!("claims" in verified)) {
      unverified = verified;
      break;
    }
    hops.push(verified);
  }
  const statuses = hops.length === 0 ? [] : env.status(hops);
  if (statuses.length !== hops.length) {
    throw new Error(`the status check answered ${statuses.length} statuses for ${hops.length} hops`);
  }
  for (const [index, hop] of hops.entries()) {
    const errors: TokenError[] = [];
    if (hop.claims.iss !== env.issuer) {
      errors.push(
        tokenError("malformed", `iss ${hop.claims.iss} is not the trusted issuer ${env.issuer}`, index),
      );
    }
    const parent = hops[index - 1];
    errors.push(...(parent === undefined ? checkRoot(hop) : checkHopAgainstParent(parent, hop, index)));
    const timeErrors = checkTime(hop.claims, env.now, env.clockSkewSeconds, index);
    errors.push(
      ...(env.acceptRevalidationDue ? timeErrors.filter((e) => e.code !== "revalidation_due") : timeErrors),
    );
    const reasons = reasonsFrom(errors, index);
    const status = statuses[index];
    if (status !== undefined) reasons.push({ hop: index, ...status });
    if (reasons.length > 0) return { ok: false, hops: hops.slice(0, index + 1), reasons };
  }
  if (unverified !== undefined) return { ok: false, hops, reasons: reasonsFrom([unverified], hops.length) };
  return { ok: true, hops };
}

/** A request made with a chain: the call a tool server is asked to perform, and its proof. */
export interface Presentation extends Call {
  /** The chain exactly as presented: `t0~t1~…`. */
  readonly chain: string;
  readonly proof?: string | undefined;
  /** HTTP method and absolute URL of the request the proof must be for. */
  readonly method: string;
  readonly url: string;
  /** Facts about the call for policy (sensitivity, reversibility, anything the tool declares). */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** What the request checks need besides the chain environment. */
export interface RequestEnvironment extends ChainEnvironment {
  /** This tool server's audience; it must be in the leaf's `aud`. */
  readonly audience: string;
  readonly replayCache: ReplayCache;
  readonly proofMaxAgeSeconds: number;
  /** Skip the proof check entirely; only for offline inspection of a chain, never for serving. */
  readonly skipProof?: boolean;
  readonly policy?: PolicyHook | undefined;
}

/**
 * Re-authorizes a presentation in full: every hop, then audience, action, resource and
 * arguments against the leaf, the DPoP proof, and last the policy hook.
 */
export function verifyPresentation(presentation: Presentation, env: RequestEnvironment): Decision {
  const unbounded = callBoundsReason(presentation);
  if (unbounded !== undefined) return { decision: "deny", reasons: [unbounded], chain: [], task: null };
  const chain = authenticateChain(presentation.chain, env);
  const entries = chainEntries(chain.hops);
  const task = chain.hops[0]?.claims.tsk ?? null;
  if (!chain.ok) return { decision: "deny", reasons: chain.reasons, chain: entries, task };

  const leafIndex = chain.hops.length - 1;
  const leaf = chain.hops[leafIndex] as ChainToken;
  const reasons: Reason[] = [];
  if (!leaf.claims.aud.includes("*") && !leaf.claims.aud.includes(env.audience)) {
    reasons.push({
      hop: leafIndex,
      code: "audience_mismatch",
      message: `this chain is not for audience ${env.audience}`,
    });
  }
  // `allows` refuses a non-canonical call too; only then is it worth telling the two apart.
  if (!capabilitiesAllow(leaf.claims.cap, presentation)) {
    const call = parseCall(presentation);
    reasons.push(
      call.ok
        ? {
            hop: leafIndex,
            code: "action_not_permitted",
            message: `the leaf's capabilities do not allow ${presentation.action} on ${presentation.resource} with these arguments`,
          }
        : { hop: null, code: "malformed", message: call.error.message },
    );
  }
  if (!env.skipProof) {
    reasons.push(
      ...checkProof({
        proof: presentation.proof,
        method: presentation.method,
        url: presentation.url,
        chain: presentation.chain,
        thumbprint: leaf.claims.cnf.jkt,
        now: env.now,
        maxAgeSeconds: env.proofMaxAgeSeconds,
        skewSeconds: env.clockSkewSeconds,
        replayCache: env.replayCache,
        hop: leafIndex,
      }),
    );
  }
  if (reasons.length > 0) return { decision: "deny", reasons, chain: entries, task };

  if (env.policy === undefined) return { decision: "allow", reasons: [], chain: entries, task };
  const context: PolicyContext = {
    kind: "use",
    now: env.now,
    hops: chain.hops.map((hop) => hop.claims),
    audience: env.audience,
    action: presentation.action,
    resource: presentation.resource,
    args: presentation.args ?? {},
    context: presentation.context ?? {},
    approved: approvalsFor(leaf.claims, presentation.action, presentation.resource),
  };
  const outcome = env.policy(context);
  if (outcome.decision === "allow") return { decision: "allow", reasons: [], chain: entries, task };
  const reason = policyReason(
    outcome,
    leafIndex,
    outcome.decision === "step_up" ? "an operator must approve this call" : "policy denies this call",
  );
  return { decision: outcome.decision, reasons: [reason], chain: entries, task };
}
