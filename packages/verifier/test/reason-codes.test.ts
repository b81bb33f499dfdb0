/**
 * One attack per reason code (issue 3): each refused with its code and the index of the hop at
 * fault, through `createVerifier` with a frozen clock.
 */

import { createPublicKey, verify as verifyEd25519 } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  type Capability,
  ed25519PublicJwk,
  jwkThumbprint,
  REASON_CODES,
  sha256Base64url,
} from "@baton/token";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { createHonoGate } from "../src/hono.ts";
import type { PolicyHook } from "../src/policy-hook.ts";
import { memoryRevocations, type RevocationSource } from "../src/revocation-sources.ts";
import { expectAllowed, expectExactly, expectRefused } from "./expect-decision.ts";
import {
  alice,
  bob,
  carol,
  chainOf,
  dave,
  type Minted,
  makeAgent,
  makeProof,
  makeServiceKey,
  makeVerifier,
  mallory,
  mintChain,
  mintHop,
  mintRoot,
  NOW,
  presentation,
  type RawClaims,
  REQUEST_URL,
  randomId,
  repoRoot,
  service,
  signCompact,
  standardChain,
} from "./fixtures.ts";

const covered = new Set<string>();
/** Registers the code a test is about, so the last test can prove every code has an attack. */
function about(code: (typeof REASON_CODES)[number]): void {
  covered.add(code);
}

/** Flips the last character of a base64url part so it decodes to the same bytes non-canonically. */
function nonCanonical(part: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (part.length % 4 !== 2 && part.length % 4 !== 3) throw new Error("this part has no spare bits");
  const last = alphabet.indexOf(part.slice(-1));
  // The low 4 (or 2) bits of the last character are padding and must be zero in canonical form.
  return part.slice(0, -1) + alphabet[last | 1];
}

