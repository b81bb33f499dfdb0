import { createHash, getRandomValues } from "node:crypto";

/** base64url SHA-256 of a string's UTF-8 bytes: the `prf` link to a parent token, and DPoP `ath`. */
export function sha256Base64url(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

/** A fresh 128-bit random id in base64url, for `jti` and `did`. */
export function randomId(): string {
  return Buffer.from(getRandomValues(new Uint8Array(16))).toString("base64url");
}
