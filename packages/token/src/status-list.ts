/**
 * Token Status List (draft-ietf-oauth-status-list-20): the bit array, its `lst` encoding and the
 * status list token. Pure and runtime-neutral: compression goes through the web streams every
 * runtime has (`CompressionStream("deflate")` is the ZLIB format, RFC 1950), never node:zlib, and
 * decompression stops at a byte ceiling, so a zip bomb is refused, not allocated.
 */
import { CompactSign } from "jose";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { isStatusListUri } from "./claims.ts";
import { type CompactJwsRules, decodeCompactJws, type JwsRefusal } from "./compact-jws.ts";
import { type SigningKey, TOKEN_ALG } from "./jws.ts";
import { type SignatureChecking, signatureVerdict } from "./signature-checks.ts";
import { parseStrictJson } from "./strict-json.ts";
import { fail, ok, type Result, TokenError } from "./token-error.ts";
import type { VerificationKey } from "./verification-key.ts";

/** The `typ` of a status list token (draft §5.1). */
export const STATUS_LIST_TYPE = "statuslist+jwt";
/** The media type a status list token is served as (draft §5.1, §14). */
export const STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt";
/** Bits per entry the draft allows. */
export const STATUS_LIST_BIT_SIZES = [1, 2, 4, 8] as const;
/** Bits per entry of a status list. */
export type StatusBits = (typeof STATUS_LIST_BIT_SIZES)[number];
/**
 * Default ceiling on a decompressed list: 1 MiB, the size of the draft's largest example (2^20
 * entries of 8 bits). A list whose inflated bytes would pass it is refused while inflating.
 */
export const DEFAULT_MAX_STATUS_LIST_BYTES = 1 << 20;
/** Default ceiling on a compact status list token, checked before anything is decoded. */
export const DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES = 1 << 20;
function malformed(claim: string, message: string): { ok: false; error: TokenError } {
  return fail(new TokenError("malformed", message, { claim }));
}

/**
 * An empty 1-bit list of `size` entries with the given entries set (1 = invalid), packed least
 * significant bit first (draft §4.1: entry 0 is bit 0 of byte 0).
 */
export function packStatusBits(size: number, setIndexes: Iterable<number>): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError("size must be a whole number");
  const bytes = new Uint8Array(Math.ceil(size / 8));
  for (const index of setIndexes) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`index ${index} is outside a list of ${size} entries`);
    }
    bytes[index >> 3] = (bytes[index >> 3] as number) | (1 << (index & 7));
  }
  return bytes;
}

/**
 * The status of entry `index` of a list of `bits`-bit entries, or undefined when the index is
 * outside the list (draft §8.3: such a token is refused, never read as valid).
 */
export function statusAt(bytes: Uint8Array, bits: StatusBits, index: number): number | undefined {
  if (!Number.isSafeInteger(index) || index < 0) return undefined;
  const bitOffset = index * bits;
  const byte = bytes[Math.floor(bitOffset / 8)];
  if (byte === undefined) return undefined;
  return (byte >> (bitOffset % 8)) & ((1 << bits) - 1);
}

/** Reads a stream to its end, or stops and returns undefined once it passes `maxBytes`. */
async function readBounded(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Stop inflating at once: the rest of a bomb is never produced.
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function streamOf(bytes: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
}

/** ZLIB-deflates the list's bytes and returns the base64url `lst` (draft §4.1). */
export async function compressStatusList(bytes: Uint8Array): Promise<string> {
  const compressed = await readBounded(
    streamOf(bytes).pipeThrough(new CompressionStream("deflate")),
    Number.MAX_SAFE_INTEGER,
  );
  return encodeBase64url(compressed as Uint8Array);
}

/** Options of {@link decompressStatusList}. */
export interface DecompressStatusListOptions {
  /** Most inflated bytes accepted. Default {@link DEFAULT_MAX_STATUS_LIST_BYTES}. */
  readonly maxBytes?: number;
}

/**
 * Decodes an `lst`: canonical base64url, then ZLIB inflate bounded by `maxBytes`. `malformed`
 * (claim `status_list.lst`) for bad base64url, a stream that is not ZLIB or is cut short, or a
 * list that would inflate past the ceiling.
 */
export async function decompressStatusList(
  lst: string,
  options: DecompressStatusListOptions = {},
): Promise<Result<Uint8Array>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_STATUS_LIST_BYTES;
  const compressed = decodeBase64url(lst);
  if (compressed === undefined || compressed.byteLength === 0) {
    return malformed("status_list.lst", "lst must be canonical base64url of ZLIB-deflated bytes");
  }
  let inflated: Uint8Array | undefined;
  try {
    inflated = await readBounded(
      streamOf(compressed).pipeThrough(new DecompressionStream("deflate")),
      maxBytes,
    );
  } catch {
    return malformed("status_list.lst", "lst is not a complete ZLIB stream");
  }
  if (inflated === undefined) {
    return malformed("status_list.lst", `lst inflates past ${maxBytes} bytes; the list is refused`);
  }
  return ok(inflated);
}

