import { describe, expect, it } from "vitest";
import {
  audiencesCover,
  type ChainToken,
  checkHopAgainstParent,
  checkRoot,
  checkTime,
} from "./chain-rules.ts";
import { randomId } from "./digest.ts";
import { verifyToken } from "./jws.ts";
import {
  alice,
  bob,
  carol,
  ISSUER,
  mallory,
  mintChain,
  mintHop,
  mintRoot,
  NOW,
  resolveKey,
  rootClaims,
} from "./test-fixtures.ts";
import type { TokenError } from "./token-error.ts";

/** The codes and claims of a list of refusals, for compact assertions. */
function summary(
  errors: readonly TokenError[],
): { code: string; claim: string | undefined; hop: number | undefined }[] {
  return errors.map((error) => ({ code: error.code, claim: error.claim, hop: error.hop }));
}

const [root, hop1, hop2] = (await mintChain([bob, carol])) as [ChainToken, ChainToken, ChainToken];

describe("the fixture chain", () => {
  it("is a real chain of signed tokens that verify and pass every rule", () => {
    for (const token of [root, hop1, hop2]) {
      expect(verifyToken(token.compact, resolveKey)).toMatchObject({
        ok: true,
        value: { claims: token.claims },
      });
    }
    expect(root.claims).toMatchObject({ sub: alice.id, dpt: 0 });
    expect(hop1.claims).toMatchObject({ sub: bob.id, dlg: alice.id, dpt: 1, cnf: { jkt: bob.thumbprint } });
    expect(hop2.claims).toMatchObject({ sub: carol.id, dlg: bob.id, dpt: 2, cnf: { jkt: carol.thumbprint } });
    expect(checkRoot(root)).toEqual([]);
    expect(checkHopAgainstParent(root, hop1, 1)).toEqual([]);
    expect(checkHopAgainstParent(hop1, hop2, 2)).toEqual([]);
  });
});

describe("checkRoot", () => {
  it("refuses a chain that does not start with a root grant as chain_broken", () => {
    expect(summary(checkRoot(hop1))).toEqual([{ code: "chain_broken", claim: "dpt", hop: 0 }]);
  });
});

