/**
 * Chains for the verification figures, minted with the verifier's own test fixtures: a root grant
 * and `depth − 1` hops, each to a fresh agent, all valid at the fixtures' frozen NOW.
 */
import {
  type HopStatus,
  ReplayCache,
  type RequestEnvironment,
  type SignatureCache,
  type StatusCheck,
  staticKeys,
} from "@baton/verifier";
import {
  type Agent,
  AUDIENCE,
  ISSUER,
  jwks,
  type MintedChain,
  makeAgent,
  makeProof,
  mintChain,
  NOW,
  REQUEST_URL,
  type TokenSpec,
} from "../../packages/verifier/test/fixtures.ts";

export { DEFAULT_CALL, service } from "../../packages/verifier/test/fixtures.ts";
export { AUDIENCE, ISSUER, jwks, NOW, REQUEST_URL };

/** Chain depth = number of tokens (root + depth − 1 hops); 16 is the verifier's default maximum. */
export const DEPTHS = [1, 3, 5, 8, 16] as const;

const agents: Agent[] = [];
function agent(index: number): Agent {
  while (agents.length <= index) agents.push(makeAgent(`agent:bench-${agents.length}`));
  return agents[index] as Agent;
}

/** A valid chain of `depth` tokens; the root allows 15 hops below it. */
export function benchChain(depth: number): MintedChain {
  const root: TokenSpec = { holder: agent(0), mdp: 15 };
  const hops: TokenSpec[] = [];
  for (let i = 1; i < depth; i++) hops.push({ holder: agent(i) });
  return mintChain(root, ...hops);
}

/** A fresh DPoP proof by the chain's leaf holder for the default request (new `jti` each call). */
export function freshProof(chain: MintedChain): string {
  return makeProof({ key: chain.leaf.holder, chain: chain.chain, url: REQUEST_URL });
}

const benchKeys = staticKeys(jwks);
/** Every hop live: the status answer when no revocation is asked about. */
export const allLive: StatusCheck = (hops) => hops.map((): HopStatus => undefined);

/**
 * The pure core's environment for the chain figures: the fixtures' issuer, audience, keys and
 * frozen `now`, the verifier's default limits, no proof, and the caller's signature cache (emptied
 * per call for a cold figure) and status check.
 */
export function pureCoreEnvironment(
  signatureCache: SignatureCache,
  status: StatusCheck = allLive,
): RequestEnvironment {
  return {
    now: NOW,
    issuer: ISSUER,
    audience: AUDIENCE,
    resolveKey: (kid) => benchKeys.resolve(kid),
    status,
    clockSkewSeconds: 30,
    maxChainLength: 16,
    maxTokenBytes: 8192,
    signatureCache,
    replayCache: new ReplayCache(10, 90),
    proofMaxAgeSeconds: 60,
    skipProof: true,
  };
}
