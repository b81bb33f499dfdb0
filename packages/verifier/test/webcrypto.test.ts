/**
 * The verifier on a runtime without node:crypto (a Cloudflare worker): node:crypto is hidden from
 * the crypto adapter's capability check before anything loads, so every signature below goes
 * through WebCrypto. The same chains as the property suite and the one-attack-per-reason-code
 * suite, imported whole, must get the same decisions.
 */
import { vi } from "vitest";

const hidden = vi.hoisted(() => {
  // What a worker offers: `crypto.subtle`, and no `process.getBuiltinModule`.
  const getBuiltinModule = process.getBuiltinModule;
  Object.defineProperty(process, "getBuiltinModule", {
    value: undefined,
    configurable: true,
    writable: true,
  });
  return { getBuiltinModule };
});

import { activeCryptoBackend, verifyToken } from "@baton/token";
import { afterAll, describe, expect, it } from "vitest";
import { staticKeys } from "../src/key-sources.ts";
import { ReplayCache } from "../src/replay-cache.ts";
import {
  authenticateChain,
  authenticateChainAsync,
  type RequestEnvironment,
  verifyPresentation,
  verifyPresentationAsync,
} from "../src/verify-chain.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import {
  alice,
  bob,
  ISSUER,
  jwks,
  makeServiceKey,
  mintChain,
  NOW,
  presentation,
  service,
  standardChain,
} from "./fixtures.ts";

import "./chain.property.test.ts";
import "./reason-codes.test.ts";

afterAll(() => {
  process.getBuiltinModule = hidden.getBuiltinModule;
});

const keys = staticKeys(jwks);

function environment(): RequestEnvironment {
  return {
    now: NOW,
    issuer: ISSUER,
    audience: "repo-tool",
    resolveKey: (kid) => keys.resolve(kid),
    status: (hops) => hops.map(() => undefined),
    clockSkewSeconds: 30,
    maxChainLength: 16,
    maxTokenBytes: 8192,
    replayCache: new ReplayCache(100, 90),
    proofMaxAgeSeconds: 60,
  };
}

describe("without node:crypto", () => {
  it("checks signatures with WebCrypto", () => {
    expect(activeCryptoBackend()).toBe("webcrypto");
  });

  it("runs the async core: a good chain is allowed, a forged leaf is refused (bad_signature)", async () => {
    const chain = standardChain();
    expectAllowed(await verifyPresentationAsync(presentation(chain), environment()));
    const tokens = chain.chain.split("~");
    const leaf = tokens.at(-1) ?? "";
    const forged = [
      ...tokens.slice(0, -1),
      `${leaf.slice(0, -2)}${leaf.at(-2) === "A" ? "B" : "A"}${leaf.at(-1)}`,
    ];
    const result = await authenticateChainAsync(forged.join("~"), environment());
    expect(result.ok ? [] : result.reasons.map((reason) => [reason.hop, reason.code])).toEqual([
      [2, "bad_signature"],
    ]);
  });

  it("accepts a node:crypto KeyObject from the caller too, importing it into WebCrypto", async () => {
    const chain = mintChain({ holder: alice }, { holder: bob });
    const env = { ...environment(), resolveKey: () => service.publicKey };
    expectAllowed(await verifyPresentationAsync(presentation(chain), env));
    const stranger = makeServiceKey().publicKey;
    expectExactly(
      await verifyPresentationAsync(presentation(chain), { ...env, resolveKey: () => stranger }),
      [[0, "bad_signature"]],
    );
  });

  it("refuses the synchronous entry points with a TypeError that names the async twin", () => {
    const chain = standardChain();
    expect(() => verifyPresentation(presentation(chain), environment())).toThrow(/verifyPresentationAsync/);
    expect(() => authenticateChain(chain.chain, environment())).toThrow(TypeError);
    expect(() => verifyToken(chain.tokens[0]?.compact ?? "", (kid) => keys.resolve(kid))).toThrow(
      /verifyTokenAsync/,
    );
  });
});
