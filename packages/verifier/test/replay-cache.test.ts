/**
 * The DPoP replay cache (issue 3): bounded memory, and never a replay accepted, whether the proof
 * id is still remembered, was evicted for room (the floor), or has left the time window.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { ReplayCache } from "../src/replay-cache.ts";

describe("ReplayCache", () => {
  it("accepts a proof id once and calls the second use a replay", () => {
    const cache = new ReplayCache(10, 120);
    expect(cache.check("proof-1", 1000, 1000)).toBe("fresh");
    expect(cache.check("proof-1", 1000, 1001)).toBe("replayed");
    expect(cache.check("proof-2", 1000, 1001)).toBe("fresh");
  });

  it("never holds more than its capacity", () => {
    const cache = new ReplayCache(3, 120);
    for (let i = 0; i < 50; i++) cache.check(`proof-${i}`, 1000 + i, 1000 + i);
    expect(cache.size).toBeLessThanOrEqual(3);
  });

  it("refuses an evicted proof and anything as old as it (the floor), but not younger proofs", () => {
    const cache = new ReplayCache(2, 120);
    expect(cache.check("a", 1000, 1000)).toBe("fresh");
    expect(cache.check("b", 1001, 1001)).toBe("fresh");
    expect(cache.check("c", 1002, 1002)).toBe("fresh"); // evicts a, floor 1000
    expect(cache.size).toBe(2);
    expect(cache.check("a", 1000, 1002)).toBe("too_old");
    expect(cache.check("never-seen", 1000, 1002)).toBe("too_old");
    expect(cache.check("d", 1001, 1002)).toBe("fresh");
  });

  it("forgets proofs whose iat left the window, and refuses them rather than calling them fresh", () => {
    const cache = new ReplayCache(100, 120);
    expect(cache.check("old", 1000, 1000)).toBe("fresh");
    expect(cache.check("recent", 1100, 1100)).toBe("fresh");
    expect(cache.check("new", 1200, 1200)).toBe("fresh"); // horizon 1080: "old" is forgotten
    expect(cache.size).toBe(2);
    expect(cache.check("old", 1000, 1200)).not.toBe("fresh");
    expect(cache.check("unseen-but-old", 1000, 1200)).toBe("too_old");
  });

  it("rejects a capacity that is not a positive integer", () => {
    for (const capacity of [0, -1, 1.5, Number.NaN])
      expect(() => new ReplayCache(capacity, 60)).toThrow(RangeError);
  });

  test.prop(
    [
      fc.array(fc.record({ jti: fc.nat(15), age: fc.nat(200), step: fc.nat(30) }), {
        minLength: 1,
        maxLength: 200,
      }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 120 }),
    ],
    { numRuns: 200 },
  )(
    "never calls the same proof id fresh twice, whatever the order, capacity and window",
    (uses, capacity, window) => {
      const cache = new ReplayCache(capacity, window);
      const accepted = new Set<string>();
      const iatOf = new Map<string, number>();
      let now = 10_000;
      for (const use of uses) {
        now += use.step;
        const jti = `proof-${use.jti}`;
        // A proof id always comes with the iat it was signed with.
        const iat = iatOf.get(jti) ?? now - use.age;
        iatOf.set(jti, iat);
        const result = cache.check(jti, iat, now);
        if (result === "fresh") {
          expect(accepted.has(jti)).toBe(false);
          accepted.add(jti);
        }
        expect(cache.size).toBeLessThanOrEqual(capacity);
      }
    },
  );
});
