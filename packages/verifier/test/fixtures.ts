/**
 * Test fixtures for the verifier: a service signing key and its JWKS, named agent keys, a chain
 * minter that gets every link right unless a test says otherwise, and a DPoP proof maker.
 *
 * Tokens are signed here with node:crypto directly (not `signToken`), so a test can sign claims
 * that `signToken` would refuse: the verifier must refuse them itself.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Capability,
  type Ed25519PublicJwk,
  ed25519PublicJwk,
  encodeBase64url,
  jwkThumbprint,
  sha256Base64url,
} from "@baton/token";
import {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifyRequest,
} from "../src/create-verifier.ts";
import { type KeySource, staticKeys } from "../src/key-sources.ts";
import { memoryRevocations } from "../src/revocation-sources.ts";

/** The frozen "now" of every test, in seconds (2030-03-17). */
export const NOW = 1_900_000_000;
export const ISSUER = "https://baton.test";
export const AUDIENCE = "repo-tool";
export const TASK = "task-quarterly-report";
export const REQUEST_URL = "https://tools.test/repos/acme/web/issues";

/** The repository root (packages/verifier/test → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** A fresh 128-bit id in base64url, as a `jti` is. */
export function randomId(): string {
  return encodeBase64url(randomBytes(16));
}

/** A fresh 96-bit delegation id in base64url, as the service issues a `did`. */
export function randomDelegationId(): string {
  return encodeBase64url(randomBytes(12));
}

function rawPublicKey(publicKey: KeyObject): Uint8Array {
  const x = publicKey.export({ format: "jwk" }).x;
  if (x === undefined) throw new Error("not an Ed25519 key");
  return new Uint8Array(Buffer.from(x, "base64url"));
}

/** An Ed25519 key pair with its public JWK and RFC 7638 thumbprint. */
export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Ed25519PublicJwk;
  readonly thumbprint: string;
}

export function makeKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = ed25519PublicJwk(rawPublicKey(publicKey));
  return { privateKey, publicKey, jwk, thumbprint: jwkThumbprint(jwk) };
}

/** A service signing key: the key and the `kid` it is published under (its thumbprint). */
export interface ServiceKey extends TestKey {
  readonly kid: string;
}

export function makeServiceKey(): ServiceKey {
  const key = makeKey();
  return { ...key, kid: key.thumbprint };
}

/** A JWKS entry for a service key, as `/.well-known/jwks.json` publishes it. */
export function publicJwk(key: ServiceKey): {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "Ed25519";
  use: "sig";
} {
  return { ...key.jwk, kid: key.kid, alg: "Ed25519", use: "sig" };
}

export function jwksOf(...keys: ServiceKey[]): { keys: ReturnType<typeof publicJwk>[] } {
  return { keys: keys.map(publicJwk) };
}

export const service = makeServiceKey();
export const jwks = jwksOf(service);

/** An agent: its id and its key. */
export interface Agent extends TestKey {
  readonly id: string;
}

export function makeAgent(id: string): Agent {
  return { id, ...makeKey() };
}

/** The planner, holder of the root grant. */
export const alice = makeAgent("agent:alice");
export const bob = makeAgent("agent:bob");
export const carol = makeAgent("agent:carol");
export const dave = makeAgent("agent:dave");
/** The attacker: a registered agent with a key of its own and no delegation. */
export const mallory = makeAgent("agent:mallory");

export const ROOT_CAPS: readonly Capability[] = [
  { act: "repo.*", res: "repo:acme/**" },
  { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 20 } } },
];
export const ROOT_AUD: readonly string[] = ["repo-tool", "mail-tool"];

/** Signs any header and payload as a compact JWS with Ed25519 (no checks at all). */
export function signCompact(header: unknown, payload: unknown, privateKey: KeyObject): string {
  const encode = (value: unknown) =>
    Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = sign(null, Buffer.from(signingInput), privateKey).toString("base64url");
  return `${signingInput}.${signature}`;
}

/** Claims as a plain record, so a test can put anything in them. */
export type RawClaims = Record<string, unknown>;

/** One token as minted: its exact bytes, its claims, and who holds it. */
export interface Minted {
  readonly compact: string;
  readonly claims: RawClaims;
  readonly holder: Agent;
}

/** What a test may choose about one token; everything else is derived correctly from its parent. */
export interface TokenSpec {
  readonly holder: Agent;
  readonly cap?: readonly Capability[];
  readonly aud?: readonly string[];
  readonly mdp?: number;
  /** Seconds relative to NOW. */
  readonly expIn?: number;
  readonly rvlIn?: number;
  /** Claims set last, after every link is computed; a value of `undefined` removes the claim. */
  readonly claims?: RawClaims;
  /** Protected header members set last. */
  readonly header?: RawClaims;
  /** Sign with this key instead of the service key (its kid stays unless `header` says otherwise). */
  readonly signWith?: KeyObject;
  /** Publish under this service key (kid and private key). */
  readonly serviceKey?: ServiceKey;
}

function finish(base: RawClaims, spec: TokenSpec): Minted {
  const claims: RawClaims = { ...base, ...spec.claims };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const key = spec.serviceKey ?? service;
  const header = { alg: "Ed25519", typ: "baton+jwt", kid: key.kid, ...spec.header };
  for (const [name, value] of Object.entries(header))
    if (value === undefined) delete (header as RawClaims)[name];
  return {
    compact: signCompact(header, claims, spec.signWith ?? key.privateKey),
    claims,
    holder: spec.holder,
  };
}