describe("checkHopAgainstParent", () => {
  describe("chain_broken", () => {
    it("refuses a hop whose par names another delegation", async () => {
      const child = await mintHop(root, bob, { par: randomId() });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "chain_broken", claim: "par", hop: 1 },
      ]);
    });

    it("refuses a hop whose prf is not the hash of its parent's bytes", async () => {
      // Minted under another root grant to alice, then claimed to hang under this one.
      const otherRoot = await mintRoot();
      const grafted = await mintHop(otherRoot, bob, { par: root.claims.did });
      expect(summary(checkHopAgainstParent(root, grafted, 1))).toEqual([
        { code: "chain_broken", claim: "prf", hop: 1 },
      ]);
    });

    it("refuses a hop under a re-issued parent (same did, new bytes) until it is re-issued too", async () => {
      const reissuedRoot = await mintRoot({ did: root.claims.did, sub: root.claims.sub });
      expect(reissuedRoot.claims.did).toBe(root.claims.did);
      expect(summary(checkHopAgainstParent(reissuedRoot, hop1, 1))).toEqual([
        { code: "chain_broken", claim: "prf", hop: 1 },
      ]);
    });

    it("refuses a hop whose dpt is not its position", async () => {
      const child = await mintHop(root, bob, { dpt: 2 });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "chain_broken", claim: "dpt", hop: 1 },
      ]);
      // dpt matching the position but not the parent's dpt + 1 is broken too.
      expect(summary(checkHopAgainstParent(root, child, 2))).toEqual([
        { code: "chain_broken", claim: "dpt", hop: 2 },
      ]);
      expect(summary(checkHopAgainstParent(root, hop1, 2))).toEqual([
        { code: "chain_broken", claim: "dpt", hop: 2 },
      ]);
    });

    it("refuses a hop from another issuer", async () => {
      const child = await mintHop(root, bob, { iss: "https://evil.example" });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "chain_broken", claim: "iss", hop: 1 },
      ]);
    });

    it("refuses a hop placed under the wrong parent", () => {
      const codes = summary(checkHopAgainstParent(hop1, hop1, 2)).map(
        (error) => `${error.code}:${error.claim}`,
      );
      expect(codes).toEqual(
        expect.arrayContaining(["chain_broken:dpt", "chain_broken:par", "chain_broken:prf"]),
      );
    });
  });

  it("refuses a hop whose dlg is not the parent's holder as delegator_mismatch", async () => {
    const child = await mintHop(root, bob, { dlg: mallory.id });
    expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
      { code: "delegator_mismatch", claim: "dlg", hop: 1 },
    ]);
  });

  it("refuses a hop for another task as task_mismatch", async () => {
    const child = await mintHop(root, bob, { tsk: "task-43" });
    expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
      { code: "task_mismatch", claim: "tsk", hop: 1 },
    ]);
  });

  describe("depth_exceeded", () => {
    it("refuses any hop below a parent with mdp 0", async () => {
      const leafRoot = await mintRoot({ mdp: 0 });
      const child = await mintHop(leafRoot, bob, { mdp: 0 });
      expect(summary(checkHopAgainstParent(leafRoot, child, 1))).toEqual([
        { code: "depth_exceeded", claim: "mdp", hop: 1 },
      ]);
    });

    it("refuses a child mdp above the parent's mdp - 1", async () => {
      expect(root.claims.mdp).toBe(3);
      const same = await mintHop(root, bob, { mdp: 3 });
      const more = await mintHop(root, bob, { mdp: 64 });
      const allowed = await mintHop(root, bob, { mdp: 2 });
      const less = await mintHop(root, bob, { mdp: 0 });
      expect(summary(checkHopAgainstParent(root, same, 1))).toEqual([
        { code: "depth_exceeded", claim: "mdp", hop: 1 },
      ]);
      expect(summary(checkHopAgainstParent(root, more, 1))).toEqual([
        { code: "depth_exceeded", claim: "mdp", hop: 1 },
      ]);
      expect(checkHopAgainstParent(root, allowed, 1)).toEqual([]);
      expect(checkHopAgainstParent(root, less, 1)).toEqual([]);
    });

    it("runs out of depth along a chain", async () => {
      const r = await mintRoot({ mdp: 1 });
      const h1 = await mintHop(r, bob);
      const h2 = await mintHop(h1, carol);
      expect(h1.claims.mdp).toBe(0);
      expect(checkHopAgainstParent(r, h1, 1)).toEqual([]);
      expect(summary(checkHopAgainstParent(h1, h2, 2))).toEqual([
        { code: "depth_exceeded", claim: "mdp", hop: 2 },
      ]);
    });
  });

  describe("scope_widening", () => {
    it.each([
      ["adds a capability", [...root.claims.cap, { act: "payments.send", res: "acct:ops" }]],
      ["widens an action pattern", [{ act: "github.*", res: "repo:acme/web/**" }]],
      ["widens a resource pattern", [{ act: "github.issues.create", res: "repo:acme/**" }]],
      ["moves to a sibling resource", [{ act: "github.issues.create", res: "repo:acme/api/issues/1" }]],
      ["drops a limit", [{ act: "mail.send", res: "mailbox:ops/alerts" }]],
      ["loosens a limit", [{ act: "mail.send", res: "mailbox:ops/alerts", lim: { count: { max: 11 } } }]],
      ["takes everything", [{ act: "*", res: "**" }]],
    ])("refuses a hop that %s", async (_, cap) => {
      const child = await mintHop(root, bob, { cap });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "scope_widening", claim: "cap", hop: 1 },
      ]);
    });

    it("accepts a hop that narrows its scope", async () => {
      const cap = [
        { act: "github.issues.create", res: "repo:acme/web/issues/42" },
        { act: "mail.send", res: "mailbox:ops/alerts", lim: { count: { max: 3 }, to: { in: ["oncall"] } } },
      ];
      expect(checkHopAgainstParent(root, await mintHop(root, bob, { cap }), 1)).toEqual([]);
    });

    it("refuses widening relative to the direct parent, even if the root would allow it", async () => {
      const narrow = await mintHop(root, bob, {
        cap: [{ act: "github.issues.create", res: "repo:acme/web/issues/42" }],
      });
      const rewiden = await mintHop(narrow, carol, { cap: root.claims.cap });
      expect(summary(checkHopAgainstParent(narrow, rewiden, 2))).toEqual([
        { code: "scope_widening", claim: "cap", hop: 2 },
      ]);
    });
  });

  describe("audience_widening", () => {
    it("refuses a hop that adds an audience", async () => {
      const child = await mintHop(root, bob, { aud: ["tools.example", "evil.example"] });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "audience_widening", claim: "aud", hop: 1 },
      ]);
    });

    it("refuses * under a parent that does not allow it", async () => {
      const child = await mintHop(root, bob, { aud: ["*"] });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "audience_widening", claim: "aud", hop: 1 },
      ]);
    });

    it("accepts * and any audience under a parent that allows *", async () => {
      const anyRoot = await mintRoot({ aud: ["*"] });
      expect(checkHopAgainstParent(anyRoot, await mintHop(anyRoot, bob, { aud: ["*"] }), 1)).toEqual([]);
      expect(
        checkHopAgainstParent(anyRoot, await mintHop(anyRoot, bob, { aud: ["other.example"] }), 1),
      ).toEqual([]);
    });

    it("accepts a subset of the parent's audiences", async () => {
      expect(checkHopAgainstParent(root, await mintHop(root, bob, { aud: ["mail.example"] }), 1)).toEqual([]);
    });
  });

  describe("lifetime_widening", () => {
    it("refuses a later exp", async () => {
      const child = await mintHop(root, bob, { exp: root.claims.exp + 1 });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "lifetime_widening", claim: "exp", hop: 1 },
      ]);
    });

    it("refuses a later rvl", async () => {
      const child = await mintHop(root, bob, { rvl: root.claims.rvl + 1 });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "lifetime_widening", claim: "rvl", hop: 1 },
      ]);
    });

    it("refuses an earlier iat", async () => {
      const child = await mintHop(root, bob, { iat: root.claims.iat - 1 });
      expect(summary(checkHopAgainstParent(root, child, 1))).toEqual([
        { code: "lifetime_widening", claim: "iat", hop: 1 },
      ]);
    });

    it("refuses an earlier nbf", async () => {
      const lateRoot = await mintRoot({ iat: NOW - 60, nbf: NOW - 30 });
      const child = await mintHop(lateRoot, bob, { nbf: NOW - 60 });
      expect(summary(checkHopAgainstParent(lateRoot, child, 1))).toEqual([
        { code: "lifetime_widening", claim: "nbf", hop: 1 },
      ]);
    });

    it("accepts a shorter lifetime", async () => {
      const child = await mintHop(root, bob, { iat: NOW, nbf: NOW, exp: NOW + 60, rvl: NOW + 30 });
      expect(checkHopAgainstParent(root, child, 1)).toEqual([]);
    });
  });

  it("reports every rule a hop breaks, not just the first", async () => {
    const child = await mintHop(root, bob, {
      par: randomId(),
      iss: `${ISSUER}/other`,
      dlg: mallory.id,
      tsk: "task-other",
      mdp: 3,
      cap: [{ act: "*", res: "**" }],
      aud: ["*"],
      iat: root.claims.iat - 10,
      nbf: root.claims.nbf - 10,
      exp: root.claims.exp + 10,
      rvl: root.claims.rvl + 10,
    });
    const errors = checkHopAgainstParent(root, child, 1);
    expect(summary(errors)).toEqual([
      { code: "chain_broken", claim: "par", hop: 1 },
      { code: "chain_broken", claim: "iss", hop: 1 },
      { code: "delegator_mismatch", claim: "dlg", hop: 1 },
      { code: "task_mismatch", claim: "tsk", hop: 1 },
      { code: "depth_exceeded", claim: "mdp", hop: 1 },
      { code: "scope_widening", claim: "cap", hop: 1 },
      { code: "audience_widening", claim: "aud", hop: 1 },
      { code: "lifetime_widening", claim: "exp", hop: 1 },
      { code: "lifetime_widening", claim: "rvl", hop: 1 },
      { code: "lifetime_widening", claim: "iat", hop: 1 },
      { code: "lifetime_widening", claim: "nbf", hop: 1 },
    ]);
  });
});

