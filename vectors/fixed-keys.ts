/**
 * Deterministic Ed25519 keys for the vectors: each key's 32-byte seed is the SHA-256 of its name,
 * so every run (and every other implementation) gets the same keys. Test keys, published on purpose.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { type Ed25519PublicJwk, ed25519PublicJwk, jwkThumbprint } from "@baton/token";

// PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410): node:crypto imports the seed through it.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface FixedKey {
  readonly seedHex: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Ed25519PublicJwk;
  readonly thumbprint: string;
}

/** An agent: its id and its fixed key. */
export interface Agent extends FixedKey {
  readonly id: string;
}

/** A service signing key and the short `kid` it is published under. */
export interface ServiceKey extends FixedKey {
  readonly kid: string;
}

/** The key whose seed is SHA-256("baton-vectors/" + name). */
export function fixedKey(name: string): FixedKey {
  const seed = createHash("sha256").update(`baton-vectors/${name}`).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey(privateKey);
  const x = publicKey.export({ format: "jwk" }).x;
  if (typeof x !== "string") throw new Error("node:crypto exported an Ed25519 key without x");
  const jwk = ed25519PublicJwk(new Uint8Array(Buffer.from(x, "base64url")));
  return { seedHex: seed.toString("hex"), privateKey, publicKey, jwk, thumbprint: jwkThumbprint(jwk) };
}

export function fixedAgent(id: string): Agent {
  return { id, ...fixedKey(id) };
}

export function fixedServiceKey(kid: string): ServiceKey {
  return { kid, ...fixedKey(`service/${kid}`) };
}

/** The first `bytes` bytes of SHA-256 of `baton-vectors/<kind>/<label>`, in base64url. */
function labelledId(kind: "id" | "did", label: string, bytes: number): string {
  return createHash("sha256")
    .update(`baton-vectors/${kind}/${label}`)
    .digest()
    .subarray(0, bytes)
    .toString("base64url");
}

/** A 128-bit id (`jti`, a `did` as first issued, proof `jti`) fixed by a label. */
export function fixedId(label: string): string {
  return labelledId("id", label, 16);
}

/** A 96-bit delegation id (`did`, as the service issues them now) fixed by a label. */
export function fixedDelegationId(label: string): string {
  return labelledId("did", label, 12);
}

/** The service's active key, and a retired one still published in the JWKS. */
export const activeKey = fixedServiceKey("vec-2030-01");
export const retiredKey = fixedServiceKey("vec-2029-12");
/** A key the service never published: tokens under it must be `unknown_key`. */
export const unpublishedKey = fixedServiceKey("vec-rogue-1");

export const alice = fixedAgent("agent:alice");
export const bob = fixedAgent("agent:bob");
export const carol = fixedAgent("agent:carol");
export const dave = fixedAgent("agent:dave");
/** The attacker: a registered agent with a key of its own and no delegation. */
export const mallory = fixedAgent("agent:mallory");

export const AGENTS: readonly Agent[] = [alice, bob, carol, dave, mallory];
