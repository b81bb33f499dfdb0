/**
 * What every group of cases shares: the chains most cases start from, how a case is written
 * (`CaseInput`) and turned into a vector (`present`), and small token surgery helpers.
 */
import { type Capability, serializeClaims, type TokenClaims } from "@baton/token";
import { makeProof, type ProofSpec, REQUEST_URL } from "../dpop-proofs.ts";
import { type Agent, alice, bob, carol, dave, type FixedKey, fixedId, retiredKey } from "../fixed-keys.ts";
import { type Chain, mintChain } from "../mint-chain.ts";
import type {
  ExpectedDecision,
  Hop,
  VectorCase,
  VectorRequest,
  VerifierEnvironment,
} from "../vector-format.ts";

/** The call most cases make: creating an issue in acme/web, which the root scope allows. */
const DEFAULT_REQUEST: VectorRequest = {
  method: "POST",
  url: REQUEST_URL,
  action: "repo.issues.create",
  resource: "repo:acme/web/issues",
  args: {},
};

export const allow: ExpectedDecision = { decision: "allow", reasons: [] };

export function deny(...reasons: [Hop, string][]): ExpectedDecision {
  return { decision: "deny", reasons: reasons.map(([hop, code]) => ({ hop, code })) };
}

export interface CaseInput {
  readonly name: string;
  readonly description: string;
  /** A minted chain, or exact chain text with the key its proof is made with. */
  readonly chain: Chain | { readonly text: string; readonly prover: FixedKey };
  readonly request?: Partial<VectorRequest>;
  /** `null`: no DPoP header; a string: exactly this proof; else proof members changed from the default. */
  readonly proof?: string | null | Partial<Omit<ProofSpec, "chain">>;
  readonly environment?: Partial<VerifierEnvironment>;
  readonly expected: ExpectedDecision;
}

/**
 * A case: by default the leaf holder proves possession for this exact request, with a proof
 * `jti` fixed by the case name.
 */
export function present(input: CaseInput): VectorCase {
  const request: VectorRequest = { ...DEFAULT_REQUEST, ...input.request };
  const text = input.chain.text;
  const prover = "leaf" in input.chain ? input.chain.leaf.holder : input.chain.prover;
  const proof =
    input.proof === null || typeof input.proof === "string"
      ? input.proof
      : makeProof({
          key: prover,
          chain: text,
          jti: fixedId(`${input.name}/proof`),
          method: request.method,
          url: request.url,
          ...input.proof,
        });
  const group = input.name.slice(0, input.name.indexOf("/"));
  return {
    name: input.name,
    description: input.description,
    group,
    chain: text,
    request,
    proof,
    ...(input.environment === undefined ? {} : { environment: input.environment }),
    expected: input.expected,
  };
}

export function hasSpareBits(part: string): boolean {
  return part.length % 4 === 2 || part.length % 4 === 3;
}

/** Sets the last character of a base64url part's spare bits, so it decodes to the same bytes non-canonically. */
export function nonCanonical(part: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (!hasSpareBits(part)) throw new Error("this part has no spare bits");
  return part.slice(0, -1) + alphabet[alphabet.indexOf(part.slice(-1)) | 1];
}

/** A token with a different signature part. */
export function withSignature(compact: string, signature: string): string {
  const [header = "", payload = ""] = compact.split(".");
  return `${header}.${payload}.${signature}`;
}

/** The claims as the plain object a decoder would see. */
export function claimsObject(claims: TokenClaims): Record<string, unknown> {
  return JSON.parse(serializeClaims(claims)) as Record<string, unknown>;
}

/** A root scope with an argument limit, for the chains that narrow or widen one. */
export const MAIL_ROOT_CAPS: readonly Capability[] = [
  { act: "repo.*", res: "repo:acme/**" },
  { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 20 } } },
];

export const NARROW_CAPS: readonly Capability[] = [
  { act: "repo.issues.*", res: "repo:acme/web/**" },
  { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 10 } } },
];

/** A case presenting one attacked root grant alone, refused at hop 0 with `code`. */
export function soloAttack(name: string, description: string, token: string, code: string): CaseInput {
  return { name, description, chain: { text: token, prover: alice }, expected: deny([0, code]) };
}

/** The chains shared by many cases. */
export interface CaseKit {
  /** alice → bob → carol, with the root's scope. */
  readonly standard: Chain;
  /** alice → bob: the shortest chain with a hop, for most single-token attacks and every proof case. */
  readonly pair: Chain;
  /** A root grant alone: each attack on it costs one token, the attacked one. */
  readonly solo: Chain;
  /** alice → bob → carol, narrowing at each hop, with an argument limit. */
  readonly narrowed: Chain;
  /** alice → bob, the hop signed by the retired key (still published). */
  readonly rotated: Chain;
  /** A valid chain of 17 tokens; its prefixes are the valid chains of 1 to 16. */
  readonly deep: Chain;
}

export async function buildKit(): Promise<CaseKit> {
  const holders: Agent[] = [bob, carol, dave];
  const hops = Array.from({ length: 16 }, (_, i) => ({
    holder: holders[i % holders.length] as Agent,
    // Narrow at the first hop and again at the fourth: later hops inherit.
    ...(i === 0 ? { cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] } : {}),
    ...(i === 3 ? { cap: [{ act: "repo.issues.create", res: "repo:acme/web/**" }] } : {}),
  }));
  return {
    standard: await mintChain("standard", { holder: alice }, { holder: bob }, { holder: carol }),
    pair: await mintChain("pair", { holder: alice }, { holder: bob }),
    solo: await mintChain("solo", { holder: alice }),
    narrowed: await mintChain(
      "narrowed",
      { holder: alice, cap: MAIL_ROOT_CAPS },
      { holder: bob, cap: NARROW_CAPS },
      {
        holder: carol,
        cap: [
          { act: "repo.issues.create", res: "repo:acme/web/issues" },
          { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 5 } } },
        ],
      },
    ),
    rotated: await mintChain("rotated", { holder: alice }, { holder: bob, serviceKey: retiredKey }),
    deep: await mintChain("deep", { holder: alice, mdp: 16 }, ...hops),
  };
}