describe("audiencesCover", () => {
  it("allows only audiences the parent names, and * only under *", () => {
    expect(audiencesCover(["a", "b"], ["a"])).toBe(true);
    expect(audiencesCover(["a", "b"], ["a", "b"])).toBe(true);
    expect(audiencesCover(["a"], ["a", "b"])).toBe(false);
    expect(audiencesCover(["a"], ["*"])).toBe(false);
    expect(audiencesCover(["*"], ["*"])).toBe(true);
    expect(audiencesCover(["*"], ["anything"])).toBe(true);
    expect(audiencesCover(["a"], ["A"])).toBe(false);
  });
});

describe("checkTime", () => {
  const T = NOW;
  // nbf T, exp T + 100; rvl T + 100 (no earlier revalidation) unless a test says otherwise.
  const claims = rootClaims({ iat: T, nbf: T, exp: T + 100, rvl: T + 100 });
  const codes = (now: number, skew: number, c = claims) =>
    checkTime(c, now, skew, 3).map((error) => error.code);

  it("accepts a token inside its window", () => {
    expect(checkTime(claims, T, 0, 0)).toEqual([]);
    expect(checkTime(claims, T + 99, 0, 0)).toEqual([]);
  });

  it("refuses a token before nbf as not_yet_valid, allowing the skew", () => {
    expect(codes(T - 1, 0)).toEqual(["not_yet_valid"]);
    expect(codes(T - 5, 5)).toEqual([]);
    expect(codes(T - 6, 5)).toEqual(["not_yet_valid"]);
  });

  it("refuses a token exactly at exp as expired", () => {
    expect(codes(T + 100, 0)).toEqual(["expired"]);
  });

  it("accepts one second before exp and refuses one second after", () => {
    expect(codes(T + 99, 0)).toEqual([]);
    expect(codes(T + 101, 0)).toEqual(["expired"]);
  });

  it("extends exp by the skew, and no further", () => {
    const earlyRvl = rootClaims({ iat: T, nbf: T, exp: T + 100, rvl: T + 50 });
    const lateRvl = { ...earlyRvl, rvl: T + 100 };
    // Within the skew after exp the token is not expired, but rvl (which gets no skew) has passed.
    expect(codes(T + 104, 5, lateRvl)).toEqual(["revalidation_due"]);
    expect(codes(T + 105, 5, lateRvl)).toEqual(["expired"]);
    expect(codes(T + 106, 5, lateRvl)).toEqual(["expired"]);
  });

  it("refuses a token at or after rvl as revalidation_due, with no skew", () => {
    const c = rootClaims({ iat: T, nbf: T, exp: T + 100, rvl: T + 50 });
    expect(codes(T + 49, 0, c)).toEqual([]);
    expect(codes(T + 50, 0, c)).toEqual(["revalidation_due"]);
    expect(codes(T + 50, 30, c)).toEqual(["revalidation_due"]);
  });

  it("reports expired, not revalidation_due, when both have passed", () => {
    const c = rootClaims({ iat: T, nbf: T, exp: T + 100, rvl: T + 50 });
    expect(codes(T + 100, 0, c)).toEqual(["expired"]);
    expect(codes(T + 10_000, 0, c)).toEqual(["expired"]);
  });

  it("names the hop and the claim of each refusal", () => {
    expect(summary(checkTime(claims, T - 1, 0, 3))).toEqual([
      { code: "not_yet_valid", claim: "nbf", hop: 3 },
    ]);
    expect(summary(checkTime(claims, T + 100, 0, 3))).toEqual([{ code: "expired", claim: "exp", hop: 3 }]);
    const c = rootClaims({ iat: T, nbf: T, exp: T + 100, rvl: T + 50 });
    expect(summary(checkTime(c, T + 50, 0, 3))).toEqual([{ code: "revalidation_due", claim: "rvl", hop: 3 }]);
  });
});