describe("size and shape", () => {
  it("refuses a chain with more tokens than the limit (chain_too_long)", async () => {
    about("chain_too_long");
    const holders = [bob, carol];
    const specs = Array.from({ length: 16 }, (_, i) => ({ holder: holders[i % 2] ?? bob }));
    const long = mintChain({ holder: alice, mdp: 20 }, ...specs);
    expect(long.tokens).toHaveLength(17);
    expectExactly(await makeVerifier().verify(presentation(long)), [[null, "chain_too_long"]]);
    // The limit is configurable, and 16 is allowed by default.
    const sixteen = chainOf(long.tokens.slice(0, 16));
    expectAllowed(await makeVerifier().verify(presentation(sixteen)));
    expectRefused(
      await makeVerifier({ maxChain: 2 }).verify(presentation(standardChain())),
      "chain_too_long",
      null,
    );
  });

  it("refuses a token larger than 8 KiB, naming its hop (token_too_large)", async () => {
    about("token_too_large");
    const bulky: Capability[] = Array.from({ length: 32 }, (_, i) => ({
      act: "repo.issues.read",
      res: `repo:acme/web/${"x".repeat(300)}${i}`,
    }));
    const root = mintRoot({ holder: alice });
    const big = mintHop(root, { holder: bob, cap: bulky });
    expect(big.compact.length).toBeGreaterThan(8192);
    const chain = chainOf([root, big, mintHop(big, { holder: carol })]);
    expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "token_too_large"]]);
  });

  it("refuses claims of the wrong type, unknown claims and duplicate claims (malformed)", async () => {
    about("malformed");
    const root = mintRoot({ holder: alice });
    const stringExp = mintHop(root, { holder: bob, claims: { exp: String(NOW + 3600) } });
    expectExactly(await makeVerifier().verify(presentation(chainOf([root, stringExp]))), [[1, "malformed"]]);

    const unknownClaim = mintRoot({ holder: alice, claims: { admin: true } });
    expectExactly(await makeVerifier().verify(presentation(chainOf([unknownClaim]))), [[0, "malformed"]]);

    // {"sub":"agent:alice", …, "sub":"agent:mallory"}: JSON.parse would keep the last one.
    const claims = mintRoot({ holder: alice }).claims;
    const payload = JSON.stringify(claims).replace(/}$/, ',"sub":"agent:mallory"}');
    const duplicate = signCompact(
      { alg: "Ed25519", typ: "baton+jwt", kid: service.kid },
      payload,
      service.privateKey,
    );
    const dupChain = { tokens: [], chain: duplicate, leaf: { compact: duplicate, claims, holder: mallory } };
    expectExactly(await makeVerifier().verify(presentation(dupChain)), [[0, "malformed"]]);
  });

  it("refuses a root grant from another issuer (malformed)", async () => {
    const chain = mintChain({ holder: alice, claims: { iss: "https://evil.test" } }, { holder: bob });
    expectExactly(await makeVerifier().verify(presentation(chain)), [[0, "malformed"]]);
  });

  it("refuses a token whose base64url is not canonical, even though it decodes to the same bytes", async () => {
    const chain = standardChain();
    const [header = "", payload = "", signature = ""] = chain.tokens[1]?.compact.split(".") ?? [];
    const mangled = [header, payload, nonCanonical(signature)].join(".");
    const tokens = [chain.tokens[0]?.compact, mangled, chain.tokens[2]?.compact].join("~");
    expectExactly(await makeVerifier().verify(presentation(chain, { chain: tokens })), [[1, "malformed"]]);
    // The header is checked before the signature; pick a kid that leaves its base64url spare bits.
    for (const kid of ["k1", "k12", "k123"]) {
      const hop = mintHop(chain.tokens[0] as Minted, { holder: bob, header: { kid } });
      const [hopHeader = "", hopPayload = "", hopSignature = ""] = hop.compact.split(".");
      if (hopHeader.length % 4 === 0) continue;
      const badHeader = [nonCanonical(hopHeader), hopPayload, hopSignature].join(".");
      const withHeader = [chain.tokens[0]?.compact, badHeader].join("~");
      expectExactly(await makeVerifier().verify(presentation(chain, { chain: withHeader })), [
        [1, "malformed"],
      ]);
      return;
    }
    throw new Error("no kid gave a header with spare bits");
  });

  it("refuses a payload whose base64url is not canonical before checking its signature (malformed)", async () => {
    // Pick a task id that leaves spare bits at the end of the payload's base64url.
    for (const tsk of ["task-a", "task-ab", "task-abc"]) {
      const root = mintRoot({ holder: alice, claims: { tsk } });
      const [header = "", payload = "", signature = ""] = root.compact.split(".");
      if (payload.length % 4 === 0) continue;
      const mangled = [header, nonCanonical(payload), signature].join(".");
      expectExactly(await makeVerifier().verify(presentation(chainOf([root]), { chain: mangled })), [
        [0, "malformed"],
      ]);
      return;
    }
    throw new Error("no task id gave a payload with spare bits");
  });

  it("refuses a request for a resource with a .. segment (malformed)", async () => {
    const decision = await makeVerifier().verify(
      presentation(standardChain(), { resource: "repo:acme/web/../../billing/issues" }),
    );
    expectExactly(decision, [[null, "malformed"]]);
  });
});

describe("header", () => {
  it("refuses an algorithm other than Ed25519, the deprecated EdDSA included (unsupported_alg)", async () => {
    about("unsupported_alg");
    const root = mintRoot({ holder: alice });
    for (const alg of ["none", "HS256", "ES256", "eddsa", "EdDSA", "ed25519"]) {
      const hop = mintHop(root, { holder: bob, header: { alg } });
      expectExactly(await makeVerifier().verify(presentation(chainOf([root, hop]))), [
        [1, "unsupported_alg"],
      ]);
    }
  });

  it("refuses a typ other than baton+jwt (bad_type)", async () => {
    about("bad_type");
    for (const typ of ["JWT", "dpop+jwt", "at+jwt"]) {
      const chain = mintChain({ holder: alice, header: { typ } }, { holder: bob });
      expectExactly(await makeVerifier().verify(presentation(chain)), [[0, "bad_type"]]);
    }
  });

  it("refuses a header that names its own key or a URL (malformed)", async () => {
    const root = mintRoot({ holder: alice });
    for (const extra of [
      { jwk: mallory.jwk },
      { jku: "https://evil.test/jwks" },
      { crit: ["b64"] },
      { b64: false },
    ]) {
      const hop = mintHop(root, { holder: bob, header: extra });
      expectExactly(await makeVerifier().verify(presentation(chainOf([root, hop]))), [[1, "malformed"]]);
    }
  });

  it("refuses a kid the key source does not know (unknown_key)", async () => {
    about("unknown_key");
    const unpublished = makeServiceKey();
    const root = mintRoot({ holder: alice });
    const hop = mintHop(root, { holder: bob, serviceKey: unpublished });
    expectExactly(await makeVerifier().verify(presentation(chainOf([root, hop]))), [[1, "unknown_key"]]);
  });
});

