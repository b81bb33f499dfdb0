import { encodeBase64url } from "./base64url.ts";
import { cryptoBackend } from "./crypto-backend.ts";

/** base64url SHA-256 of a string's UTF-8 bytes: the `prf` link to a parent token, and DPoP `ath`. */
export function sha256Base64url(text: string): string {
  return cryptoBackend().sha256Base64url(text);
}

/** Lowercase hex SHA-256 of a string's UTF-8 bytes: the decision log's chain, stored secret hashes. */
export function sha256Hex(text: string): string {
  return cryptoBackend().sha256Hex(text);
}

/**
 * Random bytes for ids, drawn from Web Crypto 4 KiB at a time: a draw costs microseconds whatever
 * its size (Node's own randomUUID pools its entropy the same way). Each id takes bytes no other id
 * took.
 */
const ID_POOL_BYTES = 4096;
let idPool = new Uint8Array(0);
let idPoolOffset = 0;

/** A fresh 128-bit random id in base64url (22 characters), for `jti`. */
export function randomId(): string {
  return randomBase64url(16);
}

/**
 * A fresh delegation id (`did`): 96 random bits in base64url, 16 characters. A `did` names an edge
 * in one service's graph, where the store's key refuses a duplicate; it needs uniqueness, not
 * secrecy, and it rides in every token twice (`did`, and `par` of each child), so it is 6
 * characters shorter than a `jti`. Tokens issued with 128-bit dids stay valid (see
 * `isDelegationId`).
 */
export function randomDelegationId(): string {
  return randomBase64url(12);
}

function randomBase64url(bytes: number): string {
  if (idPoolOffset + bytes > idPool.length) {
    idPool = globalThis.crypto.getRandomValues(new Uint8Array(ID_POOL_BYTES));
    idPoolOffset = 0;
  }
  const id = encodeBase64url(idPool.subarray(idPoolOffset, idPoolOffset + bytes));
  idPoolOffset += bytes;
  return id;
}
