/**
 * The signature cache (issue 3): a warm chain skips the Ed25519 checks of tokens it has seen byte
 * for byte, and nothing else. Time, revocation, key membership, issuer and the proof are
 * re-evaluated on every request.
 */
import type * as Crypto from "node:crypto";
import type { TokenClaims } from "@baton/token";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryRevocations } from "../src/revocation-sources.ts";
import { SignatureCache } from "../src/signature-cache.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import {
  alice,
  bob,
  carol,
  chainOf,
  dave,
  makeProof,
  makeServiceKey,
  makeVerifier,
  mintChain,
  mintHop,
  mutableKeys,
  NOW,
  presentation,
  service,
  standardChain,
} from "./fixtures.ts";

// Count every Ed25519 verification, in this package and in @baton/token. The crypto adapter finds
// node:crypto through process.getBuiltinModule, so the count wraps what that hands out.
const counter = vi.hoisted(() => {
  const counter = { verifies: 0 };
  const getBuiltinModule = process.getBuiltinModule;
  const counting = (id: string): unknown => {
    const module = getBuiltinModule.call(process, id) as typeof Crypto;
    if (id !== "node:crypto") return module;
    const verify = (...args: Parameters<typeof Crypto.verify>) => {
      counter.verifies++;
      return module.verify(...args);
    };
    return { ...module, verify };
  };
  process.getBuiltinModule = counting as typeof process.getBuiltinModule;
  const restore = () => {
    process.getBuiltinModule = getBuiltinModule;
  };
  return Object.assign(counter, { restore });
});

afterAll(() => counter.restore());

beforeEach(() => {
  counter.verifies = 0;
});

describe("a warm chain", () => {
  it("costs one Ed25519 verification (the proof) instead of one per token", async () => {
    const chain = mintChain(
      { holder: alice },
      { holder: bob },
      { holder: carol },
      { holder: dave },
      { holder: bob },
    );
    const verifier = makeVerifier();
    expectAllowed(await verifier.verify(presentation(chain)));
    expect(counter.verifies).toBe(6); // five tokens and the proof
    expect(verifier.signatureCache.size).toBe(5);

    counter.verifies = 0;
    expectAllowed(await verifier.verify(presentation(chain)));
    expect(counter.verifies).toBe(1); // the proof only
    expect(verifier.signatureCache.size).toBe(5);
  });

  it("shares its ancestors with a sibling chain, checking only the new leaf", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    expectAllowed(await verifier.verify(presentation(chain)));
    const [root, middle] = chain.tokens;
    if (root === undefined || middle === undefined) throw new Error("short chain");
    const sibling = chainOf([root, middle, mintHop(middle, { holder: dave })]);
    counter.verifies = 0;
    expectAllowed(await verifier.verify(presentation(sibling)));
    expect(counter.verifies).toBe(2); // the new leaf and the proof
  });

  it("is cached by exact bytes: a token with another signature is checked, and refused", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    expectAllowed(await verifier.verify(presentation(chain)));
    const [header, payload, signature = ""] = chain.tokens[1]?.compact.split(".") ?? [];
    const flipped = Buffer.from(signature, "base64url");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const tampered = `${header}.${payload}.${flipped.toString("base64url")}`;
    const text = [chain.tokens[0]?.compact, tampered, chain.tokens[2]?.compact].join("~");
    expectExactly(await verifier.verify(presentation(chain, { chain: text })), [[1, "bad_signature"]]);
  });

  it("is cached by exact bytes: a cached signature over other claims is checked, and refused", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    expectAllowed(await verifier.verify(presentation(chain)));
    const [root, middle, leaf] = chain.tokens;
    if (root === undefined || middle === undefined || leaf === undefined) throw new Error("short chain");
    // A sibling of the middle hop: the same shape, other claims (its own jti and did).
    const [, siblingPayload] = mintHop(root, { holder: bob }).compact.split(".");
    const [header, , signature] = middle.compact.split(".");
    const transplanted = `${header}.${siblingPayload}.${signature}`;
    const text = [root.compact, transplanted, leaf.compact].join("~");
    counter.verifies = 0;
    expectExactly(await verifier.verify(presentation(chain, { chain: text })), [[1, "bad_signature"]]);
    expect(counter.verifies).toBe(1);
  });
});

