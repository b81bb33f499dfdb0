/**
 * The one strict decoder for a compact JWS (RFC 7515 §7.1), shared by Baton tokens and DPoP
 * proofs so the two cannot drift: a size ceiling checked first, three canonical base64url parts,
 * UTF-8 decoded without dropping a byte-order mark (strict JSON then refuses U+FEFF, so a header
 * has one spelling), strict JSON with duplicate keys refused, only the header members the caller
 * names, and the caller's own header rules run before the signature is even decoded.
 */
import { decodeBase64url } from "./base64url.ts";
import { type JsonValue, parseStrictJson } from "./strict-json.ts";
import { fail, ok, type Result } from "./token-error.ts";

/** Which part of a compact JWS a refusal is about. */
export type JwsPart = "compact" | "header" | "payload" | "signature";

/** Why a compact JWS was refused, before the caller maps it to its own error code. */
export interface JwsRefusal {
  /** `too_large` only for the size ceiling; `malformed` for everything else. */
  readonly problem: "too_large" | "malformed";
  readonly part: JwsPart;
  /** The offending header member, when the refusal is about one. */
  readonly member?: string;
  readonly message: string;
}

/** A compact JWS split and its header parsed; signature not yet verified, payload not parsed. */
export interface DecodedJws {
  readonly header: Readonly<Record<string, JsonValue>>;
  /** `header.payload` exactly as received: what the signature covers. */
  readonly signingInput: string;
  readonly signature: Uint8Array;
  readonly payloadText: string;
}

export interface CompactJwsRules<E> {
  /** Ceiling on the whole compact text, in characters (all base64url, so bytes). */
  readonly maxBytes: number;
  /** Deepest nesting accepted in the header JSON. */
  readonly maxHeaderDepth: number;
  /** The only header members allowed; any other (jku, x5u, crit, b64, ...) is refused. */
  readonly headerMembers: readonly string[];
  /** Exact signature length in bytes (64 for Ed25519). */
  readonly signatureBytes: number;
  /** The caller's header rules (alg, typ, kid, jwk), run before the signature is decoded. */
  readonly checkHeader?: (header: Readonly<Record<string, JsonValue>>) => E | undefined;
  /** Maps a decoder refusal to the caller's error. */
  readonly refuse: (refusal: JwsRefusal) => E;
  /**
   * Headers already decoded and accepted under these rules, by their exact base64url text. The
   * checks are a pure function of that text, so a known header skips them; every token a key
   * signs carries the same header, so a verifier sees few distinct ones.
   */
  readonly acceptedHeaders?: Map<string, Readonly<Record<string, JsonValue>>>;
}

