/**
 * DPoP proofs (RFC 9449) with a fixed `jti` and `iat`, so the vectors are byte-identical on every
 * run. The header's shape and `alg` come from the agent SDK's own `createDpopProof`, so the vectors
 * follow whatever Baton's clients send.
 */
import { AgentKeyPair, createDpopProof } from "@baton/client";
import { encodeBase64url, sha256Base64url } from "@baton/token";
import type { FixedKey } from "./fixed-keys.ts";
import { headerOf, NOW, signRaw } from "./mint-chain.ts";

export const PUBLIC_ORIGIN = "https://tools.example";
export const REQUEST_URL = `${PUBLIC_ORIGIN}/repos/acme/web/issues`;

/** The proof header members besides `jwk` (typ, alg), as the SDK writes them. */
async function sdkProofHeader(key: FixedKey): Promise<Record<string, unknown>> {
  const pair = await AgentKeyPair.fromJwk({
    ...key.jwk,
    d: encodeBase64url(Buffer.from(key.seedHex, "hex")),
  });
  const proof = await createDpopProof(pair, { method: "POST", url: REQUEST_URL, chain: "x", now: NOW });
  const { jwk: _jwk, ...rest } = headerOf(proof);
  return rest;
}

let template: Record<string, unknown> | undefined;

/** Reads the SDK's proof header once; call before `makeProof`. */
export async function loadProofTemplate(key: FixedKey): Promise<void> {
  template ??= await sdkProofHeader(key);
}

export interface ProofSpec {
  readonly key: FixedKey;
  /** The chain string the proof is for (`ath`). */
  readonly chain: string;
  readonly jti: string;
  readonly method?: string;
  readonly url?: string;
  readonly iat?: number;
  /** Header members set last; `undefined` removes one. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Claims set last; `undefined` removes one. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Sign with this key instead of `key` (the header's jwk stays `key`'s). */
  readonly signWith?: FixedKey;
}

/** A proof: header {typ, alg, jwk}, claims {jti, htm, htu, iat, ath}. */
export function makeProof(spec: ProofSpec): string {
  if (template === undefined) throw new Error("loadProofTemplate first");
  const header: Record<string, unknown> = { ...template, jwk: spec.key.jwk, ...spec.header };
  const claims: Record<string, unknown> = {
    jti: spec.jti,
    htm: spec.method ?? "POST",
    htu: spec.url ?? REQUEST_URL,
    iat: spec.iat ?? NOW,
    ath: sha256Base64url(spec.chain),
    ...spec.claims,
  };
  for (const record of [header, claims]) {
    for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
  }
  return signRaw(JSON.stringify(header), JSON.stringify(claims), (spec.signWith ?? spec.key).privateKey);
}
