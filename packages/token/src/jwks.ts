/**
 * The service's public keys as a JWKS, checked and turned into verification keys once, so that
 * verification never re-imports a key (each crypto backend imports a key on its first use).
 */
import type { KeyObject } from "node:crypto";
import { type Ed25519PublicJwk, parseAgentJwk } from "./agent-key.ts";
import { requireNodeCrypto } from "./crypto-backend.ts";
import { fail, ok, type Result, TokenError } from "./token-error.ts";
import { Ed25519PublicKey } from "./verification-key.ts";

/**
 * A service signing key as published: an Ed25519 JWK with its `kid`, naming the fully specified
 * `alg` of RFC 9864. (`importJwks` still reads a set whose keys say the deprecated `EdDSA`.)
 */
export interface ServicePublicJwk extends Ed25519PublicJwk {
  readonly kid: string;
  readonly alg: "Ed25519";
  readonly use: "sig";
}

/** `{keys: [...]}` as served at `/.well-known/jwks.json`. */
export interface Jwks {
  readonly keys: readonly ServicePublicJwk[];
}

/** Most keys a JWKS may hold; a service keeps its active key and a few retired ones. */
export const MAX_JWKS_KEYS = 32;

/**
 * Imports an Ed25519 public key as a node:crypto KeyObject, for Node code that wants one; throws
 * on a runtime without node:crypto. The verifier needs none: `importJwks` keys work everywhere.
 */
export function ed25519PublicKeyObject(jwk: Ed25519PublicJwk): KeyObject {
  const crypto = requireNodeCrypto("ed25519PublicKeyObject");
  return crypto.createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: jwk.x },
    format: "jwk",
  }) as KeyObject;
}

/**
 * Validates a JWKS and imports its keys, by `kid`. Every key must be a sound Ed25519 key with a
 * distinct `kid`; anything else makes the whole set `malformed` (a half-trusted key set is worse
 * than none).
 */
export function importJwks(value: unknown): Result<Map<string, Ed25519PublicKey>> {
  const refuse = (message: string) =>
    fail(new TokenError("malformed", `JWKS: ${message}`, { claim: "keys" }));
  if (typeof value !== "object" || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    return refuse("expected an object {keys: [...]}");
  }
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length > MAX_JWKS_KEYS) return refuse(`more than ${MAX_JWKS_KEYS} keys`);
  const imported = new Map<string, Ed25519PublicKey>();
  for (const [i, raw] of keys.entries()) {
    const kid = (raw as { kid?: unknown } | null)?.kid;
    if (typeof kid !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(kid))
      return refuse(`keys[${i}] needs a kid`);
    if (imported.has(kid)) return refuse(`kid ${kid} appears twice`);
    const key = parseAgentJwk(raw, `keys[${i}]`);
    if (!key.ok) return fail(key.error);
    imported.set(kid, Ed25519PublicKey.fromJwk(key.value.jwk));
  }
  return ok(imported);
}