/** Most headers remembered per rule set; past it, new headers are checked every time. */
const MAX_ACCEPTED_HEADERS = 256;

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// ignoreBOM keeps a leading U+FEFF in the text, so strict JSON refuses it instead of the decoder
// silently dropping it: a second spelling of the same header or claims.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Canonical base64url of UTF-8, with any BOM kept in the text; undefined otherwise. */
export function decodeJwsText(part: string): string | undefined {
  const bytes = decodeBase64url(part);
  if (bytes === undefined) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses text as a strict JSON object (duplicate keys, BOM, depth refused); undefined otherwise. */
export function parseJwsObject(
  text: string,
  maxDepth: number,
): Result<Readonly<Record<string, JsonValue>>, string> {
  const parsed = parseStrictJson(text, { maxDepth });
  if (!parsed.ok) return fail(`not strict JSON: ${parsed.message}`);
  if (!isObject(parsed.value)) return fail("not a JSON object");
  return ok(parsed.value);
}

/** Decodes and checks a header under `rules`; an accepted one is remembered by its text. */
function decodeHeader<E>(
  headerPart: string,
  rules: CompactJwsRules<E>,
): Result<Readonly<Record<string, JsonValue>>, E> {
  const headerText = decodeJwsText(headerPart);
  if (headerText === undefined) {
    return fail(
      rules.refuse({
        problem: "malformed",
        part: "header",
        message: "the header is not canonical base64url of UTF-8",
      }),
    );
  }
  const header = parseJwsObject(headerText, rules.maxHeaderDepth);
  if (!header.ok) {
    return fail(
      rules.refuse({ problem: "malformed", part: "header", message: `the header is ${header.error}` }),
    );
  }
  for (const name of Object.keys(header.value)) {
    if (!rules.headerMembers.includes(name)) {
      const member = name.slice(0, 32);
      return fail(
        rules.refuse({
          problem: "malformed",
          part: "header",
          member,
          message: `header parameter ${JSON.stringify(member)} is not allowed`,
        }),
      );
    }
  }
  const headerError = rules.checkHeader?.(header.value);
  if (headerError !== undefined) return fail(headerError);
  const accepted = rules.acceptedHeaders;
  if (accepted !== undefined && accepted.size < MAX_ACCEPTED_HEADERS) accepted.set(headerPart, header.value);
  return ok(header.value);
}

/**
 * Decodes a compact JWS strictly, in this order: size, shape, header encoding, header JSON, header
 * members, the caller's header rules, signature, payload encoding. Nothing is verified here.
 */
export function decodeCompactJws<E>(compact: string, rules: CompactJwsRules<E>): Result<DecodedJws, E> {
  if (compact.length > rules.maxBytes) {
    return fail(
      rules.refuse({
        problem: "too_large",
        part: "compact",
        message: `the JWS is ${compact.length} bytes; the limit is ${rules.maxBytes}`,
      }),
    );
  }
  const firstDot = compact.indexOf(".");
  const secondDot = firstDot < 0 ? -1 : compact.indexOf(".", firstDot + 1);
  const threeParts =
    firstDot > 0 &&
    secondDot > firstDot + 1 &&
    secondDot < compact.length - 1 &&
    compact.indexOf(".", secondDot + 1) < 0;
  if (!threeParts) return fail(shapeRefusal(rules));
  const decoded = decodeParts(compact, firstDot, secondDot, rules);
  // Every part's characters are checked as it is decoded, so a JWS that decodes has the shape. The
  // shape's own test, a regular expression over the whole text, runs only for a refusal: the shape
  // comes first, so it is what a refusal reports when it is wrong too.
  return decoded.ok || COMPACT.test(compact) ? decoded : fail(shapeRefusal(rules));
}

function shapeRefusal<E>(rules: CompactJwsRules<E>): E {
  return rules.refuse({
    problem: "malformed",
    part: "compact",
    message: "a compact JWS is three base64url parts joined by dots",
  });
}

/** The parts of a compact JWS of three non-empty parts, decoded and checked in order. */
function decodeParts<E>(
  compact: string,
  firstDot: number,
  secondDot: number,
  rules: CompactJwsRules<E>,
): Result<DecodedJws, E> {
  const headerPart = compact.slice(0, firstDot);
  const payloadPart = compact.slice(firstDot + 1, secondDot);
  const signaturePart = compact.slice(secondDot + 1);

  const known = rules.acceptedHeaders?.get(headerPart);
  const header = known === undefined ? decodeHeader(headerPart, rules) : ok(known);
  if (!header.ok) return fail(header.error);
  const signature = decodeBase64url(signaturePart);
  if (signature === undefined || signature.byteLength !== rules.signatureBytes) {
    return fail(
      rules.refuse({
        problem: "malformed",
        part: "signature",
        message: `the signature must be ${rules.signatureBytes} bytes of canonical base64url`,
      }),
    );
  }
  const payloadText = decodeJwsText(payloadPart);
  if (payloadText === undefined) {
    return fail(
      rules.refuse({
        problem: "malformed",
        part: "payload",
        message: "the payload is not canonical base64url of UTF-8",
      }),
    );
  }
  // A slice of the compact text, not a concatenation: the signature check reads it without a copy.
  const signingInput = compact.slice(0, secondDot);
  return ok({ header: header.value, signingInput, signature, payloadText });
}
