import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { LruCache } from "../src/lru-cache.ts";

describe("LruCache", () => {
  it("refuses a capacity that is not a positive integer", () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new LruCache(capacity)).toThrow(RangeError);
  });

  it("forgets the oldest entry first when full", () => {
    const cache = new LruCache<string, number>(3);
    for (const [i, key] of ["a", "b", "c", "d"].entries()) cache.set(key, i);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined();
    expect([cache.get("b"), cache.get("c"), cache.get("d")]).toEqual([1, 2, 3]);
  });

  it("keeps an entry used since the others were set, and forgets one that was not", () => {
    const cache = new LruCache<string, number>(4);
    for (const [i, key] of ["a", "b", "c", "d"].entries()) cache.set(key, i);
    expect(cache.get("a")).toBe(0);
    cache.set("e", 4);
    expect(cache.get("a")).toBe(0);
    expect(cache.get("b")).toBeUndefined();
  });

  it("replaces the value of a key set again, counting it once", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("a", 2);
    expect(cache.size).toBe(1);
    expect(cache.get("a")).toBe(2);
  });

  test.prop([
    fc.integer({ min: 1, max: 12 }),
    fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 1, maxLength: 300, size: "max" }),
  ])(
    "never holds more than its capacity nor answers a wrong value, and holds every key used in the last half-capacity of operations",
    (capacity, operations) => {
      const cache = new LruCache<number, number>(capacity);
      const truth = new Map<number, number>();
      const lastUse = new Map<number, number>();
      const recentOperations = Math.ceil(capacity / 2);
      operations.forEach(([isSet, n], step) => {
        const key = n % (capacity * 2);
        if (isSet) {
          cache.set(key, step);
          truth.set(key, step);
          lastUse.set(key, step);
        } else {
          const value = cache.get(key);
          if (value !== undefined) {
            expect(value).toBe(truth.get(key));
            lastUse.set(key, step);
          }
        }
        expect(cache.size).toBeLessThanOrEqual(capacity);
        for (const [used, at] of lastUse) {
          if (at > step - recentOperations) expect(cache.has(used)).toBe(true);
        }
      });
    },
  );
});
