/**
 * `createVerifier`: the verifier library a tool server embeds. It wires the pure core to its
 * adapters (key source, revocation source, caches, clock) and checks its options once, at build.
 */
import { DEFAULT_MAX_CHAIN_LENGTH, DEFAULT_MAX_TOKEN_BYTES } from "@baton/token";
import { type Decision, NO_PRESENTATION } from "./decision.ts";
import type { KeySource } from "./key-sources.ts";
import type { PolicyHook } from "./policy-hook.ts";
import { ReplayCache } from "./replay-cache.ts";
import type { RevocationSource } from "./revocation-sources.ts";
import { SignatureCache } from "./signature-cache.ts";
import {
  type HopStatus,
  type Presentation,
  type StatusCheck,
  verifyPresentationAsync,
} from "./verify-chain.ts";

export interface VerifierOptions {
  /** The token service's issuer URL; every token's `iss` must equal it. */
  readonly issuer: string;
  /** This tool server's audience name; the leaf's `aud` must include it. */
  readonly audience: string;
  readonly keys: KeySource;
  readonly revocations: RevocationSource;
  /** Deny with `revocation_unknown` once the revocation view is older than this. Default 60. */
  readonly maxStalenessSeconds?: number;
  /** `deny` (default) fails closed on a stale revocation view; `allow` trusts the last view. */
  readonly onStaleRevocations?: "deny" | "allow";
  readonly policy?: PolicyHook;
  /** Allowed clock difference with the service and agents. Default 30. */
  readonly clockSkewSeconds?: number;
  /** Most tokens in a chain. Default 16. */
  readonly maxChain?: number;
  /** Largest single token, in bytes. Default 8192. */
  readonly maxTokenBytes?: number;
  /** Oldest DPoP proof accepted, in seconds. Default 60. */
  readonly proofMaxAgeSeconds?: number;
  readonly replayCache?: ReplayCache;
  readonly signatureCache?: SignatureCache;
  /** Seconds since the epoch. Default: the system clock. */
  readonly clock?: () => number;
}

/** One verification request. `now` overrides the clock (seconds). */
export interface VerifyRequest extends Presentation {
  readonly now?: number;
}

/** A request that names no call: only who presents the chain is checked. */
export interface AuthenticateRequest {
  readonly chain: string;
  readonly proof?: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly now?: number;
}

/** Stands in for the call an authentication names none of; never compared with a capability. */
const NO_CALL = { action: "baton.authenticate", resource: "baton:presenter" } as const;

export interface Verifier {
  verify(request: VerifyRequest): Promise<Decision>;
  /**
   * Every check of `verify` but the call's: each hop (signatures, links, time, revocation,
   * revalidation), the audience and the DPoP proof (accepted once). Capabilities and policy are
   * not consulted: for requests that name no call (an MCP `initialize` or `tools/list`).
   */
  authenticate(request: AuthenticateRequest): Promise<Decision>;
  /** The verifier's clock, in seconds: what decisions are made (and reported) at. */
  now(): number;
  readonly signatureCache: SignatureCache;
  readonly replayCache: ReplayCache;
}

/**
 * The deny for a verification that threw: `internal`, never an allow. It names the kind of error
 * only: the reasons may be shown to the caller, and an error's message may hold anything.
 */
function internalDeny(error: unknown): Decision {
  let kind: string = typeof error;
  try {
    if (error instanceof Error) kind = String(error.name).slice(0, 64);
  } catch {
    // An error whose name getter throws still refuses the call.
  }
  return {
    decision: "deny",
    reasons: [
      {
        hop: null,
        code: "internal",
        message: `verification failed with ${kind}; the call is refused (check the policy hook and the verifier's key and revocation sources)`,
      },
    ],
    chain: [],
    task: null,
    ...NO_PRESENTATION,
  };
}

function integerOption(name: string, value: number | undefined, fallback: number, min = 0): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min)
    throw new TypeError(`${name} must be an integer ≥ ${min}`);
  return chosen;
}

function hasMethods(value: unknown, ...names: string[]): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === "function")
  );
}

/**
 * A replay cache that remembers which proofs it let through as fresh, so that a second pass over
 * the same request (after a status list was loaded) does not take the request's own proof for a
 * replay of itself. Every other proof is checked against the shared cache as usual.
 */
class RequestReplayView extends ReplayCache {
  readonly accepted = new Set<string>();

  constructor(
    private readonly shared: ReplayCache,
    private readonly alreadyAccepted: ReadonlySet<string> = new Set(),
  ) {
    super(1, shared.windowSeconds);
  }

  override check(jti: string, iat: number, now: number): "fresh" | "replayed" | "too_old" {
    if (this.alreadyAccepted.has(jti)) return "fresh";
    const seen = this.shared.check(jti, iat, now);
    if (seen === "fresh") this.accepted.add(jti);
    return seen;
  }
}

