import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  decodeBase64url,
  decodeBase64urlPortable,
  encodeBase64url,
  isBase64urlOfLength,
} from "./base64url.ts";

describe("base64url", () => {
  it("encodes without padding in the URL-safe alphabet", () => {
    expect(encodeBase64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(encodeBase64url(new Uint8Array([]))).toBe("");
    expect(encodeBase64url(new TextEncoder().encode("abc"))).toBe("YWJj");
  });

  it("encodes a view into a larger buffer by its own bytes only", () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5]);
    expect(encodeBase64url(whole.subarray(1, 3))).toBe(encodeBase64url(new Uint8Array([2, 3])));
  });

  it("decodes canonical text", () => {
    expect(decodeBase64url("-_8")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(decodeBase64url("AA")).toEqual(new Uint8Array([0]));
    expect(decodeBase64url("")).toEqual(new Uint8Array([]));
  });

  it("refuses padding", () => {
    expect(decodeBase64url("AA==")).toBeUndefined();
    expect(decodeBase64url("AAA=")).toBeUndefined();
    expect(decodeBase64url("YWJj=")).toBeUndefined();
  });

  it("refuses characters outside the base64url alphabet", () => {
    for (const text of ["+/8", "AA+A", "AA/A", "AA A", "AA\nA", "AA.A", "AA~A", "ÀAAA", "AA\u0000A"]) {
      expect(decodeBase64url(text)).toBeUndefined();
    }
  });

  it("refuses non-zero trailing bits: AB and AA cannot both mean one zero byte", () => {
    expect(decodeBase64url("AA")).toEqual(new Uint8Array([0]));
    expect(decodeBase64url("AB")).toBeUndefined();
    expect(decodeBase64url("AP")).toBeUndefined();
    expect(decodeBase64url("AAA")).toEqual(new Uint8Array([0, 0]));
    expect(decodeBase64url("AAB")).toBeUndefined();
  });

  it("refuses a length that no byte string encodes to (length % 4 == 1)", () => {
    for (const text of ["A", "AAAAA", "AAAAAAAAA"]) expect(decodeBase64url(text)).toBeUndefined();
  });

  it("checks a canonical encoding of an exact byte length", () => {
    const sixteen = encodeBase64url(new Uint8Array(16).fill(7));
    expect(sixteen).toHaveLength(22);
    expect(isBase64urlOfLength(sixteen, 16)).toBe(true);
    expect(isBase64urlOfLength(sixteen, 15)).toBe(false);
    expect(isBase64urlOfLength(`${sixteen}A`, 16)).toBe(false);
    expect(isBase64urlOfLength(`${sixteen.slice(0, 21)}B`, 16)).toBe(false);
    expect(isBase64urlOfLength(`${sixteen}==`, 16)).toBe(false);
  });

  test.prop([fc.uint8Array({ maxLength: 100 })])("round-trips any bytes", (bytes) => {
    const text = encodeBase64url(bytes);
    expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
    expect(decodeBase64url(text)).toEqual(bytes);
    expect(isBase64urlOfLength(text, bytes.byteLength)).toBe(true);
  });

  test.prop([
    fc.oneof(
      fc.uint8Array({ minLength: 15, maxLength: 33 }).map(encodeBase64url),
      fc.string({ unit: fc.constantFrom(..."AQgw_-=+/.é\u0000".split("")), minLength: 20, maxLength: 45 }),
      fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 32 }), fc.nat(), fc.constantFrom("B", "=", "/", "é"))
        .map(([bytes, at, c]) => {
          const text = encodeBase64url(bytes);
          const i = at % text.length;
          return `${text.slice(0, i)}${c}${text.slice(i + 1)}`;
        }),
      // Any last character: only some leave the spare bits zero.
      fc
        .tuple(
          fc.constantFrom(16, 32),
          fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        )
        .map(([n, last]) => `${encodeBase64url(new Uint8Array(n).fill(0x5a)).slice(0, -1)}${last}`),
    ),
    fc.constantFrom(15, 16, 32, 33),
  ])("checks a length exactly as decoding and counting the bytes would", (text, byteLength) => {
    expect(isBase64urlOfLength(text, byteLength)).toBe(decodeBase64url(text)?.byteLength === byteLength);
  });

  test.prop([fc.uint8Array({ maxLength: 300 })])("encodes as node's Buffer does", (bytes) => {
    expect(encodeBase64url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
  });

  test.prop([
    fc.string({
      unit: fc.constantFrom(
        ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .é\u0000",
      ),
      maxLength: 40,
    }),
  ])("decodes what node's Buffer decodes, when that is the text's one canonical spelling", (text) => {
    const buffer = Buffer.from(text, "base64url");
    const canonical = /^[A-Za-z0-9_-]*$/.test(text) && buffer.toString("base64url") === text;
    expect(decodeBase64url(text)).toEqual(canonical ? new Uint8Array(buffer) : undefined);
  });

  test.prop([
    fc.string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ "),
      maxLength: 12,
    }),
  ])("accepts a text only when it is the one encoding of the bytes it decodes to", (text) => {
    const bytes = decodeBase64url(text);
    if (bytes !== undefined) expect(encodeBase64url(bytes)).toBe(text);
  });

  const base64urlish = fc.string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .\u00c0"),
    maxLength: 300,
  });
  test.prop([fc.oneof(base64urlish, fc.uint8Array({ minLength: 40, maxLength: 300 }).map(encodeBase64url))], {
    numRuns: 2000,
  })("decides exactly as the portable decoder, on long text (the native path) as on short", (text) => {
    expect(decodeBase64url(text)).toEqual(decodeBase64urlPortable(text));
  });

  it("refuses on the native path what the portable decoder refuses: junk, padding, trailing bits", () => {
    const long = encodeBase64url(new Uint8Array(100).fill(9));
    expect(long.length).toBeGreaterThanOrEqual(64);
    for (const text of [
      `${long.slice(0, 60)}+${long.slice(61)}`,
      `${long}==`,
      `${long.slice(0, -1)}B`,
      `${long}AAA`,
    ]) {
      expect(decodeBase64url(text)).toBeUndefined();
      expect(decodeBase64urlPortable(text)).toBeUndefined();
    }
  });
});
