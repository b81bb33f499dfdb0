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

/** The 64 base64url characters in ASCII order, so a number written in them sorts as text. */
const DIGITS_IN_TEXT_ORDER = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/** Seconds that fit six such digits (2^36: past the year 4000). */
const MAX_ID_SECONDS = 64 ** 6 - 1;
/** Ids issued by this process: its three counter digits wrap at 2^18. */
let idCounter = -1;

/**
 * A fresh delegation id (`did`) for a delegation issued at `now` (seconds): 16 base64url
 * characters, like {@link randomDelegationId}, that sort as text in the order they were issued
 * (`now`, then a counter of this process), followed by 42 random bits:
 *
 * - six digits of `now`, then three of the counter (starting at a random value), written in
 *   base64url characters taken in ASCII order, so `did`s compare as their issue order;
 * - seven random characters, which keep ids of two processes apart when their seconds and
 *   counters meet.
 *
 * Every store keys its graph, token versions and trace index by `did`: ids that arrive in order
 * land next to each other, so a group commit writes a few index pages, not one per hop and per
 * index. A `did` needs uniqueness, not secrecy (the store's key refuses a duplicate); it is not a
 * capability, and its time is the token's `iat`, which the token carries anyway.
 */
export function delegationIdAt(now: number): string {
  if (idCounter < 0) idCounter = randomUint18();
  idCounter = (idCounter + 1) % 2 ** 18;
  const seconds = Number.isFinite(now) ? Math.min(Math.max(Math.floor(now), 0), MAX_ID_SECONDS) : 0;
  return `${digitsInTextOrder(seconds, 6)}${digitsInTextOrder(idCounter, 3)}${randomBase64url(6).slice(0, 7)}`;
}

function digitsInTextOrder(value: number, count: number): string {
  let digits = "";
  for (let i = 0, rest = value; i < count; i++, rest = Math.floor(rest / 64)) {
    digits = (DIGITS_IN_TEXT_ORDER[rest % 64] as string) + digits;
  }
  return digits;
}

function randomUint18(): number {
  const [a = 0, b = 0, c = 0] = takeRandomBytes(3);
  return ((a << 10) | (b << 2) | (c >> 6)) >>> 0;
}

function randomBase64url(bytes: number): string {
  return encodeBase64url(takeRandomBytes(bytes));
}

function takeRandomBytes(bytes: number): Uint8Array {
  if (idPoolOffset + bytes > idPool.length) {
    idPool = globalThis.crypto.getRandomValues(new Uint8Array(ID_POOL_BYTES));
    idPoolOffset = 0;
  }
  const taken = idPool.subarray(idPoolOffset, idPoolOffset + bytes);
  idPoolOffset += bytes;
  return taken;
}