describe("signature", () => {
  it("refuses a token signed by anyone but the service under the service's kid (bad_signature)", async () => {
    about("bad_signature");
    const root = mintRoot({ holder: alice });
    const forged = mintHop(root, { holder: mallory, signWith: mallory.privateKey });
    expectExactly(await makeVerifier().verify(presentation(chainOf([root, forged]))), [[1, "bad_signature"]]);
  });

  it("refuses a genuine token whose payload was edited (bad_signature)", async () => {
    const chain = standardChain();
    const [header = "", , signature = ""] = chain.tokens[0]?.compact.split(".") ?? [];
    const widened = { ...chain.tokens[0]?.claims, cap: [{ act: "*", res: "**" }] };
    const edited = [header, Buffer.from(JSON.stringify(widened)).toString("base64url"), signature].join(".");
    expectExactly(await makeVerifier().verify(presentation(chain, { chain: edited })), [
      [0, "bad_signature"],
    ]);
  });
});

describe("links between hops", () => {
  it("refuses a hop whose par is not its parent's did (chain_broken)", async () => {
    about("chain_broken");
    const chain = mintChain(
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { par: randomId() } },
    );
    expectExactly(await makeVerifier().verify(presentation(chain)), [[2, "chain_broken"]]);
  });

  it("refuses a hop whose prf is not the hash of its parent's bytes (chain_broken)", async () => {
    const chain = mintChain(
      { holder: alice },
      { holder: bob, claims: { prf: sha256Base64url("another token") } },
    );
    expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "chain_broken"]]);
  });

  it("refuses a chain with a middle hop dropped (chain_broken)", async () => {
    const [t0, , t2] = standardChain().tokens;
    const chain = chainOf([t0, t2].filter((t) => t !== undefined));
    expectRefused(await makeVerifier().verify(presentation(chain)), "chain_broken", 1);
  });

  it("refuses a chain with two hops swapped (chain_broken)", async () => {
    const [t0, t1, t2, t3] = mintChain(
      { holder: alice },
      { holder: bob },
      { holder: carol },
      { holder: dave },
    ).tokens;
    const chain = chainOf([t0, t2, t1, t3].filter((t) => t !== undefined));
    const decision = await makeVerifier().verify(presentation(chain));
    expectRefused(decision, "chain_broken", 1);
    expect(decision.reasons.every((reason) => reason.hop === 1)).toBe(true);
  });

  it("refuses a chain that does not start with a root grant (chain_broken)", async () => {
    const [, t1, t2] = standardChain().tokens;
    const chain = chainOf([t1, t2].filter((t) => t !== undefined));
    expectExactly(await makeVerifier().verify(presentation(chain)), [[0, "chain_broken"]]);
  });

  it("refuses a hop whose dlg is not its parent's holder (delegator_mismatch)", async () => {
    about("delegator_mismatch");
    const chain = mintChain(
      { holder: alice },
      { holder: bob, claims: { dlg: mallory.id } },
      { holder: carol },
    );
    expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "delegator_mismatch"]]);
  });

  it("refuses a hop for another task (task_mismatch)", async () => {
    about("task_mismatch");
    const chain = mintChain(
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { tsk: "task-other" } },
    );
    expectExactly(await makeVerifier().verify(presentation(chain)), [[2, "task_mismatch"]]);
  });
});

