/**
 * The pure core: re-authorize a presented chain hop by hop, then the request against its leaf.
 * No I/O and no clock: keys, revocation status, caches, policy and `now` come in as arguments.
 * Each check is written once, as steps that ask for signature verdicts; every entry point has a
 * synchronous form (node:crypto: Node, Bun, Deno) and an `…Async` twin that runs anywhere.
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
  type KeyResolver,
  parseCall,
  parseTokenPayload,
  runSignatureChecks,
  runSignatureChecksSync,
  type SignatureChecking,
  TokenError,
  tokenSignatureCheck,
} from "@baton/token";
import { approvalsFor } from "./approvals.ts";
import { callBoundsReason } from "./call-bounds.ts";
import {
  type Actor,
  type ChainEntry,
  type Decision,
  NO_PRESENTATION,
  type PresentedHop,
  type Reason,
  reasonsFrom,
} from "./decision.ts";
import { type ChainSentAs, checkProofSteps } from "./dpop.ts";
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
  /**
   * `unchecked`: offline, structure-only inspection (`baton inspect` without a JWKS). Every token
   * is still decoded and parsed strictly and every other rule applies, but no signature is
   * verified and `resolveKey` is never asked, so a chain that passes proves nothing about who
   * issued it. Never for serving. Defaults to `verify`.
   */
  readonly signatures?: "verify" | "unchecked";
}

/**
 * The outcome of checking the chain alone (steps 1 to 9). `presented` lists every token of the
 * chain as presented, with how far it verified, so a refusal can still name who presented it.
 */
export type ChainResult =
  | {
      readonly ok: true;
      readonly hops: readonly ChainToken[];
      readonly presented: readonly PresentedHop[];
    }
  | {
      readonly ok: false;
      readonly hops: readonly ChainToken[];
      readonly reasons: readonly Reason[];
      readonly presented: readonly PresentedHop[];
      /**
       * The presented leaf when its signature and claims verified although the chain failed
       * (a hop above it expired, say): its key can still prove who presented the chain.
       */
      readonly signedLeaf?: ChainToken;
    };

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

/**
 * Warm path: these exact bytes decoded, verified and parsed before. The hit counts only while the
 * key it was verified with is still the key for its kid, so a key that leaves the JWKS stops
 * verifying at once, cached or not. A plain function, so a warm hop costs no generator.
 */
function cachedHopToken(compact: string, env: ChainEnvironment): ChainToken | undefined {
  const cached = env.signatures === "unchecked" ? undefined : env.signatureCache?.get(compact);
  if (cached !== undefined && env.resolveKey(cached.header.kid) === cached.key) {
    return { compact, claims: cached.claims };
  }
  return undefined;
}