/** The `status_list` member of a status list token (draft §4.2). */
export interface StatusListClaim {
  readonly bits: StatusBits;
  readonly lst: string;
}

/** The claims of a status list token (draft §5.1). */
export interface StatusListTokenClaims {
  /** The list's URI: equal to the `uri` of the tokens that point into it. */
  readonly sub: string;
  readonly iat: number;
  /** When this token must no longer be used. */
  readonly exp?: number;
  /** Seconds a relying party may cache the list before fetching it again. */
  readonly ttl?: number;
  readonly iss?: string;
  readonly status_list: StatusListClaim;
}

/** Largest time or `ttl` accepted: 2^40 seconds, as for Baton tokens. */
const MAX_TIME = 2 ** 40;

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIME;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function onlyMembers(value: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(value).find((key) => !allowed.includes(key));
}

/** Parses a `status_list` object strictly: exactly `bits` (1, 2, 4 or 8) and `lst`. */
export function parseStatusListClaim(value: unknown): Result<StatusListClaim> {
  if (!isPlainObject(value)) return malformed("status_list", "status_list must be an object {bits, lst}");
  const unknown = onlyMembers(value, ["bits", "lst"]);
  if (unknown !== undefined) {
    return malformed(`status_list.${unknown.slice(0, 32)}`, "status_list holds only bits and lst");
  }
  if (!STATUS_LIST_BIT_SIZES.includes(value.bits as StatusBits)) {
    return malformed("status_list.bits", "status_list.bits must be 1, 2, 4 or 8");
  }
  if (typeof value.lst !== "string" || value.lst.length === 0) {
    return malformed("status_list.lst", "status_list.lst must be a base64url string");
  }
  return ok({ bits: value.bits as StatusBits, lst: value.lst });
}

/**
 * Parses the claims of a status list token strictly: `sub` (an http(s) URI), `iat`, optional
 * `exp` (after `iat`), optional `ttl`, optional `iss`, and `status_list`; any other member is
 * `malformed`.
 */
export function parseStatusListTokenClaims(payload: unknown): Result<StatusListTokenClaims> {
  if (!isPlainObject(payload)) return malformed("payload", "the payload must be a JSON object");
  const unknown = onlyMembers(payload, ["sub", "iat", "exp", "ttl", "iss", "status_list"]);
  if (unknown !== undefined)
    return malformed(unknown.slice(0, 32), `unknown claim ${JSON.stringify(unknown.slice(0, 32))}`);
  if (!isStatusListUri(payload.sub)) return malformed("sub", "sub must be the list's http(s) URI");
  if (!isTime(payload.iat)) return malformed("iat", "iat must be an integer number of seconds");
  if (payload.exp !== undefined && (!isTime(payload.exp) || payload.exp <= payload.iat)) {
    return malformed("exp", "exp must be an integer number of seconds after iat");
  }
  if (payload.ttl !== undefined && (!isTime(payload.ttl) || payload.ttl === 0)) {
    return malformed("ttl", "ttl must be a positive integer number of seconds");
  }
  if (payload.iss !== undefined && !isStatusListUri(payload.iss)) {
    return malformed("iss", "iss must be an http(s) URL");
  }
  const statusList = parseStatusListClaim(payload.status_list);
  if (!statusList.ok) return statusList;
  return ok({
    sub: payload.sub,
    iat: payload.iat,
    ...(payload.exp === undefined ? {} : { exp: payload.exp as number }),
    ...(payload.ttl === undefined ? {} : { ttl: payload.ttl as number }),
    ...(payload.iss === undefined ? {} : { iss: payload.iss as string }),
    status_list: statusList.value,
  });
}