describe("depth and attenuation", () => {
  it("refuses a hop below a parent with mdp 0, and a hop that keeps its parent's mdp (depth_exceeded)", async () => {
    about("depth_exceeded");
    const exhausted = mintChain({ holder: alice, mdp: 1 }, { holder: bob }, { holder: carol, mdp: 0 });
    expectExactly(await makeVerifier().verify(presentation(exhausted)), [[2, "depth_exceeded"]]);
    const greedy = mintChain({ holder: alice, mdp: 3 }, { holder: bob, mdp: 3 });
    expectExactly(await makeVerifier().verify(presentation(greedy)), [[1, "depth_exceeded"]]);
  });

  it("refuses a hop whose capabilities are wider than its parent's (scope_widening)", async () => {
    about("scope_widening");
    const narrow = [{ act: "repo.issues.*", res: "repo:acme/web/**" }];
    for (const wider of [
      [{ act: "repo.*", res: "repo:acme/web/**" }],
      [{ act: "repo.issues.create", res: "repo:acme/**" }],
      [{ act: "repo.issues.create", res: "repo:acme/web" }],
      [
        { act: "repo.issues.create", res: "repo:acme/web/**" },
        { act: "mail.send", res: "mailbox:acme/ops" },
      ],
    ]) {
      const chain = mintChain({ holder: alice }, { holder: bob, cap: narrow }, { holder: carol, cap: wider });
      expectExactly(await makeVerifier().verify(presentation(chain)), [[2, "scope_widening"]]);
    }
  });

  it("refuses a hop that drops or loosens an argument limit of its parent (scope_widening)", async () => {
    for (const lim of [undefined, { recipients: { max: 21 } }, { count: { max: 1 } }]) {
      const cap: Capability =
        lim === undefined
          ? { act: "mail.send", res: "mailbox:acme/ops" }
          : { act: "mail.send", res: "mailbox:acme/ops", lim };
      const chain = mintChain({ holder: alice }, { holder: bob, cap: [cap] });
      expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "scope_widening"]]);
    }
  });

  it("refuses a hop whose audiences are wider than its parent's (audience_widening)", async () => {
    about("audience_widening");
    for (const aud of [["repo-tool", "billing-tool"], ["*"]]) {
      const chain = mintChain({ holder: alice }, { holder: bob, aud });
      expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "audience_widening"]]);
    }
  });

  it("refuses a hop that outlives its parent, or revalidates later, or predates it (lifetime_widening)", async () => {
    about("lifetime_widening");
    const later = mintChain({ holder: alice }, { holder: bob }, { holder: carol, expIn: 3601 });
    expectExactly(await makeVerifier().verify(presentation(later)), [[2, "lifetime_widening"]]);
    const lateRvl = mintChain({ holder: alice }, { holder: bob, rvlIn: 601 });
    expectExactly(await makeVerifier().verify(presentation(lateRvl)), [[1, "lifetime_widening"]]);
    const earlier = mintChain({ holder: alice }, { holder: bob, claims: { iat: NOW - 61, nbf: NOW - 61 } });
    expectRefused(await makeVerifier().verify(presentation(earlier)), "lifetime_widening", 1);
  });
});

describe("time", () => {
  it("refuses a hop that is not valid yet beyond the allowed skew (not_yet_valid)", async () => {
    about("not_yet_valid");
    const early = mintChain({ holder: alice }, { holder: bob, claims: { iat: NOW + 31, nbf: NOW + 31 } });
    expectExactly(await makeVerifier().verify(presentation(early)), [[1, "not_yet_valid"]]);
    const withinSkew = mintChain(
      { holder: alice },
      { holder: bob, claims: { iat: NOW + 30, nbf: NOW + 30 } },
    );
    expectAllowed(await makeVerifier().verify(presentation(withinSkew)));
  });

  it("refuses an expired hop once the skew has passed (expired)", async () => {
    about("expired");
    const claims: RawClaims = { exp: NOW - 30, rvl: NOW - 40 };
    const chain = mintChain({ holder: alice }, { holder: bob }, { holder: carol, claims });
    expectExactly(await makeVerifier().verify(presentation(chain)), [[2, "expired"]]);
    const justWithinSkew = mintChain(
      { holder: alice },
      { holder: bob, claims: { exp: NOW - 29, rvl: NOW - 40 } },
    );
    // Still within the skew for exp, but revalidation (which gets no skew) was due.
    expectExactly(await makeVerifier().verify(presentation(justWithinSkew)), [[1, "revalidation_due"]]);
  });

  it("refuses a hop whose revalidation time has passed (revalidation_due)", async () => {
    about("revalidation_due");
    const chain = mintChain({ holder: alice }, { holder: bob, claims: { rvl: NOW } }, { holder: carol });
    expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "revalidation_due"]]);
  });
});

