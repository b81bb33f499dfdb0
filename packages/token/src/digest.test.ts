import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { isDelegationId, isRandomId } from "./claims.ts";
import { delegationIdAt, randomDelegationId, randomId, sha256Base64url, sha256Hex } from "./digest.ts";

describe("digest", () => {
  it("hashes the UTF-8 bytes of a string with SHA-256 into base64url", () => {
    // FIPS 180-2 "abc" test vector, ba7816bf…15ad, in base64url.
    expect(sha256Base64url("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    expect(sha256Base64url("é")).not.toBe(sha256Base64url("\u0065\u0301"));
  });

  it("hashes the UTF-8 bytes of a string with SHA-256 into lowercase hex", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // U+00E9 as its two UTF-8 bytes, c3 a9.
    expect(sha256Hex("é")).toBe("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });

  it("makes random ids that are 128-bit canonical base64url and distinct", () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(isRandomId(id)).toBe(true);
  });

  it("makes delegation ids that are 96-bit canonical base64url (16 characters) and distinct", () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomDelegationId()));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toHaveLength(16);
      expect(isDelegationId(id)).toBe(true);
      expect(isRandomId(id)).toBe(false);
    }
  });

  it("makes delegation ids for a time that are 96-bit canonical base64url (16 characters) and distinct", () => {
    const ids = Array.from({ length: 20_000 }, () => delegationIdAt(1_800_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toHaveLength(16);
      expect(isDelegationId(id)).toBe(true);
    }
  });

  it("makes delegation ids that sort as text in the order they were issued: by time, then one after another", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 ** 6 - 2 }),
        fc.integer({ min: 1, max: 64 ** 3 }),
        fc.integer({ min: 1, max: 40 }),
        (earlier, gap, count) => {
          const first = Array.from({ length: count }, () => delegationIdAt(earlier));
          const later = delegationIdAt(Math.min(earlier + gap, 64 ** 6 - 1));
          // One process's ids within a second follow its counter, which wraps only after 2^18.
          const wrapped = first.some(
            (id, i) => i > 0 && id.slice(6, 9) < (first[i - 1] as string).slice(6, 9),
          );
          if (!wrapped)
            for (let i = 1; i < count; i++)
              expect((first[i - 1] as string) < (first[i] as string)).toBe(true);
          for (const id of first) expect(id < later).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("makes a valid delegation id whatever the clock says", () => {
    for (const now of [-1, 0, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      expect(isDelegationId(delegationIdAt(now))).toBe(true);
    }
    expect(delegationIdAt(-5).slice(0, 6)).toBe("------");
    expect(delegationIdAt(2 ** 40).slice(0, 6)).toBe("zzzzzz");
  });

  it("draws id bytes from Web Crypto 4 KiB at a time, and no two ids share them across draws", () => {
    const draws = vi.spyOn(globalThis.crypto, "getRandomValues");
    try {
      const ids = Array.from({ length: 1000 }, () => randomId());
      expect(new Set(ids).size).toBe(1000);
      for (const id of ids) expect(isRandomId(id)).toBe(true);
      // 1000 ids of 16 bytes: four draws of 256 ids, one of them perhaps begun before this test.
      expect(draws.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(draws.mock.calls.length).toBeLessThanOrEqual(4);
      for (const [buffer] of draws.mock.calls) expect((buffer as Uint8Array).length).toBe(4096);
    } finally {
      draws.mockRestore();
    }
  });
});
