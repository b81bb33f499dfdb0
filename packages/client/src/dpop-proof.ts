import { encodeBase64url, randomId, sha256Base64url } from "@baton/token";
import type { AgentKeyPair } from "./agent-key.ts";

export interface DpopProofOptions {
  readonly method: string;
  /** The absolute URL of the request; query and fragment are dropped as RFC 9449 requires. */
  readonly url: string;
  /** The chain presented with the proof; the proof commits to it through `ath`. */
  readonly chain: string;
  /** Seconds since the epoch; default now. */
  readonly now?: number;
}

const encoder = new TextEncoder();

function htuOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * Signs a fresh RFC 9449 DPoP proof for one request with the agent's key, naming the fully
 * specified `alg: "Ed25519"` of RFC 9864.
 */
export async function createDpopProof(key: AgentKeyPair, options: DpopProofOptions): Promise<string> {
  const header = { typ: "dpop+jwt", alg: "Ed25519", jwk: key.publicJwk };
  const claims = {
    jti: randomId(),
    htm: options.method.toUpperCase(),
    htu: htuOf(options.url),
    iat: options.now ?? Math.floor(Date.now() / 1000),
    ath: sha256Base64url(options.chain),
  };
  const signingInput = `${encodeBase64url(encoder.encode(JSON.stringify(header)))}.${encodeBase64url(encoder.encode(JSON.stringify(claims)))}`;
  const signature = await key.sign(encoder.encode(signingInput));
  return `${signingInput}.${encodeBase64url(signature)}`;
}