describe("status", () => {
  it("refuses a chain whose middle hop is revoked, naming that hop (revoked)", async () => {
    about("revoked");
    const chain = standardChain();
    const middle = chain.tokens[1]?.claims.did as string;
    const decision = await makeVerifier({ revocations: memoryRevocations([middle]) }).verify(
      presentation(chain),
    );
    expectExactly(decision, [[1, "revoked"]]);
  });

  it("refuses when the revocation view was never loaded or is older than allowed (revocation_unknown)", async () => {
    about("revocation_unknown");
    const view = (syncedAt: number | undefined): RevocationSource => ({
      isRevoked: () => false,
      syncedAt: () => syncedAt,
    });
    const chain = standardChain();
    expectExactly(await makeVerifier({ revocations: view(undefined) }).verify(presentation(chain)), [
      [0, "revocation_unknown"],
    ]);
    expectExactly(await makeVerifier({ revocations: view(NOW - 61) }).verify(presentation(chain)), [
      [0, "revocation_unknown"],
    ]);
    expectAllowed(await makeVerifier({ revocations: view(NOW - 60) }).verify(presentation(chain)));
    const strict = makeVerifier({ revocations: view(NOW - 11), maxStalenessSeconds: 10 });
    expectRefused(await strict.verify(presentation(chain)), "revocation_unknown", 0);
  });

  it("lets a stale view through when onStaleRevocations is allow, but still honours what it knows", async () => {
    const chain = standardChain();
    const stale = (revoked: string[]): RevocationSource => ({
      isRevoked: (did) => revoked.includes(did),
      syncedAt: () => NOW - 3600,
    });
    expectAllowed(
      await makeVerifier({ revocations: stale([]), onStaleRevocations: "allow" }).verify(presentation(chain)),
    );
    const leaf = chain.leaf.claims.did as string;
    const decision = await makeVerifier({ revocations: stale([leaf]), onStaleRevocations: "allow" }).verify(
      presentation(chain),
    );
    expectExactly(decision, [[2, "revoked"]]);
  });

  it("denies with revocation_unknown when the view was never loaded, even when onStaleRevocations is allow", async () => {
    const never: RevocationSource = { isRevoked: () => false, syncedAt: () => undefined };
    const decision = await makeVerifier({ revocations: never, onStaleRevocations: "allow" }).verify(
      presentation(standardChain()),
    );
    expectExactly(decision, [[0, "revocation_unknown"]]);
  });
});

describe("the request against the leaf", () => {
  const narrowed = () =>
    mintChain(
      { holder: alice },
      {
        holder: bob,
        cap: [
          { act: "repo.issues.*", res: "repo:acme/web/**" },
          { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 20 } } },
        ],
      },
      {
        holder: carol,
        cap: [
          { act: "repo.issues.create", res: "repo:acme/web/issues" },
          { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 5 } } },
        ],
      },
    );

  it("refuses a chain whose leaf is not for this tool server (audience_mismatch)", async () => {
    about("audience_mismatch");
    const chain = mintChain({ holder: alice }, { holder: bob, aud: ["mail-tool"] });
    expectExactly(await makeVerifier().verify(presentation(chain)), [[1, "audience_mismatch"]]);
  });

  it("allows exactly what the leaf allows", async () => {
    const chain = narrowed();
    expectAllowed(await makeVerifier().verify(presentation(chain)));
    const mail = { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 5 } };
    expectAllowed(await makeVerifier().verify(presentation(chain, mail)));
  });

  it("refuses an action, a resource or arguments the leaf does not allow (action_not_permitted)", async () => {
    about("action_not_permitted");
    const chain = narrowed();
    const verifier = makeVerifier();
    for (const call of [
      { action: "repo.issues.delete", resource: "repo:acme/web/issues" },
      { action: "repo.issues.create", resource: "repo:acme/api/issues" },
      // Allowed to bob, but not to carol: the leaf decides.
      { action: "repo.issues.create", resource: "repo:acme/web/issues/42" },
      { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 6 } },
      { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: "5" } },
      { action: "mail.send", resource: "mailbox:acme/ops" },
    ]) {
      expectExactly(await verifier.verify(presentation(chain, call)), [[2, "action_not_permitted"]]);
    }
  });

  /** @see issue 13 */
  it("refuses, in a tool server's gate, a request no gated route handles (unmapped_route)", async () => {
    about("unmapped_route");
    const app = new Hono();
    const baton = createHonoGate({
      verifier: makeVerifier(),
      audience: "repo-tool",
      publicOrigin: "https://tools.test",
    });
    app.post(
      "/repos/:owner/:repo/issues",
      baton({ action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" }),
      (c) => c.json({ ok: true }),
    );
    app.notFound(baton.unmapped);
    const chain = narrowed();
    const response = await app.request(
      new Request("https://tools.test/repos/acme/web/pulls", {
        method: "POST",
        headers: { authorization: `DPoP ${chain.chain}`, dpop: presentation(chain).proof ?? "" },
      }),
    );
    expect(response.status).toBe(403);
    const body = (await response.json()) as { reasons: { hop: number | null; code: string }[] };
    expect(body.reasons.map((reason) => [reason.hop, reason.code])).toEqual([[null, "unmapped_route"]]);
  });
});

