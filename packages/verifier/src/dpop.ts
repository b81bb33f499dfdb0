/**
 * DPoP proof checking (RFC 9449) for a presented chain: the leaf holder proves possession of the
 * key its token is bound to (`cnf.jkt`), for this method and URL, for this exact chain, now.
 */
import {
  type CompactJwsRules,
  DPOP_PROOF_ALGS,
  decodeCompactJws,
  Ed25519PublicKey,
  parseAgentJwk,
  parseJwsObject,
  runSignatureChecks,
  runSignatureChecksSync,
  type SignatureChecking,
  sha256Base64url,
} from "@baton/token";
import type { Reason } from "./decision.ts";
import { LruCache } from "./lru-cache.ts";
import type { ReplayCache } from "./replay-cache.ts";

/** Where a presented chain travelled: `Authorization`, or a token request's `subject_token`. */
export type ChainSentAs = "access_token" | "subject_token";

/** What a proof must match. Times are seconds. */
export interface ProofExpectation {
  readonly proof: string | undefined;
  readonly method: string;
  readonly url: string;
  /** The chain exactly as presented; `ath` is its SHA-256. */
  readonly chain: string;
  /**
   * How the chain rode with the proof: as the access token (the default: `ath` is required), or
   * as the `subject_token` of a token exchange, where RFC 9449 §5 has no access token to hash, so
   * `ath` may be left out but must still be the chain's hash when it is there.
   */
  readonly chainSentAs?: ChainSentAs | undefined;
  /** The leaf token's `cnf.jkt`. */
  readonly thumbprint: string;
  readonly now: number;
  /** How old a proof's `iat` may be. */
  readonly maxAgeSeconds: number;
  /** How far in the future a proof's `iat` may be (clock skew). */
  readonly skewSeconds: number;
  readonly replayCache: ReplayCache;
  /** Index of the leaf hop, to attribute the reasons. */
  readonly hop: number;
}

const MAX_PROOF_BYTES = 2048;
const PROOF_ID = /^[A-Za-z0-9_-]{16,128}$/;
const HTTP_METHOD = /^[A-Z]{1,16}$/;

// Importing a key costs more than verifying with it; agents reuse one key across many proofs, and
// the crypto backend keeps its imported form for as long as this cache keeps the key.
const importedKeys = new LruCache<string, Ed25519PublicKey>(4096);

function importEd25519(jwk: {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
}): Ed25519PublicKey {
  let key = importedKeys.get(jwk.x);
  if (key === undefined) {
    key = Ed25519PublicKey.fromJwk(jwk);
    importedKeys.set(jwk.x, key);
  }
  return key;
}

const PROOF_ALGS: ReadonlySet<unknown> = new Set(DPOP_PROOF_ALGS);
const PROOF_JWK_MEMBERS: ReadonlySet<string> = new Set(["kty", "crv", "x"]);

// The proof header is typ, alg and the holder's public jwk; nothing else may steer processing.
const PROOF_JWS_RULES: CompactJwsRules<string> = {
  // An agent signs every proof with one key, so its proofs share one header text.
  acceptedHeaders: new Map(),
  maxBytes: MAX_PROOF_BYTES,
  maxHeaderDepth: 2,
  headerMembers: ["typ", "alg", "jwk"],
  signatureBytes: 64,
  refuse(refusal) {
    if (refusal.part === "compact") return "the DPoP proof is not a compact JWS";
    if (refusal.member !== undefined) return `DPoP header parameter ${refusal.member} is not allowed`;
    if (refusal.part === "signature") return "the DPoP signature is not 64 bytes";
    return `the DPoP ${refusal.part} is refused: ${refusal.message}`;
  },
  checkHeader(header) {
    if (header.typ !== "dpop+jwt") return "the DPoP proof typ must be dpop+jwt";
    // RFC 9864: Ed25519 is the fully specified name, EdDSA the deprecated one; the jwk check
    // below holds either to an OKP Ed25519 key.
    if (!PROOF_ALGS.has(header.alg)) return `the DPoP proof alg must be ${DPOP_PROOF_ALGS.join(" or ")}`;
    return undefined;
  },
};

/**
 * Normalizes an HTTP URL for `htu` comparison (RFC 9449 §4.3): scheme and host lowercased,
 * default port dropped, dot segments resolved, query and fragment removed. Undefined when the
 * text is not an absolute http(s) URL.
 */
export function normalizeHtu(url: string): string | undefined {
  // A verifier checks every proof against its own one URL: the last answer is usually the one.
  if (url === lastNormalized.url) return lastNormalized.htu;
  const htu = normalizeUrl(url);
  lastNormalized = { url, htu };
  return htu;
}

let lastNormalized: { url: string; htu: string | undefined } = { url: "", htu: undefined };

function normalizeUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * Checks a DPoP proof against what this request must prove, asking for its signature verdict
 * (see `runSignatureChecks`). Returns the failed checks (empty when the proof is good):
 * `pop_missing`, `pop_invalid`, `pop_replayed`, `pop_binding_mismatch`. A proof's id is consumed
 * only once its signature and claims check out, so a forged proof cannot burn an honest client's id.
 */