describe("what the cache never answers", () => {
  it("refuses a cached chain once it has expired", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    expectAllowed(await verifier.verify(presentation(chain)));
    const later = NOW + 3600 + 30;
    const proof = makeProof({ key: carol, chain: chain.chain, iat: later });
    expectExactly(await verifier.verify(presentation(chain, { now: later, proof })), [[0, "expired"]]);
  });

  it("refuses a cached chain once its revalidation time has passed", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    expectAllowed(await verifier.verify(presentation(chain)));
    const later = NOW + 600;
    const proof = makeProof({ key: carol, chain: chain.chain, iat: later });
    expectExactly(await verifier.verify(presentation(chain, { now: later, proof })), [
      [0, "revalidation_due"],
    ]);
  });

  it("refuses a cached chain once a hop is revoked", async () => {
    const chain = standardChain();
    const revocations = memoryRevocations();
    const verifier = makeVerifier({ revocations });
    expectAllowed(await verifier.verify(presentation(chain)));
    revocations.revoke(chain.tokens[1]?.claims.did as string);
    expectExactly(await verifier.verify(presentation(chain)), [[1, "revoked"]]);
  });

  it("refuses a cached chain once its signing key leaves the key source (unknown_key)", async () => {
    const chain = standardChain();
    const keys = mutableKeys(service);
    const verifier = makeVerifier({ keys });
    expectAllowed(await verifier.verify(presentation(chain)));
    keys.remove(service.kid);
    expectExactly(await verifier.verify(presentation(chain)), [[0, "unknown_key"]]);
  });

  it("re-checks a cached token when its kid now names another key (bad_signature)", async () => {
    const chain = standardChain();
    const keys = mutableKeys(service);
    const verifier = makeVerifier({ keys });
    expectAllowed(await verifier.verify(presentation(chain)));
    keys.add({ ...makeServiceKey(), kid: service.kid });
    expectExactly(await verifier.verify(presentation(chain)), [[0, "bad_signature"]]);
  });

  it("re-checks the issuer of cached tokens (a cache shared with another verifier)", async () => {
    const chain = standardChain();
    const signatureCache = new SignatureCache();
    expectAllowed(await makeVerifier({ signatureCache }).verify(presentation(chain)));
    const other = makeVerifier({ signatureCache, issuer: "https://other-baton.test" });
    expectExactly(await other.verify(presentation(chain)), [[0, "malformed"]]);
  });

  it("re-checks the proof of a cached chain: missing, replayed, or by another key", async () => {
    const chain = standardChain();
    const verifier = makeVerifier();
    const request = presentation(chain);
    expectAllowed(await verifier.verify(request));
    expectExactly(await verifier.verify(request), [[2, "pop_replayed"]]);
    expectExactly(await verifier.verify(presentation(chain, { proof: undefined })), [[2, "pop_missing"]]);
    expectExactly(await verifier.verify(presentation(chain, { proofBy: bob })), [
      [2, "pop_binding_mismatch"],
    ]);
  });

  it("stays bounded, forgetting the least recently used token", () => {
    const cache = new SignatureCache(2);
    const [a, b, c] = standardChain().tokens;
    const entry = {
      header: { alg: "Ed25519", typ: "baton+jwt", kid: service.kid },
      key: service.publicKey,
    } as const;
    for (const token of [a, b, c]) {
      if (token === undefined) throw new Error("short chain");
      cache.set(token.compact, { ...entry, claims: token.claims as unknown as TokenClaims });
    }
    expect(cache.size).toBe(2);
    expect(cache.get(a?.compact ?? "")).toBeUndefined();
    expect(cache.get(c?.compact ?? "")).toBeDefined();
  });
});