describe("proof of possession", () => {
  it("refuses a request without a DPoP proof (pop_missing)", async () => {
    about("pop_missing");
    const chain = standardChain();
    expectExactly(await makeVerifier().verify(presentation(chain, { proof: undefined })), [
      [2, "pop_missing"],
    ]);
    expectExactly(await makeVerifier().verify(presentation(chain, { proof: "" })), [[2, "pop_missing"]]);
  });

  it("refuses a proof that is not signed by the key in its header (pop_invalid)", async () => {
    about("pop_invalid");
    const chain = standardChain();
    const proof = makeProof({ key: carol, chain: chain.chain, signWith: mallory.privateKey });
    expectExactly(await makeVerifier().verify(presentation(chain, { proof })), [[2, "pop_invalid"]]);
  });

  it("refuses a proof for another method, URL or chain (pop_invalid)", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    const proofs = [
      makeProof({ key: carol, chain: chain.chain, method: "GET" }),
      makeProof({ key: carol, chain: chain.chain, method: "post" }),
      makeProof({ key: carol, chain: chain.chain, url: "https://tools.test/repos/acme/web/pulls" }),
      makeProof({ key: carol, chain: chain.chain, url: "https://evil.test/repos/acme/web/issues" }),
      makeProof({ key: carol, chain: chain.chain, url: "http://tools.test/repos/acme/web/issues" }),
      makeProof({
        key: carol,
        chain: mintChain({ holder: alice }, { holder: bob }, { holder: carol }).chain,
      }),
      makeProof({ key: carol, chain: chain.chain, claims: { ath: undefined } }),
    ];
    for (const proof of proofs) {
      expectExactly(await verifier.verify(presentation(chain, { proof })), [[2, "pop_invalid"]]);
    }
  });

  it("accepts an htu that differs only by case of host, default port, query or fragment", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    for (const url of [
      "https://TOOLS.test/repos/acme/web/issues",
      "https://tools.test:443/repos/acme/web/issues",
      "https://tools.test/repos/acme/web/issues?page=2#top",
    ]) {
      const proof = makeProof({ key: carol, chain: chain.chain, url });
      expectAllowed(await verifier.verify(presentation(chain, { proof })));
    }
  });

  it("refuses a proof older than the allowed age or from the future (pop_invalid)", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    for (const iat of [NOW - 61, NOW + 31, NOW - 100_000]) {
      const proof = makeProof({ key: carol, chain: chain.chain, iat });
      expectExactly(await verifier.verify(presentation(chain, { proof })), [[2, "pop_invalid"]]);
    }
    for (const iat of [NOW - 60, NOW + 30]) {
      expectAllowed(
        await verifier.verify(
          presentation(chain, { proof: makeProof({ key: carol, chain: chain.chain, iat }) }),
        ),
      );
    }
  });

  it("refuses a proof whose header is not a DPoP header (pop_invalid)", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    const headers: RawClaims[] = [
      { typ: "JWT" },
      { typ: "baton+jwt" },
      { typ: undefined },
      { alg: "ES256" },
      { kid: "carol" },
      { jwk: { ...carol.jwk, d: "AAAA" } },
      { jwk: { kty: "EC", crv: "P-256", x: carol.jwk.x } },
      { jwk: undefined },
    ];
    for (const header of headers) {
      const proof = makeProof({ key: carol, chain: chain.chain, header });
      expectExactly(await verifier.verify(presentation(chain, { proof })), [[2, "pop_invalid"]]);
    }
  });

  it("refuses a proof under a small-order key, under which anyone can forge a signature (pop_invalid)", async () => {
    const vectors = JSON.parse(
      readFileSync(path.resolve(repoRoot, "../shared/vectors/cctv-ed25519vectors.json"), "utf8"),
    ) as { key: string; flags: string[] | null }[];
    // The identity point: [k]A is the identity for every k, so R = identity, S = 0 verifies anything.
    const identity = vectors.find(
      (v) => v.key === `01${"00".repeat(31)}` && (v.flags ?? []).includes("low_order_A"),
    );
    expect(identity).toBeDefined();
    const lowOrder = ed25519PublicJwk(new Uint8Array(Buffer.from(identity?.key ?? "", "hex")));
    const forgedSignature = Buffer.concat([Buffer.from(identity?.key ?? "", "hex"), Buffer.alloc(32)]);

    // A leaf bound to that key (the service would never issue one; the proof check must not rely on it).
    const victim = { ...makeAgent("agent:victim"), jwk: lowOrder, thumbprint: jwkThumbprint(lowOrder) };
    const chain = mintChain({ holder: alice }, { holder: victim });
    const header = Buffer.from(JSON.stringify({ typ: "dpop+jwt", alg: "EdDSA", jwk: lowOrder })).toString(
      "base64url",
    );
    const claims = {
      jti: randomId(),
      htm: "POST",
      htu: REQUEST_URL,
      iat: NOW,
      ath: sha256Base64url(chain.chain),
    };
    const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    // OpenSSL 3.0 (Node 20) accepts the forgery, so the refusal has to come from Baton's key check;
    // OpenSSL 3.5 (Node 22, 24) refuses it too, and Baton must refuse it all the same.
    const openssl = createPublicKey({ key: { ...lowOrder }, format: "jwk" });
    if (process.versions.openssl.startsWith("3.0."))
      expect(verifyEd25519(null, Buffer.from(signingInput), openssl, forgedSignature)).toBe(true);
    const proof = `${signingInput}.${forgedSignature.toString("base64url")}`;
    expectExactly(await makeVerifier().verify(presentation(chain, { proof })), [[1, "pop_invalid"]]);
  });

  it("refuses a proof presented a second time (pop_replayed)", async () => {
    about("pop_replayed");
    const chain = standardChain();
    const verifier = makeVerifier();
    const request = presentation(chain);
    expectAllowed(await verifier.verify(request));
    expectExactly(await verifier.verify(request), [[2, "pop_replayed"]]);
    // A fresh proof is fine.
    expectAllowed(await verifier.verify(presentation(chain)));
  });

  it("does not let a forged proof burn an honest client's proof id", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    const jti = randomId();
    const forged = makeProof({ key: carol, chain: chain.chain, jti, signWith: mallory.privateKey });
    expectRefused(await verifier.verify(presentation(chain, { proof: forged })), "pop_invalid", 2);
    const honest = makeProof({ key: carol, chain: chain.chain, jti });
    expectAllowed(await verifier.verify(presentation(chain, { proof: honest })));
  });

  it("refuses a valid proof by mallory for bob's token (pop_binding_mismatch)", async () => {
    about("pop_binding_mismatch");
    const chain = mintChain({ holder: alice }, { holder: bob });
    expectExactly(await makeVerifier().verify(presentation(chain, { proofBy: mallory })), [
      [1, "pop_binding_mismatch"],
    ]);
    // The root holder cannot use bob's token either.
    expectExactly(await makeVerifier().verify(presentation(chain, { proofBy: alice })), [
      [1, "pop_binding_mismatch"],
    ]);
  });
});

