/**
 * Bearer secrets: the operator token and tool servers' audience secrets. Only a SHA-256 hash is
 * ever stored; presented secrets are hashed and compared in constant time. The secrets are 256
 * random bits, so a fast hash is enough (there is nothing to brute-force).
 */
import { getRandomValues, timingSafeEqual } from "node:crypto";
import { sha256Hex } from "@baton/token";

const HASH_PREFIX = "sha256:";
/** Prefix of an audience secret; the audience id follows, base64url-encoded, so it can be looked up. */
const AUDIENCE_PREFIX = "baton_aud";

/** The stored form of a secret: `sha256:<hex>`. */
export function hashSecret(secret: string): string {
  return `${HASH_PREFIX}${sha256Hex(secret)}`;
}

/** True when `secret` hashes to `storedHash`; compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "utf8");
  const stored = Buffer.from(storedHash, "utf8");
  if (presented.byteLength !== stored.byteLength) return false;
  return timingSafeEqual(presented, stored);
}

function randomSecret(): string {
  return Buffer.from(getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** A fresh operator token. */
export function generateOperatorToken(): string {
  return `baton_op_${randomSecret()}`;
}

/** A fresh audience secret that names its audience, so a verify call can be attributed to it. */
export function generateAudienceSecret(audience: string): string {
  return `${AUDIENCE_PREFIX}.${Buffer.from(audience, "utf8").toString("base64url")}.${randomSecret()}`;
}

/** The audience an audience secret claims to be for, or undefined if it is not one. Not proof of anything. */
export function audienceOfSecret(secret: string): string | undefined {
  const parts = secret.split(".");
  if (parts.length !== 3 || parts[0] !== AUDIENCE_PREFIX) return undefined;
  const encoded = parts[1] ?? "";
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(encoded)) return undefined;
  const audience = Buffer.from(encoded, "base64url").toString("utf8");
  return audience.length > 0 ? audience : undefined;
}
