/**
 * Compact JWS for Baton tokens. Signing and verification go through the crypto adapter:
 * node:crypto where the runtime has it (synchronous; a verify with a cached KeyObject is about
 * twice as fast as jose's async WebCrypto path, and lets the verifier stay synchronous), and
 * elsewhere jose signs and WebCrypto verifies (the `…Async` functions).
 */
import { CompactSign, type CryptoKey, type KeyObject } from "jose";
import { encodeBase64url } from "./base64url.ts";
import { parseClaims, serializeClaims, type TokenClaims } from "./claims.ts";
import { type CompactJwsRules, decodeCompactJws, type JwsRefusal } from "./compact-jws.ts";
import { cryptoBackend } from "./crypto-backend.ts";
import {
  runSignatureChecks,
  runSignatureChecksSync,
  type SignatureChecking,
  signatureVerdict,
} from "./signature-checks.ts";
import { parseStrictJson } from "./strict-json.ts";
import { fail, ok, type Result, TokenError } from "./token-error.ts";
import type { SignatureCheck, VerificationKey } from "./verification-key.ts";

/** The only `typ` a Baton token may carry. */
export const TOKEN_TYPE = "baton+jwt";
/**
 * The only `alg` a Baton token may carry: the fully specified Ed25519 of RFC 9864. `EdDSA`, which
 * that RFC deprecates, is refused in token headers (DPoP proofs may still use it). Status list
 * tokens are signed with it too.
 */
export const TOKEN_ALG = "Ed25519";
/** Default ceiling on one compact token, in bytes; checked before anything is decoded. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

const KID = /^[A-Za-z0-9_-]{1,64}$/;
/** The protected header of a Baton token: exactly these three members. */
export interface TokenHeader {
  readonly alg: typeof TOKEN_ALG;
  readonly typ: typeof TOKEN_TYPE;
  readonly kid: string;
}

/** A token split and its header checked, signature not yet verified. */
export interface DecodedToken {
  readonly compact: string;
  readonly header: TokenHeader;
  readonly signingInput: string;
  readonly signature: Uint8Array;
  readonly payloadText: string;
}

/** A token whose signature verified and whose claims parsed strictly. */
export interface VerifiedToken {
  readonly compact: string;
  readonly header: TokenHeader;
  readonly claims: TokenClaims;
}

/** Finds the service public key for a `kid`; undefined when the key is unknown. */
export type KeyResolver = (kid: string) => VerificationKey | undefined;

const utf8 = new TextEncoder();

/** The base64url protected header for `kid`: the exact text jose writes for the same header. */
function encodedHeader(kid: string): string {
  return encodeBase64url(utf8.encode(JSON.stringify({ alg: TOKEN_ALG, typ: TOKEN_TYPE, kid })));
}

function isEd25519KeyObject(key: KeyObject | CryptoKey): key is KeyObject {
  return (key as { asymmetricKeyType?: unknown }).asymmetricKeyType === "ed25519";
}

/**
 * Signs `payload` as a compact JWS under `key`: synchronously where the runtime can (Ed25519 is
 * deterministic, so the token is byte for byte the one jose would make), else with jose.
 */
function signCompact(payload: string, key: SigningKey): string | Promise<string> {
  const signSync = cryptoBackend().signSync;
  // A KeyObject is node:crypto's own; a CryptoKey goes to jose (WebCrypto), on every runtime.
  if (signSync !== undefined && isEd25519KeyObject(key.privateKey)) {
    const signingInput = `${encodedHeader(key.kid)}.${encodeBase64url(utf8.encode(payload))}`;
    return `${signingInput}.${encodeBase64url(signSync(signingInput, key.privateKey))}`;
  }
  return new CompactSign(utf8.encode(payload))
    .setProtectedHeader({ alg: TOKEN_ALG, typ: TOKEN_TYPE, kid: key.kid })
    .sign(key.privateKey);
}

/** The service's signing key. */
export interface SigningKey {
  readonly kid: string;
  /** An Ed25519 private key (a node KeyObject or a WebCrypto CryptoKey). */
  readonly privateKey: KeyObject | CryptoKey;
}

export interface DecodeTokenOptions {
  readonly maxTokenBytes?: number;
}

function malformed(message: string, claim?: string): { ok: false; error: TokenError } {
  return fail(new TokenError("malformed", message, claim === undefined ? {} : { claim }));
}

/**
 * Splits a compact token and checks its size, its encoding and its header, in that order, before
 * any signature work: `token_too_large`, `malformed`, `unsupported_alg`, `bad_type`.
 */
export function decodeToken(compact: string, options: DecodeTokenOptions = {}): Result<DecodedToken> {
  const decoded = decodeCompactJws(compact, tokenRules(options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES));
  if (!decoded.ok) return decoded;
  const { header, signingInput, signature, payloadText } = decoded.value;
  return ok({
    compact,
    header: { alg: TOKEN_ALG, typ: TOKEN_TYPE, kid: String(header.kid) },
    signingInput,
    signature,
    payloadText,
  });
}

function tokenRefusal(refusal: JwsRefusal): TokenError {
  if (refusal.problem === "too_large") return new TokenError("token_too_large", refusal.message);
  const claim = refusal.member ?? (refusal.part === "compact" ? undefined : refusal.part);
  const message =
    refusal.part === "compact" ? "a token is three base64url parts joined by dots" : refusal.message;
  return new TokenError("malformed", message, claim === undefined ? {} : { claim });
}

