/**
 * The catalog of conformance cases. Every expectation here is written from DESIGN.md's rules
 * ("Re-authorizing a chain", "Presenting a chain"), never read back from Baton's verifier: the
 * runner test then proves Baton's verifier agrees with each one.
 */
import { createHmac } from "node:crypto";
import {
  type Capability,
  encodeBase64url,
  serializeClaims,
  sha256Base64url,
  type TokenClaims,
} from "@baton/token";
import { makeProof, type ProofSpec, REQUEST_URL } from "./dpop-proofs.ts";
import {
  type Agent,
  activeKey,
  alice,
  bob,
  carol,
  dave,
  type FixedKey,
  fixedId,
  mallory,
  retiredKey,
  unpublishedKey,
} from "./fixed-keys.ts";
import {
  type Chain,
  chainOf,
  headerOf,
  hopClaims,
  type Minted,
  mintChain,
  mintHop,
  mintRoot,
  NOW,
  rawToken,
  signRaw,
  withToken,
} from "./mint-chain.ts";
import type {
  ExpectedDecision,
  Hop,
  VectorCase,
  VectorRequest,
  VerifierEnvironment,
} from "./vector-format.ts";

/** The case groups, in the order the file lists them. */
const GROUP_ORDER: readonly string[] = [
  "valid",
  "shape",
  "header",
  "signature",
  "payload",
  "chain",
  "depth",
  "widening",
  "time",
  "status",
  "request",
  "dpop",
  "policy",
  "reporting",
];

/** The call most cases make: creating an issue in acme/web, which the root scope allows. */
const DEFAULT_REQUEST: VectorRequest = {
  method: "POST",
  url: REQUEST_URL,
  action: "repo.issues.create",
  resource: "repo:acme/web/issues",
  args: {},
};

const allow: ExpectedDecision = { decision: "allow", reasons: [] };

function deny(...reasons: [Hop, string][]): ExpectedDecision {
  return { decision: "deny", reasons: reasons.map(([hop, code]) => ({ hop, code })) };
}

interface CaseInput {
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
function present(input: CaseInput): VectorCase {
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

function hasSpareBits(part: string): boolean {
  return part.length % 4 === 2 || part.length % 4 === 3;
}

/** Sets the last character of a base64url part's spare bits, so it decodes to the same bytes non-canonically. */
function nonCanonical(part: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (!hasSpareBits(part)) throw new Error("this part has no spare bits");
  return part.slice(0, -1) + alphabet[alphabet.indexOf(part.slice(-1)) | 1];
}

/** A token with a different signature part. */
function withSignature(compact: string, signature: string): string {
  const [header = "", payload = ""] = compact.split(".");
  return `${header}.${payload}.${signature}`;
}

/** The claims as the plain object a decoder would see. */
function claimsObject(claims: TokenClaims): Record<string, unknown> {
  return JSON.parse(serializeClaims(claims)) as Record<string, unknown>;
}

/** A root scope with an argument limit, for the chains that narrow or widen one. */
const MAIL_ROOT_CAPS: readonly Capability[] = [
  { act: "repo.*", res: "repo:acme/**" },
  { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 20 } } },
];

const NARROW_CAPS: readonly Capability[] = [
  { act: "repo.issues.*", res: "repo:acme/web/**" },
  { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 10 } } },
];

/** Valid chains of 1 to 16 tokens and a 17th, sharing one deep chain (prefixes of it). */
async function depthCases(): Promise<VectorCase[]> {
  const holders: Agent[] = [bob, carol, dave];
  const hops = Array.from({ length: 16 }, (_, i) => ({
    holder: holders[i % holders.length] as Agent,
    // Narrow at the first hop and again at the fourth: later hops inherit.
    ...(i === 0 ? { cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] } : {}),
    ...(i === 3 ? { cap: [{ act: "repo.issues.create", res: "repo:acme/web/**" }] } : {}),
  }));
  const deep = await mintChain("deep", { holder: alice, mdp: 16 }, ...hops);
  const cases: VectorCase[] = [];
  for (let length = 1; length <= 16; length++) {
    cases.push(
      present({
        name: `valid/chain-of-${length}`,
        description: `A valid chain of ${length} token${length === 1 ? "" : "s"} (root grant${length > 1 ? ` and ${length - 1} hop${length > 2 ? "s" : ""}` : ""}), presented by its leaf holder with a proof for this request.`,
        chain: chainOf(deep.tokens.slice(0, length)),
        expected: allow,
      }),
    );
  }
  cases.push(
    present({
      name: "shape/chain-too-long",
      description:
        "17 tokens, every one valid, against the default limit of 16: refused before any token is decoded.",
      chain: deep,
      expected: deny([null, "chain_too_long"]),
    }),
  );
  return cases;
}

