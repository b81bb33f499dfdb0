import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { CHAIN_SEPARATOR, DEFAULT_MAX_CHAIN_LENGTH, decodeChain, encodeChain } from "./chain-encoding.ts";
import { DEFAULT_MAX_TOKEN_BYTES } from "./jws.ts";
import { mintChain } from "./test-fixtures.ts";

const chain = (await mintChain()).map((token) => token.compact);

describe("decodeChain", () => {
  it("splits a presented chain into its tokens, root first", () => {
    expect(decodeChain(chain.join("~"))).toEqual({ ok: true, value: chain });
    expect(decodeChain(chain[0] ?? "")).toEqual({ ok: true, value: [chain[0]] });
  });

  it("accepts 16 tokens and refuses 17 as chain_too_long", () => {
    expect(DEFAULT_MAX_CHAIN_LENGTH).toBe(16);
    expect(decodeChain(Array.from({ length: 16 }, () => "a.b.c").join("~")).ok).toBe(true);
    expect(decodeChain(Array.from({ length: 17 }, () => "a.b.c").join("~"))).toMatchObject({
      ok: false,
      error: { code: "chain_too_long" },
    });
  });

  it("honours a configured chain length", () => {
    const text = Array.from({ length: 4 }, () => "a.b.c").join("~");
    expect(decodeChain(text, { maxTokens: 3 })).toMatchObject({
      ok: false,
      error: { code: "chain_too_long" },
    });
    expect(decodeChain(text, { maxTokens: 4 }).ok).toBe(true);
  });

  it("counts separators before anything else, so a flood of empty tokens is chain_too_long", () => {
    expect(decodeChain("~".repeat(10_000))).toMatchObject({ ok: false, error: { code: "chain_too_long" } });
  });

  it("refuses an oversized token as token_too_large, naming its hop", () => {
    const big = "A".repeat(DEFAULT_MAX_TOKEN_BYTES + 1);
    expect(decodeChain(`${chain[0]}~${big}`)).toMatchObject({
      ok: false,
      error: { code: "token_too_large", hop: 1 },
    });
    expect(decodeChain(big)).toMatchObject({ ok: false, error: { code: "token_too_large", hop: 0 } });
    expect(decodeChain("A".repeat(DEFAULT_MAX_TOKEN_BYTES)).ok).toBe(true);
    expect(decodeChain(`a~${"A".repeat(11)}`, { maxTokenBytes: 10 })).toMatchObject({
      ok: false,
      error: { code: "token_too_large", hop: 1 },
    });
  });

  it("refuses an empty chain as malformed", () => {
    expect(decodeChain("")).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  it.each([
    ["a leading separator", "~a.b.c", 0],
    ["a trailing separator", "a.b.c~", 1],
    ["two separators in a row", "a.b.c~~a.b.c", 1],
  ])("refuses an empty element (%s) as malformed, naming its hop", (_, text, hop) => {
    expect(decodeChain(text)).toMatchObject({ ok: false, error: { code: "malformed", hop } });
  });

  it.each([
    ["a space", "a.b.c a.b.c"],
    ["a comma", "a.b.c,a.b.c"],
    ["padding", "a.b.c="],
    ["standard base64", "a+b.c/d.e"],
    ["a newline", "a.b.c\n"],
    ["non-ASCII", "a.b.ç"],
    ["a NUL", "a.b.c\u0000"],
  ])("refuses characters no compact token holds (%s) as malformed", (_, text) => {
    expect(decodeChain(text)).toMatchObject({ ok: false, error: { code: "malformed" } });
  });
});

describe("encodeChain", () => {
  it("joins tokens with ~", () => {
    expect(CHAIN_SEPARATOR).toBe("~");
    expect(encodeChain(chain)).toEqual({ ok: true, value: chain.join("~") });
  });

  it("refuses an empty list of tokens", () => {
    expect(encodeChain([])).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  it("checks the same limits as decodeChain", () => {
    expect(encodeChain(Array.from({ length: 17 }, () => "a.b.c"))).toMatchObject({
      ok: false,
      error: { code: "chain_too_long" },
    });
    expect(encodeChain(["a", "A".repeat(DEFAULT_MAX_TOKEN_BYTES + 1)])).toMatchObject({
      ok: false,
      error: { code: "token_too_large", hop: 1 },
    });
    expect(encodeChain(["a.b.c", ""])).toMatchObject({ ok: false, error: { code: "malformed", hop: 1 } });
  });

  it("refuses a token that holds the separator", () => {
    expect(encodeChain(["a~b"])).toMatchObject({ ok: false, error: { code: "malformed" } });
  });
});

const tokenText = fc.stringMatching(/^[A-Za-z0-9_.-]{1,60}$/);

test.prop([fc.array(tokenText, { minLength: 1, maxLength: DEFAULT_MAX_CHAIN_LENGTH })], { numRuns: 200 })(
  "encodeChain and decodeChain round-trip any list of compact-token texts within the limits",
  (tokens) => {
    const encoded = encodeChain(tokens);
    expect(encoded.ok).toBe(true);
    if (encoded.ok) expect(decodeChain(encoded.value)).toEqual({ ok: true, value: tokens });
  },
);
