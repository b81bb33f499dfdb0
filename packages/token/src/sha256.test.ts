import { createHash } from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { sha256 } from "./sha256.ts";

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const ascii = (text: string) => new TextEncoder().encode(text);

describe("sha256 (the plain-JavaScript SHA-256 for runtimes without node:crypto)", () => {
  it("matches the FIPS 180-2 known answers", () => {
    expect(hexOf(sha256(ascii("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hexOf(sha256(ascii("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hexOf(sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(hexOf(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("agrees with node:crypto at every length around the 64-byte block and its padding", () => {
    for (let length = 0; length <= 200; length++) {
      const message = new Uint8Array(length).map((_, i) => (i * 31 + length) & 255);
      expect(hexOf(sha256(message))).toBe(createHash("sha256").update(message).digest("hex"));
    }
  });

  test.prop([fc.uint8Array({ maxLength: 2000 })])("agrees with node:crypto on any bytes", (message) => {
    expect(hexOf(sha256(message))).toBe(createHash("sha256").update(message).digest("hex"));
  });
});
