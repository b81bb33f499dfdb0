import { describe, expect, it, vi } from "vitest";
import { isDelegationId, isRandomId } from "./claims.ts";
import { randomDelegationId, randomId, sha256Base64url, sha256Hex } from "./digest.ts";

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
