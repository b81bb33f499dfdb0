/**
 * Property tests (issue 3): any valid chain, randomly attenuated at every hop, is allowed for a
 * call its leaf allows; and each single mutation of it is refused with the right code at the
 * right hop.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { chainPlan, mintPlan, mintSibling, replaceToken, widenCapability } from "./chain-arbitrary.ts";
import { expectAllowed, expectExactly, expectRefused, reasonPairs } from "./expect-decision.ts";
import {
  chainOf,
  type Minted,
  type MintedChain,
  makeProof,
  makeVerifier,
  presentation,
  REQUEST_URL,
} from "./fixtures.ts";

const RUNS = { numRuns: 60 };

function requestFor(
  chain: MintedChain,
  plan: { call: { action: string; resource: string; args?: Readonly<Record<string, unknown>> } },
) {
  return presentation(chain, { ...plan.call });
}

describe("a valid chain", () => {
  test.prop([chainPlan()], RUNS)("is allowed for a call its leaf allows", async (plan) => {
    const chain = chainOf(mintPlan(plan));
    expectAllowed(await makeVerifier().verify(requestFor(chain, plan)));
  });
});

describe("a single mutation", () => {
  test.prop([chainPlan(), fc.nat(), fc.nat(), fc.nat()], RUNS)(
    "widening a capability is refused at that hop (scope_widening)",
    async (plan, at, which, mode) => {
      const k = 1 + (at % (plan.tokens.length - 1));
      const parent = plan.tokens[k - 1];
      if (parent === undefined) throw new Error("no parent");
      const mutated = replaceToken(plan, k, (token) => widenCapability(token, parent, which, mode));
      const chain = chainOf(mintPlan(mutated));
      expectExactly(await makeVerifier().verify(requestFor(chain, mutated)), [[k, "scope_widening"]]);
    },
  );

  test.prop([chainPlan(), fc.nat(), fc.nat()], RUNS)(
    "swapping two tokens breaks the chain at the first swapped position (chain_broken)",
    async (plan, a, b) => {
      const tokens = mintPlan(plan);
      const i = a % (tokens.length - 1);
      const j = i + 1 + (b % (tokens.length - 1 - i));
      const swapped = [...tokens];
      [swapped[i], swapped[j]] = [tokens[j] as Minted, tokens[i] as Minted];
      const decision = await makeVerifier().verify(presentation(chainOf(swapped), { ...plan.call }));
      expectRefused(decision, "chain_broken", i);
      expect(decision.reasons.every((reason) => reason.hop === i)).toBe(true);
    },
  );

  test.prop([chainPlan(2), fc.nat()], RUNS)(
    "dropping a middle hop breaks the chain where it was (chain_broken)",
    async (plan, at) => {
      const tokens = mintPlan(plan);
      const m = 1 + (at % (tokens.length - 2));
      const dropped = tokens.filter((_, i) => i !== m);
      const decision = await makeVerifier().verify(requestFor(chainOf(dropped), plan));
      expectRefused(decision, "chain_broken", m);
      expect(decision.reasons.every((reason) => reason.hop === m)).toBe(true);
    },
  );

  test.prop([chainPlan(), fc.nat()], RUNS)(
    "splicing in the same hop of another chain minted from the same plan is refused (chain_broken)",
    async (plan, at) => {
      const tokens = mintPlan(plan);
      const other = mintPlan(plan);
      const k = 1 + (at % (tokens.length - 1));
      const spliced = tokens.map((token, i) => (i === k ? (other[k] as Minted) : token));
      const decision = await makeVerifier().verify(requestFor(chainOf(spliced), plan));
      expectRefused(decision, "chain_broken", k);
      expect(decision.reasons.every((reason) => reason.hop === k)).toBe(true);
    },
  );

  test.prop([chainPlan(), fc.nat(), fc.nat(), fc.nat(62)], RUNS)(
    "changing one character of a signature is refused at that hop (bad_signature or malformed)",
    async (plan, at, position, replacement) => {
      const tokens = mintPlan(plan);
      const k = at % tokens.length;
      const [header, payload, signature = ""] = (tokens[k] as Minted).compact.split(".");
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const p = position % signature.length;
      const current = alphabet.indexOf(signature[p] ?? "A");
      // 1 to 63 steps further round the alphabet: always a different character.
      const changed = alphabet[(current + 1 + (replacement % 63)) % 64];
      const mutated = `${header}.${payload}.${signature.slice(0, p)}${changed}${signature.slice(p + 1)}`;
      const chain = tokens.map((token, i) => (i === k ? mutated : token.compact)).join("~");
      const decision = await makeVerifier().verify(presentation(chainOf(tokens), { ...plan.call, chain }));
      expect(decision.decision).toBe("deny");
      const pairs = reasonPairs(decision);
      expect(pairs).toHaveLength(1);
      expect([[[k, "bad_signature"]], [[k, "malformed"]]]).toContainEqual(pairs);
    },
  );

  test.prop([chainPlan(), fc.nat(), fc.integer({ min: 1, max: 100_000 })], RUNS)(
    "moving exp past the parent's is refused at that hop (lifetime_widening)",
    async (plan, at, beyond) => {
      const k = 1 + (at % (plan.tokens.length - 1));
      const parent = plan.tokens[k - 1];
      if (parent === undefined) throw new Error("no parent");
      const mutated = replaceToken(plan, k, (token) => ({ ...token, exp: parent.exp + beyond }));
      const chain = chainOf(mintPlan(mutated));
      expectExactly(await makeVerifier().verify(requestFor(chain, mutated)), [[k, "lifetime_widening"]]);
    },
  );

  test.prop([chainPlan(2), fc.nat()], RUNS)(
    "a sibling's token in place of the real hop breaks the chain at the next hop (chain_broken)",
    async (plan, at) => {
      const tokens = mintPlan(plan);
      const k = 1 + (at % (tokens.length - 2));
      const sibling = mintSibling(plan, k, tokens[k - 1] as Minted);
      const reused = tokens.map((token, i) => (i === k ? sibling : token));
      const decision = await makeVerifier().verify(requestFor(chainOf(reused), plan));
      expectRefused(decision, "chain_broken", k + 1);
      expect(decision.reasons.every((reason) => reason.hop === k + 1)).toBe(true);
    },
  );

  test.prop([chainPlan()], RUNS)("replaying a proof is refused (pop_replayed)", async (plan) => {
    const chain = chainOf(mintPlan(plan));
    const verifier = makeVerifier();
    const request = requestFor(chain, plan);
    expectAllowed(await verifier.verify(request));
    expectExactly(await verifier.verify(request), [[chain.tokens.length - 1, "pop_replayed"]]);
  });

  test.prop(
    [
      chainPlan(),
      fc.constantFrom("GET", "PUT", "PATCH", "DELETE"),
      fc.constantFrom("/repos/acme/web/pulls", "/", "/repos/acme/web/issues/1"),
      fc.boolean(),
    ],
    RUNS,
  )(
    "a proof for another method or URL is refused (pop_invalid)",
    async (plan, method, otherPath, changeMethod) => {
      const chain = chainOf(mintPlan(plan));
      const proof = changeMethod
        ? makeProof({ key: chain.leaf.holder, chain: chain.chain, method })
        : makeProof({
            key: chain.leaf.holder,
            chain: chain.chain,
            url: new URL(otherPath, REQUEST_URL).href,
          });
      const decision = await makeVerifier().verify(presentation(chain, { ...plan.call, proof }));
      expectExactly(decision, [[chain.tokens.length - 1, "pop_invalid"]]);
    },
  );
});