/** A status list token split, its header checked and its claims parsed; signature not verified. */
export interface DecodedStatusListToken {
  readonly kid: string;
  readonly claims: StatusListTokenClaims;
  readonly signingInput: string;
  readonly signature: Uint8Array;
}

const KID = /^[A-Za-z0-9_-]{1,64}$/;

function statusListRefusal(refusal: JwsRefusal): TokenError {
  if (refusal.problem === "too_large") return new TokenError("token_too_large", refusal.message);
  const claim = refusal.member ?? refusal.part;
  return new TokenError("malformed", refusal.message, { claim });
}

const STATUS_LIST_JWS_RULES: Omit<CompactJwsRules<TokenError>, "maxBytes"> = {
  maxHeaderDepth: 1,
  headerMembers: ["alg", "typ", "kid"],
  signatureBytes: 64,
  refuse: statusListRefusal,
  checkHeader(header) {
    if (header.alg !== TOKEN_ALG) {
      return new TokenError("unsupported_alg", `a status list token must be signed with ${TOKEN_ALG}`, {
        claim: "alg",
      });
    }
    if (header.typ !== STATUS_LIST_TYPE) {
      return new TokenError("bad_type", `typ must be ${STATUS_LIST_TYPE}`, { claim: "typ" });
    }
    if (typeof header.kid !== "string" || !KID.test(header.kid)) {
      return new TokenError("malformed", "kid must be 1 to 64 base64url characters", { claim: "kid" });
    }
    return undefined;
  },
};

/**
 * Decodes a status list token signed the way Baton signs its tokens: header exactly
 * `{alg, typ: "statuslist+jwt", kid}`, then the claims, strictly. The signature is checked with
 * {@link statusListSignatureCheck}.
 */
export function decodeStatusListToken(
  compact: string,
  options: { readonly maxTokenBytes?: number } = {},
): Result<DecodedStatusListToken> {
  const decoded = decodeCompactJws(compact, {
    ...STATUS_LIST_JWS_RULES,
    maxBytes: options.maxTokenBytes ?? DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES,
  });
  if (!decoded.ok) return decoded;
  const json = parseStrictJson(decoded.value.payloadText, { maxDepth: 3 });
  if (!json.ok) return malformed("payload", `the payload is not strict JSON: ${json.message}`);
  const claims = parseStatusListTokenClaims(json.value);
  if (!claims.ok) return claims;
  return ok({
    kid: String(decoded.value.header.kid),
    claims: claims.value,
    signingInput: decoded.value.signingInput,
    signature: decoded.value.signature,
  });
}

/** The signature check of a decoded status list token under a public key (run it with `runSignatureChecks`). */
export function statusListSignatureCheck(
  token: DecodedStatusListToken,
  key: VerificationKey,
): SignatureChecking<boolean> {
  return signatureVerdict({ key, message: token.signingInput, signature: token.signature });
}

/** What the issuer puts in a status list token. */
export interface StatusListTokenInput {
  readonly uri: string;
  /** The 1-bit list's bytes, least significant bit first. */
  readonly bytes: Uint8Array;
  readonly iat: number;
  readonly exp: number;
  readonly ttl: number;
}

/**
 * Signs a 1-bit status list token with the service key, with the same algorithm as Baton tokens.
 * Throws a `TokenError` (`malformed`) when the claims would not parse back: a caller bug.
 */
export async function signStatusListToken(input: StatusListTokenInput, key: SigningKey): Promise<string> {
  const claims = {
    sub: input.uri,
    iat: input.iat,
    exp: input.exp,
    ttl: input.ttl,
    status_list: { bits: 1, lst: await compressStatusList(input.bytes) },
  };
  const reparsed = parseStatusListTokenClaims(claims);
  if (!reparsed.ok) throw reparsed.error;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: TOKEN_ALG, typ: STATUS_LIST_TYPE, kid: key.kid })
    .sign(key.privateKey);
}
