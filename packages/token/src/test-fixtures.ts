/**
 * Test fixtures for the token package: real Ed25519 keys for the service and for the agents
 * alice, bob, carol and mallory, and helpers that mint real signed chains. Used only by tests;
 * not exported from the package entry point.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Ed25519PublicJwk, jwkThumbprint } from "./agent-key.ts";
import { encodeBase64url } from "./base64url.ts";
import type { ChainToken } from "./chain-rules.ts";
import { serializeClaims, type TokenClaims } from "./claims.ts";
import { randomDelegationId, randomId, sha256Base64url } from "./digest.ts";
import { type KeyResolver, signToken } from "./jws.ts";
import type { Result } from "./token-error.ts";

/** The frozen "now" of every test, in seconds. */
export const NOW = 1_800_000_000;
export const ISSUER = "https://baton.example";

/** The repository root, from this file's location. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** A file of ../shared/vectors, which CI keeps beside the checkout. */
export function vectorPath(name: string): string {
  return path.resolve(REPO_ROOT, "../shared/vectors", name);
}

export interface TestAgent {
  readonly name: string;
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Ed25519PublicJwk;
  readonly thumbprint: string;
}

function makeAgent(name: string): TestAgent {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = publicKey.export({ format: "jwk" }).x;
  if (typeof x !== "string") throw new Error("node did not export an Ed25519 JWK");
  const jwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x };
  return { name, id: `agent:${name}`, privateKey, publicKey, jwk, thumbprint: jwkThumbprint(jwk) };
}

export const alice = makeAgent("alice");
export const bob = makeAgent("bob");
export const carol = makeAgent("carol");
export const mallory = makeAgent("mallory");

export interface TestServiceKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function makeServiceKey(kid: string): TestServiceKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { kid, privateKey, publicKey };
}

/** The service's active signing key. */
export const serviceKey = makeServiceKey("svc-2030-01");
/** A second, also-known service key (a retired one still in the JWKS). */
export const otherServiceKey = makeServiceKey("svc-2029-12");

/** Resolves both known service keys by `kid`. */
export const resolveKey: KeyResolver = (kid) =>
  kid === serviceKey.kid
    ? serviceKey.publicKey
    : kid === otherServiceKey.kid
      ? otherServiceKey.publicKey
      : undefined;

/** Returns the value of an ok result, or throws its error: for test setup only. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
/** Claims with any member replaced; `undefined` removes an optional one. */
export type ClaimOverrides = { [K in keyof TokenClaims]?: TokenClaims[K] | undefined };

function applyOverrides(base: TokenClaims, overrides: ClaimOverrides): TokenClaims {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out as unknown as TokenClaims;
}

/** A valid root grant to alice for task-42. */
export function rootClaims(overrides: ClaimOverrides = {}): TokenClaims {
  const base: Writable<TokenClaims> = {
    iss: ISSUER,
    sub: alice.id,
    jti: randomId(),
    did: randomDelegationId(),
    dpt: 0,
    mdp: 3,
    tsk: "task-42",
    cap: [
      { act: "github.issues.*", res: "repo:acme/web/**" },
      { act: "mail.send", res: "mailbox:ops/**", lim: { count: { max: 10 } } },
    ],
    aud: ["tools.example", "mail.example"],
    iat: NOW - 60,
    nbf: NOW - 60,
    exp: NOW + 3600,
    rvl: NOW + 600,
    cnf: { jkt: alice.thumbprint },
  };
  return applyOverrides(base, overrides);
}

/** A valid hop below `parent`, to `holder`, inheriting everything the parent allows. */
export function hopClaims(
  parent: ChainToken,
  holder: TestAgent,
  overrides: ClaimOverrides = {},
): TokenClaims {
  const p = parent.claims;
  const base: Writable<TokenClaims> = {
    iss: p.iss,
    sub: holder.id,
    dlg: p.sub,
    jti: randomId(),
    did: randomDelegationId(),
    par: p.did,
    prf: sha256Base64url(parent.compact),
    dpt: p.dpt + 1,
    mdp: Math.max(p.mdp - 1, 0),
    tsk: p.tsk,
    cap: p.cap,
    aud: p.aud,
    iat: p.iat,
    nbf: p.nbf,
    exp: p.exp,
    rvl: p.rvl,
    cnf: { jkt: holder.thumbprint },
  };
  return applyOverrides(base, overrides);
}

/** Signs claims with the service key into a chain token. */
export async function mint(claims: TokenClaims): Promise<ChainToken> {
  const compact = await signToken(claims, { kid: serviceKey.kid, privateKey: serviceKey.privateKey });
  return { compact, claims };
}

export async function mintRoot(overrides: ClaimOverrides = {}): Promise<ChainToken> {
  return mint(rootClaims(overrides));
}

export async function mintHop(
  parent: ChainToken,
  holder: TestAgent,
  overrides: ClaimOverrides = {},
): Promise<ChainToken> {
  return mint(hopClaims(parent, holder, overrides));
}

/** A valid chain: a root grant to alice, then one hop to each of `holders` in turn. */
export async function mintChain(holders: readonly TestAgent[] = [bob, carol]): Promise<ChainToken[]> {
  const chain = [await mintRoot()];
  for (const holder of holders) {
    const parent = chain[chain.length - 1];
    if (parent === undefined) throw new Error("unreachable");
    chain.push(await mintHop(parent, holder));
  }
  return chain;
}

/** The claims as the plain JSON object a decoder would see. */
export function claimsJson(claims: TokenClaims): Record<string, unknown> {
  return JSON.parse(serializeClaims(claims)) as Record<string, unknown>;
}

/**
 * Builds a compact JWS from exact header and payload texts, signed for real with `privateKey`:
 * the way to present a token that a correct signer would never produce.
 */
export function signCompact(
  headerText: string,
  payloadText: string,
  privateKey: KeyObject = serviceKey.privateKey,
): string {
  const signingInput = `${encodeBase64url(new TextEncoder().encode(headerText))}.${encodeBase64url(new TextEncoder().encode(payloadText))}`;
  const signature = sign(null, Buffer.from(signingInput, "latin1"), privateKey);
  return `${signingInput}.${encodeBase64url(signature)}`;
}

/** The header a Baton token carries, as JSON text. */
export function headerText(kid: string = serviceKey.kid): string {
  return JSON.stringify({ alg: "Ed25519", typ: "baton+jwt", kid });
}

/** Bytes from hex, for test vectors. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}