export function* checkProofSteps(expect: ProofExpectation): SignatureChecking<Reason[]> {
  const hop = expect.hop;
  const invalid = (message: string): Reason[] => [{ hop, code: "pop_invalid", message }];
  const { proof } = expect;
  if (proof === undefined || proof.length === 0) {
    return [{ hop, code: "pop_missing", message: "send a DPoP proof signed by the leaf holder's key" }];
  }
  const decoded = decodeCompactJws(proof, PROOF_JWS_RULES);
  if (!decoded.ok) return invalid(decoded.error);
  const jwk = decoded.value.header.jwk;
  // A proof's key is exactly the public key (DESIGN.md "Presenting a chain"): kid, alg or use
  // steer nothing here, so a jwk that carries them is refused rather than half-read.
  if (
    typeof jwk === "object" &&
    jwk !== null &&
    Object.keys(jwk).some((name) => !PROOF_JWK_MEMBERS.has(name))
  ) {
    return invalid("the DPoP jwk may carry only kty, crv and x");
  }
  const key = parseAgentJwk(jwk, "jwk");
  if (!key.ok) return invalid(`the DPoP jwk is refused: ${key.error.message}`);
  const { signingInput, signature, payloadText } = decoded.value;
  if (!(yield { key: importEd25519(key.value.jwk), message: signingInput, signature })) {
    return invalid("the DPoP signature does not verify under its jwk");
  }
  return checkSignedProof(payloadText, key.value.thumbprint, expect);
}

/** The claims of a proof whose signature verified, then its id against the replay cache. */
function checkSignedProof(payloadText: string, thumbprint: string, expect: ProofExpectation): Reason[] {
  const hop = expect.hop;
  const invalid = (message: string): Reason[] => [{ hop, code: "pop_invalid", message }];
  const payload = parseJwsObject(payloadText, 1);
  if (!payload.ok) return invalid(`the DPoP payload is ${payload.error}`);
  const claims = payload.value;
  for (const name of Object.keys(claims)) {
    if (!["jti", "htm", "htu", "iat", "ath", "nonce"].includes(name))
      return invalid(`DPoP claim ${name} is not allowed`);
  }
  const { jti, htm, htu, iat, ath } = claims;
  if (typeof jti !== "string" || !PROOF_ID.test(jti))
    return invalid("the DPoP jti must be 16 to 128 base64url characters");
  if (typeof iat !== "number" || !Number.isSafeInteger(iat))
    return invalid("the DPoP iat must be integer seconds");

  const reasons: Reason[] = [];
  if (typeof htm !== "string" || !HTTP_METHOD.test(htm) || htm !== expect.method.toUpperCase()) {
    reasons.push({
      hop,
      code: "pop_invalid",
      message: `the proof is for method ${String(htm)}, not ${expect.method}`,
    });
  }
  const expectedHtu = normalizeHtu(expect.url);
  if (typeof htu !== "string" || expectedHtu === undefined || normalizeHtu(htu) !== expectedHtu) {
    reasons.push({ hop, code: "pop_invalid", message: "the proof's htu is not this request's URL" });
  }
  const athOptional = expect.chainSentAs === "subject_token" && ath === undefined;
  if (!athOptional && (typeof ath !== "string" || ath !== sha256Base64url(expect.chain))) {
    reasons.push({
      hop,
      code: "pop_invalid",
      message: "the proof's ath is not the hash of the presented chain",
    });
  }
  if (iat < expect.now - expect.maxAgeSeconds) {
    reasons.push({
      hop,
      code: "pop_invalid",
      message: "the proof is too old; make a fresh one for each request",
    });
  } else if (iat > expect.now + expect.skewSeconds) {
    reasons.push({ hop, code: "pop_invalid", message: "the proof's iat is in the future; check the clock" });
  }
  if (thumbprint !== expect.thumbprint) {
    reasons.push({
      hop,
      code: "pop_binding_mismatch",
      message: "the proof key is not the key the leaf token is bound to (cnf.jkt)",
    });
  }
  if (reasons.length > 0) return reasons;

  const seen = expect.replayCache.check(jti, iat, expect.now);
  if (seen === "replayed")
    return [{ hop, code: "pop_replayed", message: "this proof was already used; sign a new one" }];
  if (seen === "too_old")
    return invalid("the proof is older than the replay window can vouch for; sign a new one");
  return [];
}

/** `checkProofSteps`, synchronously (node:crypto runtimes). */
export function checkProof(expect: ProofExpectation): Reason[] {
  return runSignatureChecksSync(checkProofSteps(expect), "checkProof");
}

/** `checkProofSteps` on any runtime. */
export function checkProofAsync(expect: ProofExpectation): Promise<Reason[]> {
  return runSignatureChecks(checkProofSteps(expect));
}
