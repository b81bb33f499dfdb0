import { encodeBase64url } from "./base64url.ts";
import { cryptoBackend } from "./crypto-backend.ts";

/** base64url SHA-256 of a string's UTF-8 bytes: the `prf` link to a parent token, and DPoP `ath`. */
export function sha256Base64url(text: string): string {
  return cryptoBackend().sha256Base64url(text);
}

/** A fresh 128-bit random id in base64url, for `jti` and `did`. */
export function randomId(): string {
  return encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}