export async function buildCases(): Promise<VectorCase[]> {
  const standard = await mintChain("standard", { holder: alice }, { holder: bob }, { holder: carol });
  const [t0, t1, t2] = standard.tokens as [Minted, Minted, Minted];
  // Most single-token attacks and every proof case use the shortest chain with a hop: alice → bob.
  const pair = await mintChain("pair", { holder: alice }, { holder: bob });
  const [p0, p1] = pair.tokens as [Minted, Minted];
  const cases: VectorCase[] = [...(await depthCases())];
  const add = (input: CaseInput) => cases.push(present(input));

  // --- valid presentations beyond depth -------------------------------------------------------
  const narrowed = await mintChain(
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
  );
  add({
    name: "valid/argument-within-limit",
    description: "mail.send with recipients 5 under a leaf limited to at most 5.",
    chain: narrowed,
    request: { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 5 } },
    expected: allow,
  });
  const anyAudience = await mintChain("any-audience", { holder: alice, aud: ["*"] }, { holder: bob });
  add({
    name: "valid/any-audience",
    description: "A root grant for audience * and a hop that keeps it: valid for this tool server.",
    chain: anyAudience,
    expected: allow,
  });
  const rotated = await mintChain("rotated", { holder: alice }, { holder: bob, serviceKey: retiredKey });
  add({
    name: "valid/retired-key-still-published",
    description: "A hop signed by a retired service key that the JWKS still publishes under its own kid.",
    chain: rotated,
    expected: allow,
  });
  for (const [what, url] of [
    ["host-case", "https://TOOLS.example/repos/acme/web/issues"],
    ["default-port", "https://tools.example:443/repos/acme/web/issues"],
    ["query-and-fragment", "https://tools.example/repos/acme/web/issues?page=2#top"],
  ] as const) {
    add({
      name: `valid/htu-${what}`,
      description: `The proof's htu differs from the request URL only by ${what.replaceAll("-", " ")}, which RFC 9449 §4.3 normalization ignores.`,
      chain: pair,
      proof: { url },
      expected: allow,
    });
  }
  add({
    name: "valid/proof-at-max-age",
    description: "A proof exactly proof_max_age_seconds old.",
    chain: pair,
    proof: { iat: NOW - 60 },
    expected: allow,
  });
  add({
    name: "valid/proof-within-skew",
    description: "A proof from clock_skew_seconds in the future.",
    chain: pair,
    proof: { iat: NOW + 30 },
    expected: allow,
  });
  add({
    name: "valid/not-before-within-skew",
    description: "A hop valid from now + clock_skew_seconds: accepted within the skew.",
    chain: await mintChain(
      "nbf-skew",
      { holder: alice },
      { holder: bob, claims: { iat: NOW + 30, nbf: NOW + 30 } },
    ),
    expected: allow,
  });
  add({
    name: "valid/revocation-view-at-limit",
    description: "A revocation view exactly max_staleness_seconds old is still fresh enough.",
    chain: pair,
    environment: { revocation: { synced_at: NOW - 60, revoked: [] } },
    expected: allow,
  });
  add({
    name: "valid/revalidate-by-in-one-second",
    description: "A hop whose revalidate-by time is one second from now.",
    chain: await mintChain("rvl-soon", { holder: alice }, { holder: bob, claims: { rvl: NOW + 1 } }),
    expected: allow,
  });
  add({
    name: "valid/policy-allows",
    description: "The runtime policy allows the call.",
    chain: pair,
    environment: { policy: { decision: "allow" } },
    expected: allow,
  });

  // --- size and shape -------------------------------------------------------------------------
  add({
    name: "shape/chain-over-configured-limit",
    description: "A valid 3-token chain against a verifier configured for at most 2.",
    chain: standard,
    environment: { max_chain_length: 2 },
    expected: deny([null, "chain_too_long"]),
  });
  {
    const bulky: Capability[] = Array.from({ length: 32 }, (_, i) => ({
      act: "repo.issues.read",
      res: `repo:acme/web/${"x".repeat(300)}${i}`,
    }));
    const claims = hopClaims(t0, "too-large/1", { holder: bob, cap: bulky });
    const big = rawToken(t0, { claims: claimsObject(claims) });
    add({
      name: "shape/token-too-large",
      description:
        "A hop over max_token_bytes (8 KiB), otherwise well formed and signed: refused by size first.",
      chain: { text: `${t0.compact}~${big}`, prover: bob },
      expected: deny([1, "token_too_large"]),
    });
  }
  add({
    name: "shape/empty-chain",
    description: "An empty chain.",
    chain: { text: "", prover: bob },
    proof: null,
    expected: deny([null, "malformed"]),
  });
  add({
    name: "shape/empty-element",
    description: "Two separators in a row: an empty token at position 1.",
    chain: { text: `${p0.compact}~~${p1.compact}`, prover: bob },
    expected: deny([1, "malformed"]),
  });
  add({
    name: "shape/trailing-separator",
    description: "A chain ending in ~: an empty token after the leaf.",
    chain: { text: `${pair.text}~`, prover: bob },
    expected: deny([2, "malformed"]),
  });
  add({
    name: "shape/two-part-token",
    description: "A hop with only header and payload (no signature part).",
    chain: { text: withToken(pair, 1, p1.compact.split(".").slice(0, 2).join(".")), prover: bob },
    expected: deny([1, "malformed"]),
  });
  add({
    name: "shape/padded-base64url",
    description: "A hop whose signature carries base64 padding (=), which no compact token holds.",
    chain: { text: withToken(pair, 1, `${p1.compact}==`), prover: bob },
    expected: deny([1, "malformed"]),
  });
  {
    const [header = "", payload = "", signature = ""] = p1.compact.split(".");
    add({
      name: "shape/non-canonical-signature-encoding",
      description:
        "A hop whose signature's base64url sets the unused low bits of its last character: same bytes, non-canonical text.",
      chain: { text: withToken(pair, 1, `${header}.${payload}.${nonCanonical(signature)}`), prover: bob },
      expected: deny([1, "malformed"]),
    });
  }
  {
    // Whether a header's base64url has spare bits depends on its length (alg and kid): use
    // whichever genuine hop has them, under the active or the retired key.
    const candidates = [pair, rotated];
    const chain = candidates.find((c) => hasSpareBits((c.tokens[1] as Minted).compact.split(".")[0] ?? ""));
    if (chain === undefined) throw new Error("no hop header has spare bits; change a kid's length");
    const [header = "", payload = "", signature = ""] = (chain.tokens[1] as Minted).compact.split(".");
    add({
      name: "shape/non-canonical-header-encoding",
      description: "A hop whose header base64url is non-canonical (checked before the signature).",
      chain: { text: withToken(chain, 1, `${nonCanonical(header)}.${payload}.${signature}`), prover: bob },
      expected: deny([1, "malformed"]),
    });
  }
  {
    // A task id that leaves spare bits at the end of the root's payload base64url.
    let spare: Minted | undefined;
    for (const tsk of ["task-a", "task-ab", "task-abc"]) {
      const root = await mintRoot("non-canonical-payload/0", { holder: alice, claims: { tsk } });
      if ((root.compact.split(".")[1] ?? "").length % 4 !== 0) {
        spare = root;
        break;
      }
    }
    if (spare === undefined) throw new Error("no task id gave a payload with spare bits");
    const [header = "", payload = "", signature = ""] = spare.compact.split(".");
    add({
      name: "shape/non-canonical-payload-encoding",
      description:
        "A root grant whose payload base64url is non-canonical: refused before its signature is checked.",
      chain: { text: `${header}.${nonCanonical(payload)}.${signature}`, prover: alice },
      expected: deny([0, "malformed"]),
    });
  }

  // --- header ---------------------------------------------------------------------------------
  const realAlg = headerOf(p1.compact).alg;
  // The other spelling of Ed25519 (RFC 9864's fully specified "Ed25519" versus the deprecated
  // "EdDSA"): whichever the code base does not issue must be refused.
  const otherSpelling = realAlg === "EdDSA" ? "Ed25519" : "EdDSA";
  for (const alg of ["none", "HS256", "ES256", "eddsa", otherSpelling]) {
    add({
      name: `header/alg-${alg === otherSpelling ? "other-ed25519-spelling" : alg.toLowerCase()}`,
      description: `A hop whose header says alg ${alg} (signed with the service key all the same): only ${String(realAlg)} is accepted.`,
      chain: { text: withToken(pair, 1, rawToken(p1, { header: { alg } })), prover: bob },
      expected: deny([1, "unsupported_alg"]),
    });
  }
  for (const [what, typ] of [
    ["jwt", "JWT"],
    ["dpop", "dpop+jwt"],
    ["missing", undefined],
  ] as const) {
    add({
      name: `header/typ-${what}`,
      description: `A root grant whose typ is ${typ === undefined ? "absent" : typ}, not baton+jwt.`,
      chain: { text: withToken(pair, 0, rawToken(p0, { header: { typ } })), prover: bob },
      expected: deny([0, "bad_type"]),
    });
  }
  for (const [member, value] of [
    ["jwk", mallory.jwk],
    ["jku", "https://evil.example/jwks.json"],
    ["x5u", "https://evil.example/cert.pem"],
    ["x5c", ["MIIB"]],
    ["crit", ["b64"]],
    ["b64", false],
  ] as const) {
    add({
      name: `header/member-${member}`,
      description: `A hop whose header adds ${member}: nothing in the header may choose a key, a URL or a processing rule.`,
      chain: { text: withToken(pair, 1, rawToken(p1, { header: { [member]: value } })), prover: bob },
      expected: deny([1, "malformed"]),
    });
  }
  add({
    name: "header/kid-missing",
    description: "A hop whose header has no kid.",
    chain: { text: withToken(pair, 1, rawToken(p1, { header: { kid: undefined } })), prover: bob },
    expected: deny([1, "malformed"]),
  });
  add({
    name: "header/kid-path",
    description: "A hop whose kid is a path (not 1 to 64 base64url characters).",
    chain: { text: withToken(pair, 1, rawToken(p1, { header: { kid: "../../keys/admin" } })), prover: bob },
    expected: deny([1, "malformed"]),
  });
  {
    const header = headerOf(p1.compact);
    const duplicated = JSON.stringify(header).replace(/}$/, `,"kid":"${retiredKey.kid}"}`);
    add({
      name: "header/duplicate-member",
      description: "A hop whose header names kid twice (a lenient parser keeps the last one).",
      chain: {
        text: withToken(pair, 1, signRaw(duplicated, serializeClaims(p1.claims), retiredKey.privateKey)),
        prover: bob,
      },
      expected: deny([1, "malformed"]),
    });
  }
  add({
    name: "header/kid-unknown",
    description: "A hop signed by a key the service never published, under that key's own kid.",
    chain: await mintChain("unknown-kid", { holder: alice }, { holder: bob, serviceKey: unpublishedKey }),
    expected: deny([1, "unknown_key"]),
  });

  // --- signature ------------------------------------------------------------------------------
  add({
    name: "signature/forged-by-agent",
    description: "A hop minted by mallory (signed with mallory's key) under the service's kid.",
    chain: { text: withToken(pair, 1, rawToken(p1, { signWith: mallory.privateKey })), prover: bob },
    expected: deny([1, "bad_signature"]),
  });
  add({
    name: "signature/other-service-key-under-active-kid",
    description: "A hop signed by the retired service key but naming the active kid.",
    chain: { text: withToken(pair, 1, rawToken(p1, { signWith: retiredKey.privateKey })), prover: bob },
    expected: deny([1, "bad_signature"]),
  });
  {
    const [header = "", , signature = ""] = p0.compact.split(".");
    const widened = { ...claimsObject(p0.claims), cap: [{ act: "*", res: "**" }] };
    const edited = `${header}.${Buffer.from(JSON.stringify(widened)).toString("base64url")}.${signature}`;
    add({
      name: "signature/edited-payload",
      description: "A genuine root grant whose payload was rewritten to cap * on **, its signature kept.",
      chain: { text: edited, prover: alice },
      expected: deny([0, "bad_signature"]),
    });
  }
  add({
    name: "signature/zero-signature",
    description: "A hop whose signature is 64 zero bytes.",
    chain: {
      text: withToken(pair, 1, withSignature(p1.compact, Buffer.alloc(64).toString("base64url"))),
      prover: bob,
    },
    expected: deny([1, "bad_signature"]),
  });
  add({
    name: "signature/borrowed-signature",
    description: "A hop carrying the signature of another genuine token.",
    chain: {
      text: withToken(pair, 1, withSignature(p1.compact, p0.compact.split(".")[2] ?? "")),
      prover: bob,
    },
    expected: deny([1, "bad_signature"]),
  });
  add({
    name: "signature/truncated",
    description: "A hop whose signature is 63 bytes.",
    chain: {
      text: withToken(
        pair,
        1,
        withSignature(
          p1.compact,
          Buffer.from(p1.compact.split(".")[2] ?? "", "base64url")
            .subarray(0, 63)
            .toString("base64url"),
        ),
      ),
      prover: bob,
    },
    expected: deny([1, "malformed"]),
  });

  // --- payload (claims parsed strictly) -------------------------------------------------------
  const payloadAttack = (name: string, description: string, target: 0 | 1, claims: Record<string, unknown>) =>
    add({
      name: `payload/${name}`,
      description,
      chain: {
        text: withToken(pair, target, rawToken(target === 0 ? p0 : p1, { claims })),
        prover: bob,
      },
      expected: deny([target, "malformed"]),
    });
  payloadAttack("string-time", "A hop whose exp is a string.", 1, {
    ...claimsObject(p1.claims),
    exp: String(p1.claims.exp),
  });
  payloadAttack("fractional-time", "A hop whose iat is not an integer.", 1, {
    ...claimsObject(p1.claims),
    iat: p1.claims.iat + 0.5,
  });
  payloadAttack("unknown-claim", "A root grant with an extra claim admin: true.", 0, {
    ...claimsObject(p0.claims),
    admin: true,
  });
  payloadAttack("root-with-parent", "A root grant (dpt 0) that names a parent did.", 0, {
    ...claimsObject(p0.claims),
    par: fixedId("nobody"),
  });
  payloadAttack("hop-without-proof-of-parent", "A hop without prf.", 1, {
    ...claimsObject(p1.claims),
    prf: undefined,
  });
  payloadAttack("wildcard-in-the-middle", "A hop whose capability action is repo.*.create.", 1, {
    ...claimsObject(p1.claims),
    cap: [{ act: "repo.*.create", res: "repo:acme/web/issues" }],
  });
  payloadAttack("dot-segment-in-resource", "A hop whose capability resource holds a .. segment.", 1, {
    ...claimsObject(p1.claims),
    cap: [{ act: "repo.issues.create", res: "repo:acme/web/../billing" }],
  });
  payloadAttack("revalidation-after-expiry", "A hop whose rvl is later than its own exp.", 1, {
    ...claimsObject(p1.claims),
    rvl: p1.claims.exp + 1,
  });
  payloadAttack("jti-not-canonical", "A root grant whose jti is not 16 bytes of canonical base64url.", 0, {
    ...claimsObject(p0.claims),
    jti: "not-an-id",
  });
  payloadAttack("cnf-extra-member", "A root grant whose cnf carries a jwk beside jkt.", 0, {
    ...claimsObject(p0.claims),
    cnf: { jkt: alice.thumbprint, jwk: mallory.jwk },
  });
  {
    const text = serializeClaims(p0.claims);
    add({
      name: "payload/duplicate-claim",
      description: 'A root grant with "sub" twice: a lenient parser would keep the second (mallory).',
      chain: {
        text: rawToken(p0, { payloadText: text.replace(/}$/, ',"sub":"agent:mallory"}') }),
        prover: mallory,
      },
      expected: deny([0, "malformed"]),
    });
    add({
      name: "payload/duplicate-claim-after-unescaping",
      description: 'A root grant with "sub" and "s\\u0075b": the same name once JSON escapes are read.',
      chain: {
        text: rawToken(p0, { payloadText: text.replace(/}$/, ',"s\\u0075b":"agent:mallory"}') }),
        prover: mallory,
      },
      expected: deny([0, "malformed"]),
    });
    add({
      name: "payload/not-json",
      description: "A root grant whose payload is not JSON.",
      chain: { text: rawToken(p0, { payloadText: "sub=agent:alice" }), prover: alice },
      expected: deny([0, "malformed"]),
    });
  }
  add({
    name: "payload/foreign-issuer-root",
    description: "A root grant whose iss is not the trusted issuer (signed by the service key all the same).",
    chain: await mintChain(
      "foreign-root",
      { holder: alice, claims: { iss: "https://evil.example" } },
      { holder: bob },
    ),
    expected: deny([0, "malformed"]),
  });
  add({
    name: "payload/foreign-issuer-hop",
    description: "A hop whose iss is another issuer: not the trusted issuer, and not its parent's.",
    chain: await mintChain(
      "foreign-hop",
      { holder: alice },
      { holder: bob, claims: { iss: "https://evil.example" } },
    ),
    expected: deny([1, "malformed"], [1, "chain_broken"]),
  });

  // --- one token, attacked alone -------------------------------------------------------------
  // A chain of just a root grant, so each of these costs one token: the attacked one.
  const solo = await mintChain("solo", { holder: alice });
  const s0 = solo.tokens[0] as Minted;
  const soloCase = (name: string, description: string, token: string, code: string) =>
    add({ name, description, chain: { text: token, prover: alice }, expected: deny([0, code]) });
  const b64 = (text: string) => encodeBase64url(new TextEncoder().encode(text));
  const soloHeader = headerOf(s0.compact);
  const soloPayload = serializeClaims(s0.claims);
  {
    const none = `${b64(JSON.stringify({ ...soloHeader, alg: "none" }))}.${b64(soloPayload)}.`;
    soloCase(
      "header/alg-none-unsigned",
      "A root grant with alg none and an empty signature.",
      none,
      "malformed",
    );
    // Key confusion: an HMAC keyed with the service's public key, padded to 64 bytes so that
    // the signature length cannot be what refuses it.
    const input = `${b64(JSON.stringify({ ...soloHeader, alg: "HS256" }))}.${b64(soloPayload)}`;
    const mac = createHmac("sha256", activeKey.jwk.x).update(input).digest();
    soloCase(
      "header/alg-hs256-key-confusion",
      "A root grant with alg HS256, MACed with the service's public key as the secret.",
      `${input}.${encodeBase64url(Buffer.concat([mac, mac]))}`,
      "unsupported_alg",
    );
  }
  for (const [what, typ] of [
    ["upper-case", "BATON+JWT"],
    ["media-type", "application/baton+jwt"],
  ] as const) {
    soloCase(
      `header/typ-${what}`,
      `A root grant whose typ is ${typ}: typ is compared exactly.`,
      rawToken(s0, { header: { typ } }),
      "bad_type",
    );
  }
  for (const [what, kid] of [
    ["empty", ""],
    ["number", 1],
    ["url", "https://evil.example/key.json"],
  ] as const) {
    soloCase(
      `header/kid-${what}`,
      `A root grant whose kid is ${JSON.stringify(kid)}.`,
      rawToken(s0, { header: { kid } }),
      "malformed",
    );
  }
  for (const [what, member, value] of [
    ["case-variant-kid", "Kid", retiredKey.kid],
    ["zip", "zip", "DEF"],
  ] as const) {
    soloCase(
      `header/member-${what}`,
      `A root grant whose header adds ${member}.`,
      rawToken(s0, { header: { [member]: value } }),
      "malformed",
    );
  }
  {
    const headerText = JSON.stringify(soloHeader);
    const withHeaderText = (text: string) => signRaw(text, soloPayload, activeKey.privateKey);
    soloCase(
      "header/duplicate-alg",
      "A root grant whose header says alg twice, the second time none.",
      withHeaderText(headerText.replace(/}$/, ',"alg":"none"}')),
      "malformed",
    );
    soloCase(
      "header/duplicate-alg-after-unescaping",
      'A root grant whose header has alg and "\\u0061lg": the same name once escapes are read.',
      withHeaderText(headerText.replace(/}$/, ',"\\u0061lg":"none"}')),
      "malformed",
    );
    soloCase(
      "header/json-array",
      "A root grant whose header is a JSON array.",
      withHeaderText(`[${JSON.stringify(soloHeader.alg)}]`),
      "malformed",
    );
  }
  {
    const [header = "", payload = "", signature = ""] = s0.compact.split(".");
    const bytes = Buffer.from(signature, "base64url");
    const flipped = Buffer.from(bytes);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    soloCase(
      "signature/flipped-bit",
      "A root grant with one bit of its signature flipped.",
      `${header}.${payload}.${encodeBase64url(flipped)}`,
      "bad_signature",
    );
    // S + L: the malleated twin of a good signature, which a strict verifier refuses (RFC 8032 §5.1.7).
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(bytes.subarray(32)).reverse().toString("hex")}`);
    const twin = Buffer.from((s + order).toString(16).padStart(64, "0"), "hex").reverse();
    soloCase(
      "signature/malleated-s",
      "A root grant whose signature's S is replaced by S + L (the group order): same R, non-canonical S.",
      `${header}.${payload}.${encodeBase64url(Buffer.concat([bytes.subarray(0, 32), twin]))}`,
      "bad_signature",
    );
  }
  const soloClaims = claimsObject(s0.claims);
  for (const [what, description, claims] of [
    ["exp-beyond-range", "exp beyond 2^40 seconds", { ...soloClaims, exp: 2 ** 40 + 1 }],
    ["negative-mdp", "a negative mdp", { ...soloClaims, mdp: -1 }],
    ["null-time", "a null nbf", { ...soloClaims, nbf: null }],
    ["missing-cnf", "no cnf", { ...soloClaims, cnf: undefined }],
    ["look-alike-sub", "a Cyrillic а in sub (agent:\u0430lice)", { ...soloClaims, sub: "agent:\u0430lice" }],
    [
      "look-alike-slash",
      "a division slash (U+2215) in a resource pattern",
      { ...soloClaims, cap: [{ act: "repo.*", res: "repo:acme\u2215web/**" }] },
    ],
    ["empty-cap", "an empty cap array", { ...soloClaims, cap: [] }],
    [
      "too-many-capabilities",
      "33 capabilities (the limit is 32)",
      {
        ...soloClaims,
        cap: Array.from({ length: 33 }, (_, i) => ({ act: `repo.a${i}`, res: "repo:acme/web/**" })),
      },
    ],
    [
      "root-disguised-as-hop",
      "dlg, par and prf on a root grant (dpt 0)",
      { ...soloClaims, dlg: mallory.id, par: fixedId("disguise/par"), prf: sha256Base64url("disguise") },
    ],
  ] as const) {
    soloCase(`payload/${what}`, `A root grant with ${description}.`, rawToken(s0, { claims }), "malformed");
  }
  for (const [what, description, text] of [
    [
      "duplicate-nested-claim",
      "cnf holding jkt twice",
      soloPayload.replace(/"cnf":\{"jkt":"([^"]+)"\}/, `"cnf":{"jkt":"$1","jkt":"${"A".repeat(43)}"}`),
    ],
    [
      "infinite-time",
      "exp written as 1e400 (infinity once parsed as a double)",
      soloPayload.replace(/"exp":\d+/, '"exp":1e400'),
    ],
    ["proto-claim", "a __proto__ claim", soloPayload.replace(/}$/, ',"__proto__":{"admin":true}}')],
    ["byte-order-mark", "a UTF-8 byte-order mark before the JSON", `\ufeff${soloPayload}`],
  ] as const) {
    if (text === soloPayload) throw new Error(`payload/${what} changed nothing`);
    soloCase(
      `payload/${what}`,
      `A root grant with ${description}.`,
      rawToken(s0, { payloadText: text }),
      "malformed",
    );
  }

  // --- chain links ----------------------------------------------------------------------------
  add({
    name: "chain/parent-did-mismatch",
    description: "The leaf's par names a did that is not its parent's.",
    chain: await mintChain(
      "par",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { par: fixedId("elsewhere") } },
    ),
    expected: deny([2, "chain_broken"]),
  });
  add({
    name: "chain/parent-hash-mismatch",
    description: "A hop whose prf is not the SHA-256 of its parent's exact bytes.",
    chain: await mintChain(
      "prf",
      { holder: alice },
      { holder: bob, claims: { prf: sha256Base64url("another token") } },
    ),
    expected: deny([1, "chain_broken"]),
  });
  add({
    name: "chain/middle-hop-dropped",
    description: "alice → bob → carol presented without bob's hop: carol's hop sits under the root.",
    chain: { text: `${t0.compact}~${t2.compact}`, prover: bob },
    expected: deny([1, "chain_broken"], [1, "delegator_mismatch"]),
  });
  {
    const four = await mintChain(
      "four",
      { holder: alice },
      { holder: bob },
      { holder: carol },
      { holder: dave },
    );
    const [f0, f1, f2, f3] = four.tokens as [Minted, Minted, Minted, Minted];
    add({
      name: "chain/hops-swapped",
      description: "alice → bob → carol → dave presented with bob's and carol's hops swapped.",
      chain: { text: [f0, f2, f1, f3].map((t) => t.compact).join("~"), prover: dave },
      expected: deny([1, "chain_broken"], [1, "delegator_mismatch"]),
    });
  }
  add({
    name: "chain/no-root-grant",
    description: "A chain that starts at a hop (dpt 1) instead of a root grant.",
    chain: { text: `${t1.compact}~${t2.compact}`, prover: bob },
    expected: deny([0, "chain_broken"]),
  });
  add({
    name: "chain/root-repeated",
    description: "The root grant presented twice: a root cannot be its own child.",
    chain: { text: `${t0.compact}~${t0.compact}`, prover: alice },
    expected: deny([1, "chain_broken"], [1, "delegator_mismatch"], [1, "depth_exceeded"]),
  });
  {
    const other = await mintChain("other-tree", { holder: alice }, { holder: bob });
    add({
      name: "chain/spliced-from-another-tree",
      description: "A genuine hop to bob from another root grant of alice's, spliced under this root.",
      chain: { text: `${t0.compact}~${(other.tokens[1] as Minted).compact}`, prover: bob },
      expected: deny([1, "chain_broken"]),
    });
  }
  add({
    name: "chain/delegator-mismatch",
    description: "A hop whose dlg is mallory, not its parent's holder alice.",
    chain: await mintChain(
      "dlg",
      { holder: alice },
      { holder: bob, claims: { dlg: mallory.id } },
      { holder: carol },
    ),
    expected: deny([1, "delegator_mismatch"]),
  });
  add({
    name: "chain/task-mismatch",
    description: "The leaf names another task than its parent.",
    chain: await mintChain(
      "tsk",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { tsk: "task-other" } },
    ),
    expected: deny([2, "task_mismatch"]),
  });

  add({
    name: "chain/hop-repeated",
    description: "bob's hop presented twice: the second copy is not a child of the first.",
    chain: { text: `${p0.compact}~${p1.compact}~${p1.compact}`, prover: bob },
    expected: deny([2, "chain_broken"], [2, "delegator_mismatch"], [2, "depth_exceeded"]),
  });
  {
    const otherTask = await mintChain("other-task", { holder: alice, claims: { tsk: "task-other" } });
    add({
      name: "chain/spliced-under-another-task",
      description: "bob's hop spliced under alice's root grant for another task.",
      chain: { text: `${(otherTask.tokens[0] as Minted).compact}~${p1.compact}`, prover: bob },
      expected: deny([1, "chain_broken"], [1, "task_mismatch"]),
    });
    const sibling = await mintHop(t0, "sibling/1", { holder: dave });
    add({
      name: "chain/sibling-spliced-under-a-branch",
      description: "dave's hop, a sibling of bob's under the root, presented as bob's child.",
      chain: { text: `${t0.compact}~${t1.compact}~${sibling.compact}`, prover: dave },
      expected: deny([2, "chain_broken"], [2, "delegator_mismatch"], [2, "depth_exceeded"]),
    });
  }

  // --- depth ----------------------------------------------------------------------------------
  add({
    name: "depth/parent-allows-no-more",
    description: "A hop below a parent whose mdp is 0.",
    chain: await mintChain("mdp-0", { holder: alice, mdp: 1 }, { holder: bob }, { holder: carol, mdp: 0 }),
    expected: deny([2, "depth_exceeded"]),
  });
  add({
    name: "depth/keeps-parent-depth",
    description: "A hop whose mdp equals its parent's instead of at most parent − 1.",
    chain: await mintChain("mdp-keep", { holder: alice, mdp: 3 }, { holder: bob, mdp: 3 }),
    expected: deny([1, "depth_exceeded"]),
  });

  // --- widening -------------------------------------------------------------------------------
  const narrowParent: Capability[] = [{ act: "repo.issues.*", res: "repo:acme/web/**" }];
  for (const [what, wider] of [
    ["action", [{ act: "repo.*", res: "repo:acme/web/**" }]],
    ["resource", [{ act: "repo.issues.create", res: "repo:acme/**" }]],
    ["resource-outside", [{ act: "repo.issues.create", res: "repo:acme/web" }]],
    [
      "extra-capability",
      [
        { act: "repo.issues.create", res: "repo:acme/web/**" },
        { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 1 } } },
      ],
    ],
  ] as const) {
    add({
      name: `widening/scope-${what}`,
      description: `carol's hop claims ${wider.map((c) => `${c.act} on ${c.res}`).join(" and ")} under bob's repo.issues.* on repo:acme/web/**.`,
      chain: await mintChain(
        `scope-${what}`,
        { holder: alice },
        { holder: bob, cap: narrowParent },
        { holder: carol, cap: wider },
      ),
      expected: deny([2, "scope_widening"]),
    });
  }
  for (const [what, cap] of [
    ["limit-dropped", { act: "mail.send", res: "mailbox:acme/ops" }],
    ["limit-loosened", { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 21 } } }],
  ] as const) {
    add({
      name: `widening/scope-${what}`,
      description: `A hop on mail.send whose argument limit is ${what === "limit-dropped" ? "dropped" : "looser (max 21)"} where the root allows recipients max 20.`,
      chain: await mintChain(
        `scope-${what}`,
        { holder: alice, cap: MAIL_ROOT_CAPS },
        { holder: bob, cap: [cap] },
      ),
      request: { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 1 } },
      expected: deny([1, "scope_widening"]),
    });
  }
  for (const [what, aud] of [
    ["extra", ["repo-tool", "billing-tool"]],
    ["star", ["*"]],
  ] as const) {
    add({
      name: `widening/audience-${what}`,
      description: `A hop whose aud is ${JSON.stringify(aud)} under a root for repo-tool and mail-tool.`,
      chain: await mintChain(`aud-${what}`, { holder: alice }, { holder: bob, aud }),
      expected: deny([1, "audience_widening"]),
    });
  }
  add({
    name: "widening/lifetime-exp",
    description: "The leaf expires a second after its parent.",
    chain: await mintChain(
      "exp-later",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { exp: NOW + 3601 } },
    ),
    expected: deny([2, "lifetime_widening"]),
  });
  add({
    name: "widening/lifetime-revalidation",
    description: "A hop that must revalidate a second after its parent.",
    chain: await mintChain("rvl-later", { holder: alice }, { holder: bob, claims: { rvl: NOW + 601 } }),
    expected: deny([1, "lifetime_widening"]),
  });
  add({
    name: "widening/lifetime-issued-before-parent",
    description: "A hop issued (iat, nbf) before its parent was.",
    chain: await mintChain(
      "iat-earlier",
      { holder: alice },
      { holder: bob, claims: { iat: NOW - 61, nbf: NOW - 61 } },
    ),
    expected: deny([1, "lifetime_widening"]),
  });

  // --- time -----------------------------------------------------------------------------------
  add({
    name: "time/not-yet-valid",
    description: "A hop valid from a second beyond the allowed skew.",
    chain: await mintChain(
      "nbf-future",
      { holder: alice },
      { holder: bob, claims: { iat: NOW + 31, nbf: NOW + 31 } },
    ),
    expected: deny([1, "not_yet_valid"]),
  });
  add({
    name: "time/expired",
    description: "The leaf expired clock_skew_seconds ago.",
    chain: await mintChain(
      "expired",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { exp: NOW - 30, rvl: NOW - 40 } },
    ),
    expected: deny([2, "expired"]),
  });
  add({
    name: "time/revalidation-due",
    description: "A hop whose revalidate-by time is now (revalidation gets no skew).",
    chain: await mintChain(
      "rvl-due",
      { holder: alice },
      { holder: bob, claims: { rvl: NOW } },
      { holder: carol },
    ),
    expected: deny([1, "revalidation_due"]),
  });
  add({
    name: "time/revalidation-due-within-expiry-skew",
    description:
      "A hop expired less than the skew ago, whose revalidation was due: revalidation_due, not expired.",
    chain: await mintChain(
      "rvl-skew",
      { holder: alice },
      { holder: bob, claims: { exp: NOW - 29, rvl: NOW - 40 } },
    ),
    expected: deny([1, "revalidation_due"]),
  });

  // --- status ---------------------------------------------------------------------------------
  add({
    name: "status/middle-hop-revoked",
    description: "bob's delegation is revoked: the chain is refused at hop 1.",
    chain: standard,
    environment: { revocation: { synced_at: NOW, revoked: [t1.claims.did] } },
    expected: deny([1, "revoked"]),
  });
  add({
    name: "status/root-revoked",
    description:
      "The root grant is revoked (a closed task or a disabled agent revokes it too): refused at hop 0.",
    chain: standard,
    environment: { revocation: { synced_at: NOW, revoked: [t0.claims.did] } },
    expected: deny([0, "revoked"]),
  });
  add({
    name: "status/view-never-loaded",
    description: "The verifier has no revocation view at all: it fails closed.",
    chain: pair,
    environment: { revocation: { synced_at: null, revoked: [] } },
    expected: deny([0, "revocation_unknown"]),
  });
  add({
    name: "status/view-stale",
    description: "The revocation view is a second older than max_staleness_seconds: it fails closed.",
    chain: pair,
    environment: { revocation: { synced_at: NOW - 61, revoked: [] } },
    expected: deny([0, "revocation_unknown"]),
  });

  // --- the request against the leaf -----------------------------------------------------------
  add({
    name: "request/audience-mismatch",
    description: "A chain whose leaf is for mail-tool only, presented to repo-tool.",
    chain: await mintChain("aud-other", { holder: alice }, { holder: bob, aud: ["mail-tool"] }),
    expected: deny([1, "audience_mismatch"]),
  });
  for (const [what, request] of [
    ["other-action", { action: "repo.issues.delete" }],
    ["other-resource", { resource: "repo:acme/api/issues" }],
    ["deeper-resource", { resource: "repo:acme/web/issues/42" }],
    ["argument-over-limit", { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 6 } }],
    ["argument-wrong-type", { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: "5" } }],
    ["argument-missing", { action: "mail.send", resource: "mailbox:acme/ops", args: {} }],
  ] as const) {
    add({
      name: `request/not-permitted-${what}`,
      description: `A call the leaf does not allow (${what.replaceAll("-", " ")}), though an ancestor may.`,
      chain: narrowed,
      request,
      expected: deny([2, "action_not_permitted"]),
    });
  }
  add({
    name: "request/resource-with-dot-segment",
    description: "A call on repo:acme/web/../../billing/issues: refused as malformed, never normalized.",
    chain: pair,
    request: { resource: "repo:acme/web/../../billing/issues" },
    expected: deny([null, "malformed"]),
  });
  for (const [what, resource] of [
    ["encoded-slash", "repo:acme/web%2F..%2Fbilling"],
    ["trailing-slash", "repo:acme/web/issues/"],
    ["wildcard", "repo:acme/web/**"],
    ["decomposed-unicode", "repo:acme/web/cafe\u0301"],
  ] as const) {
    add({
      name: `request/resource-${what}`,
      description: `A call on ${JSON.stringify(resource)}: not a canonical concrete resource, so malformed.`,
      chain: pair,
      request: { resource },
      expected: deny([null, "malformed"]),
    });
  }
  for (const [what, resource] of [
    ["case-variant", "repo:Acme/web/issues"],
    ["the-prefix-itself", "repo:acme"],
  ] as const) {
    add({
      name: `request/not-permitted-${what}`,
      description: `A call on ${resource} under a leaf allowing repo:acme/**: matching is exact and case-sensitive, and P/** covers only what is below P.`,
      chain: pair,
      request: { resource },
      expected: deny([1, "action_not_permitted"]),
    });
  }
  {
    let args: Record<string, unknown> = { leaf: 1 };
    for (let depth = 0; depth < 40; depth++) args = { nested: args };
    add({
      name: "request/arguments-too-deep",
      description:
        "Call arguments nested 41 levels deep (the bound is 32): refused before the chain is read.",
      chain: pair,
      request: { args },
      expected: deny([null, "malformed"]),
    });
  }

  // --- DPoP proof of possession ---------------------------------------------------------------
  add({
    name: "dpop/missing",
    description: "No DPoP header.",
    chain: pair,
    proof: null,
    expected: deny([1, "pop_missing"]),
  });
  add({
    name: "dpop/empty",
    description: "An empty DPoP header.",
    chain: pair,
    proof: "",
    expected: deny([1, "pop_missing"]),
  });
  const popInvalid = (name: string, description: string, proof: Partial<Omit<ProofSpec, "chain">>) =>
    add({ name: `dpop/${name}`, description, chain: pair, proof, expected: deny([1, "pop_invalid"]) });
  popInvalid("signed-by-another-key", "A proof whose jwk is bob's but signed by mallory.", {
    signWith: mallory,
  });
  popInvalid("other-method", "A proof for GET, presented on a POST.", { method: "GET" });
  popInvalid("lowercase-method", "A proof whose htm is post (methods are case-sensitive).", {
    method: "post",
  });
  popInvalid("other-path", "A proof for another path on the same origin.", {
    url: "https://tools.example/repos/acme/web/pulls",
  });
  popInvalid("other-host", "A proof for another host.", {
    url: "https://evil.example/repos/acme/web/issues",
  });
  popInvalid("other-scheme", "A proof for http instead of https.", {
    url: "http://tools.example/repos/acme/web/issues",
  });
  popInvalid("other-chain", "A proof whose ath is the hash of another chain.", {
    claims: { ath: sha256Base64url(narrowed.text) },
  });
  popInvalid("no-ath", "A proof without ath.", { claims: { ath: undefined } });
  popInvalid("too-old", "A proof a second older than proof_max_age_seconds.", { iat: NOW - 61 });
  popInvalid("from-the-future", "A proof a second further in the future than the skew allows.", {
    iat: NOW + 31,
  });
  popInvalid("typ-jwt", "A proof whose typ is JWT.", { header: { typ: "JWT" } });
  popInvalid("typ-token", "A proof whose typ is baton+jwt: a token is not a proof.", {
    header: { typ: "baton+jwt" },
  });
  popInvalid("typ-missing", "A proof without typ.", { header: { typ: undefined } });
  popInvalid("alg-es256", "A proof whose alg is ES256.", { header: { alg: "ES256" } });
  popInvalid("header-kid", "A proof whose header adds a kid.", { header: { kid: "bob" } });
  popInvalid("jwk-with-private-part", "A proof whose jwk carries a private part d.", {
    header: { jwk: { ...bob.jwk, d: "AAAA" } },
  });
  popInvalid("jwk-not-ed25519", "A proof whose jwk is an EC P-256 key.", {
    header: { jwk: { kty: "EC", crv: "P-256", x: bob.jwk.x } },
  });
  popInvalid("jwk-missing", "A proof without jwk.", { header: { jwk: undefined } });
  popInvalid("alg-none", "A proof whose alg is none (signed all the same).", { header: { alg: "none" } });
  popInvalid("header-jku", "A proof whose header points at a key URL (jku).", {
    header: { jku: "https://evil.example/keys" },
  });
  popInvalid("extra-claim", "A proof with a claim RFC 9449 does not define here.", {
    claims: { scope: "admin" },
  });
  popInvalid("short-jti", "A proof whose jti is too short to be unique.", { jti: "abc" });
  {
    // The identity point: [k]A is the identity for every k, so R = identity, S = 0 verifies anything
    // under it (OpenSSL 3.0 accepts such a forgery): the key itself must be refused.
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
    const lowOrderJwk = { kty: "OKP", crv: "Ed25519", x: identity.toString("base64url") } as const;
    const victim: Agent = {
      ...mallory,
      id: "agent:victim",
      jwk: lowOrderJwk,
      thumbprint: sha256Base64url(`{"crv":"Ed25519","kty":"OKP","x":"${lowOrderJwk.x}"}`),
    };
    const chain = await mintChain("small-order", { holder: alice }, { holder: victim });
    const honest = makeProof({ key: victim, chain: chain.text, jti: fixedId("dpop/small-order-key/proof") });
    const forged = withSignature(honest, Buffer.concat([identity, Buffer.alloc(32)]).toString("base64url"));
    add({
      name: "dpop/small-order-key",
      description:
        "A leaf bound to a small-order key (the identity point) and a proof forged under it (R = identity, S = 0).",
      chain,
      proof: forged,
      expected: deny([1, "pop_invalid"]),
    });
  }
  const replayedJti = fixedId("dpop/replayed/proof");
  add({
    name: "dpop/replayed",
    description: "A proof whose jti this verifier already accepted inside the replay window.",
    chain: pair,
    proof: { jti: replayedJti },
    environment: { seen_proof_jtis: [replayedJti] },
    expected: deny([1, "pop_replayed"]),
  });
  add({
    name: "dpop/proof-by-another-agent",
    description: "A valid proof by mallory (own key, correct request) for bob's chain.",
    chain: pair,
    proof: { key: mallory },
    expected: deny([1, "pop_binding_mismatch"]),
  });
  add({
    name: "dpop/proof-by-an-ancestor",
    description:
      "A valid proof by alice, who holds the root grant, for bob's chain: only the leaf holder may present it.",
    chain: pair,
    proof: { key: alice },
    expected: deny([1, "pop_binding_mismatch"]),
  });

  // --- runtime policy -------------------------------------------------------------------------
  add({
    name: "policy/denied",
    description: "Every check passes and the runtime policy denies the call.",
    chain: pair,
    environment: { policy: { decision: "deny", policies: ["no-friday-deploys"] } },
    expected: deny([1, "policy_denied"]),
  });
  add({
    name: "policy/step-up",
    description: "Every check passes and the runtime policy asks for an operator's approval.",
    chain: pair,
    environment: { policy: { decision: "step_up", policies: ["approve-deletes"] } },
    expected: { decision: "step_up", reasons: [{ hop: 1, code: "step_up_required" }] },
  });
  add({
    name: "policy/engine-failure",
    description: "The policy engine fails while deciding: the call is refused, never allowed.",
    chain: pair,
    environment: { policy: { decision: "error" } },
    expected: deny([null, "internal"]),
  });

  // --- what a deny reports --------------------------------------------------------------------
  add({
    name: "reporting/every-check-of-the-failing-hop",
    description: "bob's hop changes task, keeps its parent's mdp and widens its scope: all three are named.",
    chain: await mintChain(
      "many-faults",
      { holder: alice, mdp: 3 },
      { holder: bob, mdp: 3, cap: [{ act: "*", res: "**" }], claims: { tsk: "task-other" } },
      { holder: carol, mdp: 1 },
    ),
    expected: deny([1, "task_mismatch"], [1, "depth_exceeded"], [1, "scope_widening"]),
  });
  add({
    name: "reporting/first-failing-hop-only",
    description: "bob's hop expired and carol's widens scope: only the first failing hop (1) is reported.",
    chain: await mintChain(
      "first-only",
      { holder: alice },
      { holder: bob, claims: { exp: NOW - 30, rvl: NOW - 40 } },
      { holder: carol, cap: [{ act: "*", res: "**" }] },
    ),
    expected: deny([1, "expired"]),
  });
  add({
    name: "reporting/proof-not-judged-for-a-refused-chain",
    description: "A revoked chain presented without a proof: the decision names the revocation only.",
    chain: standard,
    proof: null,
    environment: { revocation: { synced_at: NOW, revoked: [t2.claims.did] } },
    expected: deny([2, "revoked"]),
  });
  add({
    name: "reporting/policy-not-consulted-on-deny",
    description: "A denying policy and a leaf for another audience: the decision names the audience only.",
    chain: await mintChain("policy-aud", { holder: alice }, { holder: bob, aud: ["mail-tool"] }),
    environment: { policy: { decision: "deny", policies: ["no-friday-deploys"] } },
    expected: deny([1, "audience_mismatch"]),
  });
  add({
    name: "reporting/request-and-proof-together",
    description: "A call the leaf does not allow, with no proof: both are named at the leaf.",
    chain: standard,
    request: { action: "billing.refund", resource: "billing:acme/invoices" },
    proof: null,
    expected: deny([2, "action_not_permitted"], [2, "pop_missing"]),
  });

  // Grouped in the order of DESIGN.md's checks, each group in the order its cases were written.
  cases.sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group));
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`two cases are named ${c.name}`);
    if (!GROUP_ORDER.includes(c.group)) throw new Error(`case ${c.name} has no known group`);
    names.add(c.name);
  }
  return cases;
}