/** A hop not in the signature cache: decode, verify, parse, and remember it. */
function* verifyHopToken(
  compact: string,
  index: number,
  env: ChainEnvironment,
): SignatureChecking<ChainToken | TokenError> {
  const decoded = decodeToken(compact, { maxTokenBytes: env.maxTokenBytes });
  if (!decoded.ok) return decoded.error;
  if (env.signatures === "unchecked") {
    const claims = parseTokenPayload(decoded.value);
    return claims.ok ? { compact, claims: claims.value } : claims.error;
  }
  const { kid } = decoded.value.header;
  const key = env.resolveKey(kid);
  if (key === undefined) {
    return tokenError(
      "unknown_key",
      `no service key with kid ${kid}; the verifier's JWKS may need a refresh`,
      index,
    );
  }
  if (!(yield tokenSignatureCheck(decoded.value, key))) {
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
 * What each token of a refused chain claims, root first: the checked claims where a hop got that
 * far, else the claims as written (strictly parsed, signature NOT checked; null where unreadable).
 * Only hops before `verifiedCount` are marked verified. Runs on the deny path only.
 */
function presentedHops(
  tokens: readonly string[],
  hops: readonly ChainToken[],
  verifiedCount: number,
  maxTokenBytes: number,
): PresentedHop[] {
  return tokens.map((compact, index) => {
    const known = hops[index]?.claims;
    if (known !== undefined) return { did: known.did, sub: known.sub, verified: index < verifiedCount };
    const decoded = decodeToken(compact, { maxTokenBytes });
    const claims = decoded.ok ? parseTokenPayload(decoded.value) : undefined;
    return claims?.ok
      ? { did: claims.value.did, sub: claims.value.sub, verified: false }
      : { did: null, sub: null, verified: false };
  });
}

/** Every hop verified: the presented chain is exactly the verified one (unless signatures went unchecked). */
function verifiedHops(hops: readonly ChainToken[], signed: boolean): PresentedHop[] {
  return hops.map(({ claims }) => ({ did: claims.did, sub: claims.sub, verified: signed }));
}

/** What a DPoP proof is checked against: the request it was made for. */
export interface ProofRequest {
  readonly chain: string;
  /** Where the chain travelled; a token exchange's `subject_token` may come with no `ath`. */
  readonly chainSentAs?: ChainSentAs | undefined;
  readonly proof?: string | undefined;
  readonly method: string;
  readonly url: string;
}

/** The settings a proof check needs. */
export interface ProofEnvironment {
  readonly now: number;
  readonly proofMaxAgeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly replayCache: ReplayCache;
  /** Check no proof (offline inspection): the actor is then never proven. */
  readonly skipProof?: boolean;
}

/** Who presented a chain, and what is wrong with the proof when the decision depends on it. */
export interface PresenterProof {
  readonly actor: Actor;
  readonly proofReasons: readonly Reason[];
}

function* provePresenterSteps(
  chain: ChainResult,
  request: ProofRequest,
  env: ProofEnvironment,
): SignatureChecking<PresenterProof> {
  const leafIndex = chain.presented.length - 1;
  const agent = chain.presented[leafIndex]?.sub ?? null;
  const leaf = chain.ok ? chain.hops[leafIndex] : chain.signedLeaf;
  if (leaf === undefined || env.skipProof) return { actor: { agent, proven: false }, proofReasons: [] };
  const problems = yield* checkProofSteps({
    proof: request.proof,
    method: request.method,
    url: request.url,
    chain: request.chain,
    chainSentAs: request.chainSentAs,
    thumbprint: leaf.claims.cnf.jkt,
    now: env.now,
    maxAgeSeconds: env.proofMaxAgeSeconds,
    skewSeconds: env.clockSkewSeconds,
    replayCache: env.replayCache,
    hop: leafIndex,
  });
  return { actor: { agent, proven: problems.length === 0 }, proofReasons: chain.ok ? problems : [] };
}

/**
 * Names who presented a chain and checks its proof. The proof is checked whenever the leaf's
 * signature and claims verified, even under a chain refused higher up, so a stale or revoked chain
 * is still attributed to its proven presenter; only for a chain that verified are the proof's
 * problems reasons of the decision (a refused chain is refused for its own first failing hop).
 * Synchronous (node:crypto runtimes); `provePresenterAsync` runs anywhere.
 */
export function provePresenter(
  chain: ChainResult,
  request: ProofRequest,
  env: ProofEnvironment,
): PresenterProof {
  return runSignatureChecksSync(provePresenterSteps(chain, request, env), "provePresenter");
}

/** `provePresenter` on any runtime, WebCrypto included. */
export function provePresenterAsync(
  chain: ChainResult,
  request: ProofRequest,
  env: ProofEnvironment,
): Promise<PresenterProof> {
  return runSignatureChecks(provePresenterSteps(chain, request, env));
}

function* authenticateChainSteps(chainText: string, env: ChainEnvironment): SignatureChecking<ChainResult> {
  const split = decodeChain(chainText, { maxTokens: env.maxChainLength, maxTokenBytes: env.maxTokenBytes });
  if (!split.ok) {
    return {
      ok: false,
      hops: [],
      reasons: reasonsFrom([split.error], split.error.hop ?? null),
      presented: [],
    };
  }
  // Signatures and claims first, up to the first token that does not verify: only verified claims
  // may reach the status lookup, and the lookup then covers the whole verified prefix at once.
  const hops: ChainToken[] = [];
  let unverified: TokenError | undefined;
  // Indexed loops here and below: an entries() iterator costs an array per step on the cold path.
  for (let index = 0; index < split.value.length; index++) {
    const compact = split.value[index] as string;
    const verified = cachedHopToken(compact, env) ?? (yield* verifyHopToken(compact, index, env));
    if (!("claims" in verified)) {
      unverified = verified;
      break;
    }
    hops.push(verified);
  }
  return checkVerifiedHops(split.value, hops, unverified, env);
}

/**
 * Steps 5 to 9 over the verified prefix of a chain (a plain function: only signature checks need
 * to be steps). `unverified` is why the token after the prefix failed steps 1 to 4, if one did.
 */
function checkVerifiedHops(
  tokens: readonly string[],
  hops: readonly ChainToken[],
  unverified: TokenError | undefined,
  env: ChainEnvironment,
): ChainResult {
  const signed = env.signatures !== "unchecked";
  const statuses = hops.length === 0 ? [] : env.status(hops);
  if (statuses.length !== hops.length) {
    throw new Error(`the status check answered ${statuses.length} statuses for ${hops.length} hops`);
  }
  for (let index = 0; index < hops.length; index++) {
    const hop = hops[index] as ChainToken;
    const parent = hops[index - 1];
    const linkErrors = parent === undefined ? checkRoot(hop) : checkHopAgainstParent(parent, hop, index);
    const timeErrors = checkTime(hop.claims, env.now, env.clockSkewSeconds, index);
    const status = statuses[index];
    // The usual hop passes everything: no reasons to gather.
    const trusted = hop.claims.iss === env.issuer;
    if (trusted && linkErrors.length === 0 && timeErrors.length === 0 && status === undefined) continue;
    const errors: TokenError[] = [];
    if (!trusted) {
      errors.push(
        tokenError("malformed", `iss ${hop.claims.iss} is not the trusted issuer ${env.issuer}`, index),
      );
    }
    errors.push(...linkErrors);
    errors.push(
      ...(env.acceptRevalidationDue ? timeErrors.filter((e) => e.code !== "revalidation_due") : timeErrors),
    );
    const reasons = reasonsFrom(errors, index);
    if (status !== undefined) reasons.push({ hop: index, ...status });
    if (reasons.length > 0) {
      const leaf = unverified === undefined ? hops[hops.length - 1] : undefined;
      return {
        ok: false,
        hops: hops.slice(0, index + 1),
        reasons,
        presented: presentedHops(tokens, hops, signed ? index : 0, env.maxTokenBytes),
        ...(leaf === undefined || !signed ? {} : { signedLeaf: leaf }),
      };
    }
  }
  if (unverified !== undefined) {
    return {
      ok: false,
      hops,
      reasons: reasonsFrom([unverified], hops.length),
      presented: presentedHops(tokens, hops, signed ? hops.length : 0, env.maxTokenBytes),
    };
  }
  return { ok: true, hops, presented: verifiedHops(hops, signed) };
}

/**
 * Steps 1 to 9 of DESIGN.md for every hop, root first. Reports the first hop that fails, with
 * every failed check of that hop. Synchronous (node:crypto runtimes); `authenticateChainAsync`
 * runs anywhere.
 */
export function authenticateChain(chainText: string, env: ChainEnvironment): ChainResult {
  return runSignatureChecksSync(authenticateChainSteps(chainText, env), "authenticateChain");
}

/** `authenticateChain` on any runtime, WebCrypto included. */
export function authenticateChainAsync(chainText: string, env: ChainEnvironment): Promise<ChainResult> {
  return runSignatureChecks(authenticateChainSteps(chainText, env));
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
  /**
   * `false`: authenticate the presenter only (every hop, audience, proof), without deciding a
   * call: for requests that name none, such as an MCP session's `initialize` or `tools/list`.
   * Neither the capabilities nor the policy are consulted then. Default true.
   */
  readonly checkCall?: boolean;
}

/** The request against a verified leaf: audience, then action, resource and arguments. */
function leafReasons(
  leaf: ChainToken,
  leafIndex: number,
  presentation: Presentation,
  audience: string,
  checkCall: boolean,
): Reason[] {
  const reasons: Reason[] = [];
  if (!leaf.claims.aud.includes("*") && !leaf.claims.aud.includes(audience)) {
    reasons.push({
      hop: leafIndex,
      code: "audience_mismatch",
      message: `this chain is not for audience ${audience}`,
      claim: "aud",
      evidence: { audience, aud: leaf.claims.aud },
    });
  }
  // `allows` refuses a non-canonical call too; only then is it worth telling the two apart.
  if (checkCall && !capabilitiesAllow(leaf.claims.cap, presentation)) {
    const call = parseCall(presentation);
    reasons.push(
      call.ok
        ? {
            hop: leafIndex,
            code: "action_not_permitted",
            message: `the leaf's capabilities do not allow ${presentation.action} on ${presentation.resource} with these arguments`,
            claim: "cap",
            evidence: { action: presentation.action, resource: presentation.resource, cap: leaf.claims.cap },
          }
        : { hop: null, code: "malformed", message: call.error.message },
    );
  }
  return reasons;
}

/** The policy hook's word on a request that passed every other check. */
function policyDecision(
  hops: readonly ChainToken[],
  presentation: Presentation,
  env: RequestEnvironment,
  allowed: Decision,
): Decision {
  if (env.policy === undefined) return allowed;
  const leafIndex = hops.length - 1;
  const leaf = hops[leafIndex] as ChainToken;
  const context: PolicyContext = {
    kind: "use",
    now: env.now,
    hops: hops.map((hop) => hop.claims),
    audience: env.audience,
    action: presentation.action,
    resource: presentation.resource,
    args: presentation.args ?? {},
    context: presentation.context ?? {},
    approved: approvalsFor(leaf.claims, presentation.action, presentation.resource),
  };
  const outcome = env.policy(context);
  if (outcome.decision === "allow") return allowed;
  const reason = policyReason(
    outcome,
    leafIndex,
    outcome.decision === "step_up" ? "an operator must approve this call" : "policy denies this call",
  );
  return { ...allowed, decision: outcome.decision, reasons: [reason] };
}

function* verifyPresentationSteps(
  presentation: Presentation,
  env: RequestEnvironment,
): SignatureChecking<Decision> {
  const unbounded = callBoundsReason(presentation);
  // Refused before the chain is read: nobody is named as its presenter.
  if (unbounded !== undefined) {
    return { decision: "deny", reasons: [unbounded], chain: [], task: null, ...NO_PRESENTATION };
  }
  const chain = yield* authenticateChainSteps(presentation.chain, env);
  const entries = chainEntries(chain.hops);
  const task = chain.hops[0]?.claims.tsk ?? null;
  const { presented } = chain;
  if (!chain.ok) {
    return {
      decision: "deny",
      reasons: chain.reasons,
      chain: entries,
      task,
      actor: (yield* provePresenterSteps(chain, presentation, env)).actor,
      presented,
    };
  }
  const leafIndex = chain.hops.length - 1;
  const checkCall = env.checkCall !== false;
  const reasons = leafReasons(
    chain.hops[leafIndex] as ChainToken,
    leafIndex,
    presentation,
    env.audience,
    checkCall,
  );
  const { actor, proofReasons } = yield* provePresenterSteps(chain, presentation, env);
  reasons.push(...proofReasons);
  if (reasons.length > 0) return { decision: "deny", reasons, chain: entries, task, actor, presented };
  const allowed: Decision = { decision: "allow", reasons: [], chain: entries, task, actor, presented };
  return checkCall ? policyDecision(chain.hops, presentation, env, allowed) : allowed;
}

/**
 * Re-authorizes a presentation in full: every hop, then audience, action, resource and
 * arguments against the leaf, the DPoP proof, and last the policy hook. Synchronous (node:crypto
 * runtimes: Node, Bun, Deno); `verifyPresentationAsync` runs anywhere.
 */
export function verifyPresentation(presentation: Presentation, env: RequestEnvironment): Decision {
  return runSignatureChecksSync(verifyPresentationSteps(presentation, env), "verifyPresentation");
}

/** `verifyPresentation` on any runtime, WebCrypto included (Cloudflare Workers, browsers). */
export function verifyPresentationAsync(
  presentation: Presentation,
  env: RequestEnvironment,
): Promise<Decision> {
  return runSignatureChecks(verifyPresentationSteps(presentation, env));
}
