/**
 * Unpadded base64url (RFC 4648 §5) in plain JavaScript, so the same code runs on Node, Bun, Deno
 * and workers, none of which must provide `Buffer`.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Six-bit value of each character code below 128; -1 outside the alphabet. */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** The value of the character at `index`, or -1 when it is outside the alphabet. */
function valueAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? (VALUES[code] as number) : -1;
}

/** Encodes bytes as unpadded base64url (RFC 4648 §5). */
export function encodeBase64url(bytes: Uint8Array): string {
  let text = "";
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    text +=
      ALPHABET.charAt(n >> 18) +
      ALPHABET.charAt((n >> 12) & 63) +
      ALPHABET.charAt((n >> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = (bytes[whole] as number) << 16;
    text += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63);
  } else if (rest === 2) {
    const n = ((bytes[whole] as number) << 16) | ((bytes[whole + 1] as number) << 8);
    text += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63);
  }
  return text;
}

/** `Buffer`, where the runtime has one (Node, Bun): its native decoder is several times faster. */
const nativeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: "base64url"): Uint8Array } })
  .Buffer;
const ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/;
/** Below this length the plain loop is as fast as a call into the runtime. */
const NATIVE_FROM_LENGTH = 64;

/**
 * Decodes unpadded base64url, or returns undefined when the text is not the one canonical
 * encoding of some bytes: padding, characters outside the alphabet, an impossible length, or
 * non-zero trailing bits (`AB` and `AC` both decode to one byte; only one may be accepted, or a
 * signed token gets several spellings).
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (nativeBuffer === undefined || text.length < NATIVE_FROM_LENGTH) return decodeBase64urlPortable(text);
  const rest = text.length % 4;
  // Buffer is lenient (it skips junk and ignores trailing bits), so canonical form is checked first.
  if (rest === 1 || !ALPHABET_ONLY.test(text)) return undefined;
  const last = valueAt(text, text.length - 1);
  if ((rest === 2 && (last & 15) !== 0) || (rest === 3 && (last & 3) !== 0)) return undefined;
  const decoded = nativeBuffer.from(text, "base64url");
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

/** {@link decodeBase64url} in plain JavaScript, for runtimes without `Buffer` and short text. */
export function decodeBase64urlPortable(text: string): Uint8Array | undefined {
  const rest = text.length % 4;
  if (rest === 1) return undefined;
  const whole = text.length - rest;
  const bytes = new Uint8Array((whole / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let at = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = valueAt(text, i);
    const b = valueAt(text, i + 1);
    const c = valueAt(text, i + 2);
    const d = valueAt(text, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    bytes[at++] = n >> 16;
    bytes[at++] = (n >> 8) & 255;
    bytes[at++] = n & 255;
  }
  if (rest === 2) {
    const a = valueAt(text, whole);
    const b = valueAt(text, whole + 1);
    // Two characters carry 12 bits for one byte: the low 4 bits must be zero.
    if ((a | b) < 0 || (b & 15) !== 0) return undefined;
    bytes[at] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = valueAt(text, whole);
    const b = valueAt(text, whole + 1);
    const c = valueAt(text, whole + 2);
    // Three characters carry 18 bits for two bytes: the low 2 bits must be zero.
    if ((a | b | c) < 0 || (c & 3) !== 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6);
    bytes[at] = n >> 16;
    bytes[at + 1] = (n >> 8) & 255;
  }
  return bytes;
}

/**
 * True when `text` canonically encodes exactly `byteLength` bytes: the same test as decoding it,
 * without building the bytes (ids and digests in every hop are checked this way).
 */
export function isBase64urlOfLength(text: string, byteLength: number): boolean {
  const length = Math.ceil((byteLength * 4) / 3);
  // One regular expression scan: faster than a loop over the characters.
  if (text.length !== length || !ALPHABET_ONLY.test(text)) return false;
  const rest = length % 4;
  const last = valueAt(text, length - 1);
  // Two trailing characters carry 4 spare bits, three carry 2: they must be zero.
  return rest === 0 || (rest === 2 ? (last & 15) === 0 : (last & 3) === 0);
}
