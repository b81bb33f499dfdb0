/**
 * Chains for the vectors. Well-formed tokens are signed by `signToken` from @baton/token, so their
 * header (alg, typ) is whatever the code base issues; a token that `signToken` refuses to sign
 * (malformed claims, an oversized token, a header attack) is signed raw, starting from the header
 * of a real token, so only the attacked member differs.
 */
import { type KeyObject, sign } from "node:crypto";
import {
  type Capability,
  decodeBase64url,
  encodeBase64url,
  serializeClaims,
  sha256Base64url,
  signToken,
  type TokenClaims,
} from "@baton/token";
import { type Agent, activeKey, fixedId, type ServiceKey } from "./fixed-keys.ts";

/** The verifier's frozen clock (2030-03-17T17:46:40Z). */
export const NOW = 1_900_000_000;
export const ISSUER = "https://baton.example";
export const TASK = "task-vectors";

/** The default root scope: kept to one capability, since every token of every case carries it. */
export const ROOT_CAPS: readonly Capability[] = [{ act: "repo.*", res: "repo:acme/**" }];
export const ROOT_AUD: readonly string[] = ["repo-tool", "mail-tool"];

/** One token as minted: its exact bytes, its claims, and who holds it. */
export interface Minted {
  readonly compact: string;
  readonly claims: TokenClaims;
  readonly holder: Agent;
}

/** A chain: its tokens root first and the presentable `t0~t1~…`. */
export interface Chain {
  readonly tokens: readonly Minted[];
  readonly text: string;
  readonly leaf: Minted;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
/** Claims replaced last; `undefined` removes an optional one. */
export type ClaimOverrides = { [K in keyof TokenClaims]?: TokenClaims[K] | undefined };

/** What a case may choose about one token; everything else is derived correctly from its parent. */
export interface TokenSpec {
  readonly holder: Agent;
  readonly cap?: readonly Capability[];
  readonly aud?: readonly string[];
  readonly mdp?: number;
  readonly claims?: ClaimOverrides;
  /** Sign and publish under this service key instead of the active one. */
  readonly serviceKey?: ServiceKey;
}

function withOverrides(base: TokenClaims, overrides: ClaimOverrides = {}): TokenClaims {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out as unknown as TokenClaims;
}

async function sealed(claims: TokenClaims, spec: TokenSpec): Promise<Minted> {
  const key = spec.serviceKey ?? activeKey;
  const compact = await signToken(claims, { kid: key.kid, privateKey: key.privateKey });
  return { compact, claims, holder: spec.holder };
}

/** Claims of a root grant: valid from a minute ago for an hour, revalidate within ten minutes. */
export function rootClaims(label: string, spec: TokenSpec): TokenClaims {
  const base: Writable<TokenClaims> = {
    iss: ISSUER,
    sub: spec.holder.id,
    jti: fixedId(`${label}/jti`),
    did: fixedId(`${label}/did`),
    dpt: 0,
    mdp: spec.mdp ?? 8,
    tsk: TASK,
    cap: spec.cap ?? ROOT_CAPS,
    aud: spec.aud ?? ROOT_AUD,
    iat: NOW - 60,
    nbf: NOW - 60,
    exp: NOW + 3600,
    rvl: NOW + 600,
    cnf: { jkt: spec.holder.thumbprint },
  };
  return withOverrides(base, spec.claims);
}

/** Claims of a hop below `parent`: linked correctly, no wider than the parent. */
export function hopClaims(parent: Minted, label: string, spec: TokenSpec): TokenClaims {
  const p = parent.claims;
  const base: Writable<TokenClaims> = {
    iss: p.iss,
    sub: spec.holder.id,
    dlg: p.sub,
    jti: fixedId(`${label}/jti`),
    did: fixedId(`${label}/did`),
    par: p.did,
    prf: sha256Base64url(parent.compact),
    dpt: p.dpt + 1,
    mdp: spec.mdp ?? Math.max(0, p.mdp - 1),
    tsk: p.tsk,
    cap: spec.cap ?? p.cap,
    aud: spec.aud ?? p.aud,
    iat: p.iat,
    nbf: p.nbf,
    exp: p.exp,
    rvl: p.rvl,
    cnf: { jkt: spec.holder.thumbprint },
  };
  return withOverrides(base, spec.claims);
}

export function mintRoot(label: string, spec: TokenSpec): Promise<Minted> {
  return sealed(rootClaims(label, spec), spec);
}

export function mintHop(parent: Minted, label: string, spec: TokenSpec): Promise<Minted> {
  return sealed(hopClaims(parent, label, spec), spec);
}

export function chainOf(tokens: readonly Minted[]): Chain {
  const leaf = tokens[tokens.length - 1];
  if (leaf === undefined) throw new Error("a chain needs a token");
  return { tokens, text: tokens.map((token) => token.compact).join("~"), leaf };
}

/** A root grant and one hop per further spec, each linked to the one before; `label` names its ids. */
export async function mintChain(label: string, root: TokenSpec, ...hops: TokenSpec[]): Promise<Chain> {
  const tokens = [await mintRoot(`${label}/0`, root)];
  for (const [i, spec] of hops.entries()) {
    tokens.push(await mintHop(tokens[tokens.length - 1] as Minted, `${label}/${i + 1}`, spec));
  }
  return chainOf(tokens);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The protected header of a token, as the JSON object it carries. */
export function headerOf(compact: string): Record<string, unknown> {
  const part = decodeBase64url(compact.split(".")[0] ?? "");
  if (part === undefined) throw new Error("not a compact JWS");
  return JSON.parse(decoder.decode(part)) as Record<string, unknown>;
}

/** Signs exact header and payload texts with Ed25519, checking nothing: for tokens no issuer would make. */
export function signRaw(headerText: string, payloadText: string, privateKey: KeyObject): string {
  const signingInput = `${encodeBase64url(encoder.encode(headerText))}.${encodeBase64url(encoder.encode(payloadText))}`;
  return `${signingInput}.${encodeBase64url(sign(null, Buffer.from(signingInput), privateKey))}`;
}

export interface RawTokenSpec {
  /** Header members replaced last; `undefined` removes one. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** The exact payload text; default the serialized `claims`. */
  readonly payloadText?: string;
  readonly claims?: TokenClaims | Readonly<Record<string, unknown>>;
  readonly signWith?: KeyObject;
}

/**
 * A token signed raw with the active key: the header of a real token of `template` with
 * `spec.header` applied, and the payload given.
 */
export function rawToken(template: Minted, spec: RawTokenSpec): string {
  const header: Record<string, unknown> = { ...headerOf(template.compact), ...spec.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  const payload =
    spec.payloadText ??
    (spec.claims === undefined
      ? serializeClaims(template.claims)
      : JSON.stringify(spec.claims as Record<string, unknown>));
  return signRaw(JSON.stringify(header), payload, spec.signWith ?? activeKey.privateKey);
}

/** Replaces one token of a chain by exact text. */
export function withToken(chain: Chain, index: number, compact: string): string {
  return chain.tokens.map((token, i) => (i === index ? compact : token.compact)).join("~");
}
