/**
 * createVerifier checks its options once, at build time, and throws a TypeError naming the option
 * (issue 3); it uses its clock when a request carries no `now`.
 */
import { describe, expect, it } from "vitest";
import { createVerifier, type VerifierOptions } from "../src/create-verifier.ts";
import { staticKeys } from "../src/key-sources.ts";
import { ReplayCache } from "../src/replay-cache.ts";
import { memoryRevocations } from "../src/revocation-sources.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import { AUDIENCE, ISSUER, jwks, NOW, presentation, standardChain } from "./fixtures.ts";

const base = (): VerifierOptions => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: staticKeys(jwks),
  revocations: memoryRevocations(),
  clock: () => NOW,
});

/** Builds a verifier with `name` set to `value`, which may be of any type. */
function buildWith(name: string, value: unknown): () => unknown {
  return () => createVerifier({ ...base(), [name]: value } as VerifierOptions);
}

describe("createVerifier options", () => {
  it("builds with only the required options", () => {
    const { clock: _clock, ...required } = base();
    expect(() => createVerifier(required)).not.toThrow();
  });

  const invalid: [string, unknown[]][] = [
    ["issuer", [undefined, "", 42]],
    ["audience", [undefined, "", ["repo-tool"]]],
    ["keys", [undefined, null, {}, { resolve: "x" }]],
    ["revocations", [undefined, null, {}, { isRevoked: () => false }]],
    ["clockSkewSeconds", [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "30"]],
    ["maxStalenessSeconds", [-1, 0.5, Number.NaN, "60"]],
    ["maxChain", [0, -1, 2.5, "16"]],
    ["maxTokenBytes", [0, -1, 1.5, "8192"]],
    ["proofMaxAgeSeconds", [-1, 1.5, Number.NaN]],
    ["onStaleRevocations", ["Allow", "sometimes", true]],
    ["clock", ["now", 42]],
    ["policy", ["allow", {}]],
  ];
  for (const [name, values] of invalid) {
    it(`throws a TypeError naming ${name} when it is invalid`, () => {
      for (const value of values) {
        expect(buildWith(name, value), `${name} = ${String(value)}`).toThrow(TypeError);
        expect(buildWith(name, value), `${name} = ${String(value)}`).toThrow(name);
      }
    });
  }

  it("throws a TypeError naming replayCache when its window is shorter than a proof may live", () => {
    const replayCache = new ReplayCache(100, 60);
    expect(buildWith("replayCache", replayCache)).toThrow(TypeError);
    expect(buildWith("replayCache", replayCache)).toThrow("replayCache");
    expect(() => createVerifier({ ...base(), replayCache: new ReplayCache(100, 90) })).not.toThrow();
  });

  it("uses its clock when the request has no now", async () => {
    let now = NOW;
    const verifier = createVerifier({ ...base(), clock: () => now });
    const chain = standardChain();
    const { now: _now, ...request } = presentation(chain);
    expectAllowed(await verifier.verify(request));
    now = NOW + 4000;
    const { now: _later, ...late } = presentation(chain, { now: NOW + 4000 });
    expectExactly(await verifier.verify(late), [[0, "expired"]]);
  });
});