/** Builds a verifier. Throws a TypeError naming the option when an option is invalid. */
export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options.issuer !== "string" || options.issuer.length === 0)
    throw new TypeError("issuer is required");
  if (typeof options.audience !== "string" || options.audience.length === 0)
    throw new TypeError("audience is required");
  // Checked here rather than on the first request: a typo must fail the deploy, not every call.
  if (!hasMethods(options.keys, "resolve")) {
    throw new TypeError("keys is required: staticKeys(jwks) or remoteJwks({url})");
  }
  if (!hasMethods(options.revocations, "isRevoked", "syncedAt")) {
    throw new TypeError(
      "revocations is required: memoryRevocations(), followRevocationFeed({url}) or followStatusLists({keys, uriPrefix})",
    );
  }
  if (options.onStaleRevocations !== undefined && !["deny", "allow"].includes(options.onStaleRevocations)) {
    throw new TypeError('onStaleRevocations must be "deny" or "allow"');
  }
  if (options.clock !== undefined && typeof options.clock !== "function") {
    throw new TypeError("clock must be a function returning seconds");
  }
  if (options.policy !== undefined && typeof options.policy !== "function") {
    throw new TypeError("policy must be a function");
  }
  const skew = integerOption("clockSkewSeconds", options.clockSkewSeconds, 30);
  const maxStaleness = integerOption("maxStalenessSeconds", options.maxStalenessSeconds, 60);
  const maxChain = integerOption("maxChain", options.maxChain, DEFAULT_MAX_CHAIN_LENGTH, 1);
  const maxTokenBytes = integerOption("maxTokenBytes", options.maxTokenBytes, DEFAULT_MAX_TOKEN_BYTES, 1);
  const proofMaxAge = integerOption("proofMaxAgeSeconds", options.proofMaxAgeSeconds, 60);
  const replayCache = options.replayCache ?? new ReplayCache(100_000, proofMaxAge + skew);
  if (replayCache.windowSeconds < proofMaxAge + skew) {
    // Otherwise a proof could leave the replay cache while it is still young enough to be accepted.
    throw new TypeError("replayCache.windowSeconds must be at least proofMaxAgeSeconds + clockSkewSeconds");
  }
  const signatureCache = options.signatureCache ?? new SignatureCache();
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const { keys, revocations } = options;
  const failOpenWhenStale = options.onStaleRevocations === "allow";

  const statusAt =
    (now: number): StatusCheck =>
    (hops): HopStatus[] =>
      // Asked per hop: a status list source has one view per list, each as fresh as its last fetch.
      hops.map(({ claims }): HopStatus => {
        const syncedAt = revocations.syncedAt(claims);
        // "allow" trusts a stale view, never a missing one: without any view there is no check at all.
        if (syncedAt === undefined || (!failOpenWhenStale && now - syncedAt > maxStaleness)) {
          const why =
            syncedAt === undefined
              ? (revocations.unknownReason?.(claims) ?? "the revocation view is not loaded")
              : `the revocation view is ${now - syncedAt} s old`;
          return { code: "revocation_unknown", message: `${why}; the limit is ${maxStaleness} s` };
        }
        return revocations.isRevoked(claims.did, claims)
          ? { code: "revoked", message: `delegation ${claims.did} is revoked` }
          : undefined;
      });

  const verifyOnce = (
    request: VerifyRequest,
    replays: ReplayCache,
    checkCall: boolean,
  ): Promise<Decision> => {
    const now = request.now ?? clock();
    return verifyPresentationAsync(request, {
      now,
      issuer: options.issuer,
      audience: options.audience,
      resolveKey: (kid) => keys.resolve(kid),
      status: statusAt(now),
      clockSkewSeconds: skew,
      maxChainLength: maxChain,
      maxTokenBytes,
      signatureCache,
      replayCache: replays,
      proofMaxAgeSeconds: proofMaxAge,
      policy: options.policy,
      checkCall,
    });
  };

  const decide = async (request: VerifyRequest, checkCall = true): Promise<Decision> => {
    // With a source that may load views on demand, remember the proof this pass accepts (only
    // then: the feed's hot path allocates nothing more).
    const firstPass =
      revocations.refreshForUnknown === undefined ? undefined : new RequestReplayView(replayCache);
    const replays = firstPass ?? replayCache;
    let decision = await verifyOnce(request, replays, checkCall);
    const unknownKey = decision.reasons.some((reason) => reason.code === "unknown_key");
    // A rotated key shows up as an unknown kid; look once (rate-limited), then decide again.
    if (unknownKey && keys.refreshForUnknownKey !== undefined && (await keys.refreshForUnknownKey())) {
      decision = await verifyOnce(request, replays, checkCall);
    }
    if (firstPass === undefined) return decision;
    const unknownStatus = decision.reasons.some((reason) => reason.code === "revocation_unknown");
    // A status list no hop's token had needed before: load it once (rate-limited), then decide again.
    if (unknownStatus && (await revocations.refreshForUnknown?.())) {
      decision = await verifyOnce(request, new RequestReplayView(replayCache, firstPass.accepted), checkCall);
    }
    return decision;
  };

  return {
    async verify(request) {
      // A decision for every input: whatever throws while deciding (a policy hook, a key or
      // revocation source, a bug) refuses the call rather than reaching the tool server's handler.
      try {
        return await decide(request);
      } catch (error) {
        return internalDeny(error);
      }
    },
    async authenticate(request) {
      try {
        return await decide({ ...request, ...NO_CALL }, false);
      } catch (error) {
        return internalDeny(error);
      }
    },
    now: clock,
    signatureCache,
    replayCache,
  };
}