/** A root grant for `spec.holder`, valid from a minute ago for an hour, revalidate in 10 minutes. */
export function mintRoot(spec: TokenSpec, now = NOW): Minted {
  const base: RawClaims = {
    iss: ISSUER,
    sub: spec.holder.id,
    jti: randomId(),
    did: randomDelegationId(),
    dpt: 0,
    mdp: spec.mdp ?? 8,
    tsk: TASK,
    cap: spec.cap ?? ROOT_CAPS,
    aud: spec.aud ?? ROOT_AUD,
    iat: now - 60,
    nbf: now - 60,
    exp: now + (spec.expIn ?? 3600),
    rvl: now + (spec.rvlIn ?? 600),
    cnf: { jkt: spec.holder.thumbprint },
  };
  return finish(base, spec);
}

/** A hop from `parent` to `spec.holder`: linked correctly, no wider than the parent. */
export function mintHop(parent: Minted, spec: TokenSpec, now = NOW): Minted {
  const p = parent.claims;
  const base: RawClaims = {
    iss: p.iss,
    sub: spec.holder.id,
    dlg: p.sub,
    jti: randomId(),
    did: randomDelegationId(),
    par: p.did,
    prf: sha256Base64url(parent.compact),
    dpt: (p.dpt as number) + 1,
    mdp: spec.mdp ?? Math.max(0, (p.mdp as number) - 1),
    tsk: p.tsk,
    cap: spec.cap ?? p.cap,
    aud: spec.aud ?? p.aud,
    iat: p.iat,
    nbf: p.nbf,
    exp: spec.expIn === undefined ? p.exp : now + spec.expIn,
    rvl: spec.rvlIn === undefined ? p.rvl : now + spec.rvlIn,
    cnf: { jkt: spec.holder.thumbprint },
  };
  return finish(base, spec);
}

/** A minted chain: its tokens root first, and the presentable `t0~t1~…` string. */
export interface MintedChain {
  readonly tokens: readonly Minted[];
  readonly chain: string;
  readonly leaf: Minted;
}

export function chainOf(tokens: readonly Minted[]): MintedChain {
  const leaf = tokens[tokens.length - 1];
  if (leaf === undefined) throw new Error("a chain needs a token");
  return { tokens, chain: tokens.map((token) => token.compact).join("~"), leaf };
}

/**
 * A root grant and one hop per further spec, each linked to the one before.
 *
 * @example
 * mintChain({ holder: alice }, { holder: bob, cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] })
 */
export function mintChain(root: TokenSpec, ...hops: TokenSpec[]): MintedChain {
  const tokens = [mintRoot(root)];
  for (const spec of hops) tokens.push(mintHop(tokens[tokens.length - 1] as Minted, spec));
  return chainOf(tokens);
}

/** The chain most tests start from: alice (planner) → bob → carol, all with the root's scope. */
export function standardChain(): MintedChain {
  return mintChain({ holder: alice }, { holder: bob }, { holder: carol });
}

export interface ProofSpec {
  readonly key: TestKey;
  readonly method?: string;
  readonly url?: string;
  /** The chain string the proof is for (`ath`). */
  readonly chain: string;
  readonly iat?: number;
  readonly jti?: string;
  /** Claims set last; `undefined` removes one. */
  readonly claims?: RawClaims;
  /** Header members set last; `undefined` removes one. */
  readonly header?: RawClaims;
  /** Sign with this key instead of `key` (the header's jwk stays `key`'s). */
  readonly signWith?: KeyObject;
}

/** A DPoP proof (RFC 9449): header {typ, alg, jwk}, claims {jti, htm, htu, iat, ath}. */
export function makeProof(spec: ProofSpec): string {
  const header: RawClaims = { typ: "dpop+jwt", alg: "Ed25519", jwk: spec.key.jwk, ...spec.header };
  const claims: RawClaims = {
    jti: spec.jti ?? randomId(),
    htm: spec.method ?? "POST",
    htu: spec.url ?? REQUEST_URL,
    iat: spec.iat ?? NOW,
    ath: sha256Base64url(spec.chain),
    ...spec.claims,
  };
  for (const record of [header, claims]) {
    for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
  }
  return signCompact(header, claims, spec.signWith ?? spec.key.privateKey);
}

/** A key source whose keys a test can add and remove. */
export function mutableKeys(...initial: ServiceKey[]): KeySource & {
  add(key: ServiceKey): void;
  remove(kid: string): void;
} {
  const keys = new Map(initial.map((key) => [key.kid, key.publicKey]));
  return {
    resolve: (kid) => keys.get(kid),
    add: (key) => {
      keys.set(key.kid, key.publicKey);
    },
    remove: (kid) => {
      keys.delete(kid);
    },
  };
}

/** A verifier for ISSUER and AUDIENCE with the static JWKS, no revocations, and the frozen clock. */
export function makeVerifier(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: staticKeys(jwks),
    revocations: memoryRevocations(),
    clock: () => NOW,
    ...options,
  });
}

/** The default call: bob or carol creating an issue in acme/web, which the root scope allows. */
export const DEFAULT_CALL = { action: "repo.issues.create", resource: "repo:acme/web/issues" } as const;

/** A request presenting `chain` with a fresh proof by its leaf holder; anything can be overridden. */
export function presentation(
  chain: MintedChain,
  overrides: Partial<VerifyRequest> & { proofBy?: TestKey } = {},
): VerifyRequest {
  const { proofBy, ...rest } = overrides;
  const method = rest.method ?? "POST";
  const url = rest.url ?? REQUEST_URL;
  const request: VerifyRequest = {
    ...DEFAULT_CALL,
    chain: chain.chain,
    method,
    url,
    now: NOW,
    proof: makeProof({
      key: proofBy ?? chain.leaf.holder,
      method,
      url,
      chain: rest.chain ?? chain.chain,
      iat: rest.now ?? NOW,
    }),
    ...rest,
  };
  return request;
}