// The header is fixed: nothing in it may choose a key, a URL or a processing rule.
const TOKEN_JWS_RULES: Omit<CompactJwsRules<TokenError>, "maxBytes"> = {
  // A service signs with a few keys, so every token it issues carries one of a few headers.
  acceptedHeaders: new Map(),
  maxHeaderDepth: 1,
  headerMembers: ["alg", "typ", "kid"],
  signatureBytes: 64,
  refuse: tokenRefusal,
  checkHeader(header) {
    if (header.alg !== TOKEN_ALG) {
      return new TokenError("unsupported_alg", `only alg ${TOKEN_ALG} (RFC 9864) is accepted`, {
        claim: "alg",
      });
    }
    if (header.typ !== TOKEN_TYPE)
      return new TokenError("bad_type", `typ must be ${TOKEN_TYPE}`, { claim: "typ" });
    if (typeof header.kid !== "string" || !KID.test(header.kid)) {
      return new TokenError("malformed", "kid must be 1 to 64 base64url characters", { claim: "kid" });
    }
    return undefined;
  },
};

// One rule set per size ceiling in use (a verifier has one), not a copy per token.
const rulesByCeiling = new Map<number, CompactJwsRules<TokenError>>();
function tokenRules(maxBytes: number): CompactJwsRules<TokenError> {
  let rules = rulesByCeiling.get(maxBytes);
  if (rules === undefined) {
    rules = { ...TOKEN_JWS_RULES, maxBytes };
    if (rulesByCeiling.size < 16) rulesByCeiling.set(maxBytes, rules);
  }
  return rules;
}

/** The signature check of a decoded token under a public key. */
export function tokenSignatureCheck(token: DecodedToken, key: VerificationKey): SignatureCheck {
  return { key, message: token.signingInput, signature: token.signature };
}

/**
 * Checks the Ed25519 signature of a decoded token with the given public key, synchronously
 * (node:crypto runtimes; elsewhere `hasValidSignatureAsync`).
 */
export function hasValidSignature(token: DecodedToken, publicKey: VerificationKey): boolean {
  return runSignatureChecksSync(signatureVerdict(tokenSignatureCheck(token, publicKey)), "hasValidSignature");
}

/** Checks the Ed25519 signature of a decoded token with the given public key, on any runtime. */
export function hasValidSignatureAsync(token: DecodedToken, publicKey: VerificationKey): Promise<boolean> {
  return runSignatureChecks(signatureVerdict(tokenSignatureCheck(token, publicKey)));
}

/** Parses the payload of a decoded token strictly into claims (`malformed` on anything off). */
export function parseTokenPayload(token: DecodedToken): Result<TokenClaims> {
  const json = parseStrictJson(token.payloadText, { maxDepth: 6 });
  if (!json.ok) return malformed(`the payload is not strict JSON: ${json.message}`, "payload");
  return parseClaims(json.value);
}

function* verifyTokenSteps(
  compact: string,
  resolveKey: KeyResolver,
  options: DecodeTokenOptions,
): SignatureChecking<Result<VerifiedToken>> {
  const decoded = decodeToken(compact, options);
  if (!decoded.ok) return decoded;
  const key = resolveKey(decoded.value.header.kid);
  if (key === undefined) {
    return fail(
      new TokenError("unknown_key", `no service key with kid ${decoded.value.header.kid}; refresh the JWKS`, {
        claim: "kid",
      }),
    );
  }
  if (!(yield tokenSignatureCheck(decoded.value, key))) {
    return fail(new TokenError("bad_signature", "the signature does not verify under the service key"));
  }
  const claims = parseTokenPayload(decoded.value);
  if (!claims.ok) return claims;
  return ok({ compact, header: decoded.value.header, claims: claims.value });
}

/**
 * Decodes, verifies and parses one token: `token_too_large`, `malformed`, `unsupported_alg`,
 * `bad_type`, `unknown_key`, `bad_signature`, then `malformed` for the claims. Synchronous, so
 * for node:crypto runtimes (Node, Bun, Deno); `verifyTokenAsync` runs anywhere.
 */
export function verifyToken(
  compact: string,
  resolveKey: KeyResolver,
  options: DecodeTokenOptions = {},
): Result<VerifiedToken> {
  return runSignatureChecksSync(verifyTokenSteps(compact, resolveKey, options), "verifyToken");
}

/** `verifyToken` on any runtime, WebCrypto included. */
export function verifyTokenAsync(
  compact: string,
  resolveKey: KeyResolver,
  options: DecodeTokenOptions = {},
): Promise<Result<VerifiedToken>> {
  return runSignatureChecks(verifyTokenSteps(compact, resolveKey, options));
}

/**
 * Signs claims as a compact Baton token with the service's Ed25519 key. Throws a `TokenError`
 * when the claims would not parse back strictly (`malformed`) or the token would exceed
 * `DEFAULT_MAX_TOKEN_BYTES` (`token_too_large`): signing such a token is a bug in the caller.
 */
export async function signToken(claims: TokenClaims, key: SigningKey): Promise<string> {
  const payload = serializeClaims(claims);
  const reparsed = parseClaims(JSON.parse(payload));
  if (!reparsed.ok) throw reparsed.error;
  const compact = await signCompact(payload, key);
  // A token every verifier refuses (DESIGN.md step 1) must not be issued either.
  if (compact.length > DEFAULT_MAX_TOKEN_BYTES) {
    throw new TokenError(
      "token_too_large",
      `the token would be ${compact.length} bytes; the limit is ${DEFAULT_MAX_TOKEN_BYTES}`,
    );
  }
  return compact;
}
