const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes as unpadded base64url (RFC 4648 §5). */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * Decodes unpadded base64url, or returns undefined when the text is not the one canonical
 * encoding of some bytes: padding, characters outside the alphabet, an impossible length, or
 * non-zero trailing bits (`AB` and `AC` both decode to one byte; only one may be accepted, or a
 * signed token gets several spellings).
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1 || !ALPHABET.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  if (bytes.toString("base64url") !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when `text` canonically encodes exactly `byteLength` bytes. */
export function isBase64urlOfLength(text: string, byteLength: number): boolean {
  if (text.length !== Math.ceil((byteLength * 4) / 3)) return false;
  return decodeBase64url(text)?.byteLength === byteLength;
}