describe("runtime policy", () => {
  it("refuses what the policy hook denies (policy_denied), naming the policies", async () => {
    about("policy_denied");
    const policy: PolicyHook = () => ({ decision: "deny", policies: ["no-friday-deploys"] });
    const decision = await makeVerifier({ policy }).verify(presentation(standardChain()));
    expectExactly(decision, [[2, "policy_denied"]]);
    expect(decision.reasons[0]?.policies).toEqual(["no-friday-deploys"]);
  });

  it("answers step_up when the policy hook asks for approval (step_up_required)", async () => {
    about("step_up_required");
    const policy: PolicyHook = () => ({ decision: "step_up" });
    expectExactly(
      await makeVerifier({ policy }).verify(presentation(standardChain())),
      [[2, "step_up_required"]],
      "step_up",
    );
  });

  it("refuses the call when the policy hook throws (internal), never letting the error escape", async () => {
    about("internal");
    const policy: PolicyHook = () => {
      throw new TypeError("the policy hook has a bug");
    };
    expectExactly(await makeVerifier({ policy }).verify(presentation(standardChain())), [[null, "internal"]]);
  });

  it("gives the policy the whole chain and the call, and consults it only when everything else passed", async () => {
    const policy = vi.fn<PolicyHook>(() => ({ decision: "allow" }));
    const verifier = makeVerifier({ policy });
    const chain = standardChain();
    expectAllowed(await verifier.verify(presentation(chain, { context: { sensitivity: "high" } })));
    expect(policy).toHaveBeenCalledTimes(1);
    const context = policy.mock.calls[0]?.[0];
    expect(context?.hops.map((hop) => hop.sub)).toEqual([alice.id, bob.id, carol.id]);
    expect(context).toMatchObject({
      kind: "use",
      now: NOW,
      audience: "repo-tool",
      action: "repo.issues.create",
      context: { sensitivity: "high" },
    });

    expectRefused(await verifier.verify(presentation(chain, { proof: undefined })), "pop_missing", 2);
    expectRefused(
      await verifier.verify(presentation(chain, { action: "billing.refund" })),
      "action_not_permitted",
      2,
    );
    expect(policy).toHaveBeenCalledTimes(1);
  });
});

