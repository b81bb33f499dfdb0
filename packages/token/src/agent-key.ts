/**
 * Agent keys: Ed25519 public keys as JWKs, their RFC 7638 thumbprints, and the point checks that
 * node:crypto and WebCrypto do not do. OpenSSL accepts signatures under a small-order public key, and such a
 * key verifies signatures that anyone can forge, so a key is accepted only if its encoding is
 * canonical and the point lies in the prime-order subgroup (no small-order or mixed-order keys).
 */
import { Point } from "@noble/ed25519";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { sha256Base64url } from "./digest.ts";
import { fail, ok, type Result, TokenError } from "./token-error.ts";

/** An Ed25519 public key as a JWK, with only the members RFC 8037 defines for it. */
export interface Ed25519PublicJwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
}

/** A checked agent key: its JWK, raw bytes and thumbprint. */
export interface AgentKey {
  readonly jwk: Ed25519PublicJwk;
  readonly publicKey: Uint8Array;
  /** RFC 7638 SHA-256 thumbprint, base64url: what `cnf.jkt` binds a token to. */
  readonly thumbprint: string;
}

const OPTIONAL_MEMBERS: Readonly<Record<string, (value: unknown) => boolean>> = {
  kid: (value) => typeof value === "string" && value.length <= 128,
  alg: (value) => value === "EdDSA" || value === "Ed25519",
  use: (value) => value === "sig",
};

/** RFC 7638 thumbprint of an Ed25519 key: SHA-256 over `{"crv","kty","x"}` in that order. */
export function jwkThumbprint(jwk: Ed25519PublicJwk): string {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`;
  return sha256Base64url(canonical);
}

/**
 * Checks raw Ed25519 public-key bytes: 32 bytes, the canonical encoding of a curve point, of
 * prime order. Returns a message saying what is wrong, or undefined when the key is sound.
 */
export function ed25519KeyProblem(publicKey: Uint8Array): string | undefined {
  if (publicKey.byteLength !== 32) return "an Ed25519 public key is 32 bytes";
  let point: Point;
  try {
    // zip215 = false: strict RFC 8032 decoding, refusing y ≥ p and the x = 0 / sign-bit-1 form.
    point = Point.fromBytes(publicKey, false);
  } catch {
    return "the key is not the canonical encoding of a point on Ed25519";
  }
  if (point.isSmallOrder()) return "the key is a small-order point, under which signatures can be forged";
  if (!point.isTorsionFree()) return "the key has a small-order component; generate a fresh Ed25519 key";
  return undefined;
}

/** Most key verdicts remembered; an agent presents one key on every call. */
const KEY_VERDICT_CACHE_SIZE = 4096;
const keyVerdicts = new Map<string, string | undefined>();

/**
 * `ed25519KeyProblem`, remembered by the key's canonical encoding. The subgroup check is a full
 * scalar multiplication in JavaScript (about a millisecond, several Ed25519 verifications' worth),
 * and every DPoP proof carries its key, so without this a warm chain would cost more than a cold
 * one. The verdict depends only on the 32 bytes, so a remembered one is exact.
 */
function checkedKeyProblem(x: string, publicKey: Uint8Array): string | undefined {
  if (keyVerdicts.has(x)) return keyVerdicts.get(x);
  const problem = ed25519KeyProblem(publicKey);
  if (keyVerdicts.size >= KEY_VERDICT_CACHE_SIZE) {
    const oldest = keyVerdicts.keys().next();
    if (!oldest.done) keyVerdicts.delete(oldest.value);
  }
  keyVerdicts.set(x, problem);
  return problem;
}

/**
 * Validates untrusted input as an agent's Ed25519 public JWK, refusing private keys, other key
 * types and unsound points. `claim` names the field in error messages.
 */
export function parseAgentJwk(value: unknown, claim = "jwk"): Result<AgentKey> {
  const refuse = (message: string) => fail(new TokenError("malformed", `${claim}: ${message}`, { claim }));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return refuse("must be a JSON Web Key object");
  }
  const jwk = value as Record<string, unknown>;
  if (Object.hasOwn(jwk, "d")) return refuse("contains a private key (d); send only the public key");
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519")
    return refuse('must be {"kty":"OKP","crv":"Ed25519","x":…}');
  for (const [member, memberValue] of Object.entries(jwk)) {
    if (member === "kty" || member === "crv" || member === "x") continue;
    // Own members only: `constructor`, `toString`… are inherited by the lookup table and must
    // be refused like any other unknown member, not called as a check.
    const check = Object.hasOwn(OPTIONAL_MEMBERS, member) ? OPTIONAL_MEMBERS[member] : undefined;
    if (check === undefined || !check(memberValue))
      return refuse(`has an unexpected member ${JSON.stringify(member)}`);
  }
  if (typeof jwk.x !== "string") return refuse("x must be a base64url string");
  const publicKey = decodeBase64url(jwk.x);
  if (publicKey === undefined) return refuse("x is not canonical base64url");
  const problem = checkedKeyProblem(jwk.x, publicKey);
  if (problem !== undefined) return refuse(problem);
  const canonical: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: jwk.x };
  return ok({ jwk: canonical, publicKey, thumbprint: jwkThumbprint(canonical) });
}

/** The JWK of raw Ed25519 public-key bytes. */
export function ed25519PublicJwk(publicKey: Uint8Array): Ed25519PublicJwk {
  return { kty: "OKP", crv: "Ed25519", x: encodeBase64url(publicKey) };
}
