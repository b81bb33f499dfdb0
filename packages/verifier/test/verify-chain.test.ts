/**
 * The pure core without createVerifier: everything comes in as arguments (keys, status, caches,
 * now), and the revalidation endpoint's one exception (`acceptRevalidationDue`) stays narrow.
 */
import { describe, expect, it } from "vitest";
import { ReplayCache } from "../src/replay-cache.ts";
import { authenticateChain, type ChainEnvironment, verifyPresentation } from "../src/verify-chain.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import {
  alice,
  bob,
  carol,
  ISSUER,
  mintChain,
  NOW,
  presentation,
  service,
  standardChain,
} from "./fixtures.ts";

function environment(overrides: Partial<ChainEnvironment> = {}): ChainEnvironment {
  return {
    now: NOW,
    issuer: ISSUER,
    resolveKey: (kid) => (kid === service.kid ? service.publicKey : undefined),
    status: (hops) => hops.map(() => undefined),
    clockSkewSeconds: 30,
    maxChainLength: 16,
    maxTokenBytes: 8192,
    ...overrides,
  };
}

describe("authenticateChain", () => {
  it("returns the verified hops of a good chain, root first", () => {
    const chain = standardChain();
    const result = authenticateChain(chain.chain, environment());
    expect(result.ok).toBe(true);
    expect(result.hops.map((hop) => hop.claims.sub)).toEqual([alice.id, bob.id, carol.id]);
  });

  it("asks the status check once, about every verified hop, root first", () => {
    const chain = standardChain();
    const asked: string[][] = [];
    const status: ChainEnvironment["status"] = (hops) => {
      asked.push(hops.map((hop) => hop.claims.did));
      return hops.map(() => undefined);
    };
    authenticateChain(chain.chain, environment({ status }));
    expect(asked).toEqual([chain.tokens.map((token) => token.claims.did)]);
  });

  it("never asks about a hop whose signature failed, and reports an earlier revoked hop first", () => {
    const chain = standardChain();
    const tokens = chain.chain.split("~");
    const leaf = tokens[2] as string;
    // Flip one signature character of the leaf (keeping the base64url canonical).
    const flipped = `${leaf.slice(0, -2)}${leaf.at(-2) === "A" ? "B" : "A"}${leaf.at(-1)}`;
    const asked: string[][] = [];
    const revokedMiddle: ChainEnvironment["status"] = (hops) => {
      asked.push(hops.map((hop) => hop.claims.did));
      return hops.map((_, i) => (i === 1 ? { code: "revoked", message: "revoked" } : undefined));
    };
    const tampered = [tokens[0], tokens[1], flipped].join("~");
    const result = authenticateChain(tampered, environment({ status: revokedMiddle }));
    expect(asked).toEqual([chain.tokens.slice(0, 2).map((token) => token.claims.did)]);
    expect(result.ok ? [] : result.reasons.map((reason) => [reason.hop, reason.code])).toEqual([
      [1, "revoked"],
    ]);
    const alive = authenticateChain(tampered, environment());
    expect(alive.ok ? [] : alive.reasons.map((reason) => [reason.hop, reason.code])).toEqual([
      [2, "bad_signature"],
    ]);
  });

  it("walks a chain structure-only when signatures are unchecked: no key is asked, no hop counts as verified", () => {
    const chain = standardChain();
    const tokens = chain.chain.split("~");
    const leaf = tokens[2] as string;
    const forged = [
      tokens[0],
      tokens[1],
      `${leaf.slice(0, -2)}${leaf.at(-2) === "A" ? "B" : "A"}${leaf.at(-1)}`,
    ];
    const unchecked = environment({
      signatures: "unchecked",
      resolveKey: () => {
        throw new Error("a structure-only walk must not ask for a key");
      },
    });
    const result = authenticateChain(forged.join("~"), unchecked);
    expect(result.ok).toBe(true);
    expect(result.presented.map((hop) => hop.verified)).toEqual([false, false, false]);
    expect(authenticateChain(forged.join("~"), environment()).ok).toBe(false);
    const reordered = authenticateChain([tokens[0], tokens[2]].join("~"), unchecked);
    expect(reordered.ok ? [] : reordered.reasons.map((reason) => reason.hop)).toContain(1);
  });

  it("refuses to guess when the status check answers for the wrong number of hops", () => {
    expect(() => authenticateChain(standardChain().chain, environment({ status: () => [] }))).toThrow();
  });

  it("lets a revalidation-due hop through only when asked to, and never an expired one", () => {
    const due = mintChain({ holder: alice }, { holder: bob, claims: { rvl: NOW - 1 } });
    expect(authenticateChain(due.chain, environment()).ok).toBe(false);
    expect(authenticateChain(due.chain, environment({ acceptRevalidationDue: true })).ok).toBe(true);
    const expired = mintChain({ holder: alice }, { holder: bob, claims: { exp: NOW - 31, rvl: NOW - 40 } });
    const result = authenticateChain(expired.chain, environment({ acceptRevalidationDue: true }));
    expect(result.ok ? [] : result.reasons.map((reason) => [reason.hop, reason.code])).toEqual([
      [1, "expired"],
    ]);
  });
});

describe("verifyPresentation", () => {
  it("skips the proof only when told to (offline inspection)", () => {
    const chain = standardChain();
    const env = {
      ...environment(),
      audience: "repo-tool",
      replayCache: new ReplayCache(10, 90),
      proofMaxAgeSeconds: 60,
    };
    const request = presentation(chain, { proof: undefined });
    expectExactly(verifyPresentation(request, env), [[2, "pop_missing"]]);
    expectAllowed(verifyPresentation(request, { ...env, skipProof: true }));
  });
});