describe("what a deny reports", () => {
  it("names every failed check of the first failing hop, and nothing of later hops", async () => {
    const root = mintRoot({ holder: alice });
    const bad = mintHop(root, {
      holder: bob,
      cap: [{ act: "*", res: "**" }],
      aud: ["*"],
      expIn: 7200,
      rvlIn: 600,
    });
    const worse = mintHop(bad, { holder: carol, claims: { tsk: "task-other", dlg: mallory.id } });
    const decision = await makeVerifier().verify(
      presentation(chainOf([root, bad, worse]), { proof: undefined }),
    );
    expectExactly(decision, [
      [1, "scope_widening"],
      [1, "audience_widening"],
      [1, "lifetime_widening"],
    ]);
    // The decision lists the hops verified up to and including the failing one.
    expect(decision.chain.map((entry) => entry.sub)).toEqual([alice.id, bob.id]);
    expect(decision.task).toBe("task-quarterly-report");
  });

  it("names link, task and depth failures of one hop together", async () => {
    const chain = mintChain(
      { holder: alice, mdp: 1 },
      { holder: bob, mdp: 1, claims: { dlg: mallory.id, tsk: "task-other", par: randomId() } },
    );
    expectExactly(await makeVerifier().verify(presentation(chain)), [
      [1, "chain_broken"],
      [1, "delegator_mismatch"],
      [1, "task_mismatch"],
      [1, "depth_exceeded"],
    ]);
  });

  it("reports an allowed chain hop by hop", async () => {
    const chain = standardChain();
    const decision = await makeVerifier().verify(presentation(chain));
    expectAllowed(decision);
    expect(decision.chain).toEqual(
      chain.tokens.map(({ claims }) => ({
        did: claims.did,
        jti: claims.jti,
        sub: claims.sub,
        dlg: claims.dlg ?? null,
        dpt: claims.dpt,
      })),
    );
  });

  it("has an attack for every reason code", () => {
    expect([...covered].sort()).toEqual([...REASON_CODES].sort());
  });
});
