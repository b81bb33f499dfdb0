import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  chainAuthorization,
  DPOP_CHALLENGE_ALGS,
  formatAuthorization,
  isChainScheme,
  parseAuthorization,
} from "./authorization.ts";

const refusal = (value: Parameters<typeof parseAuthorization>[0]) => {
  const parsed = parseAuthorization(value);
  return parsed.ok ? "accepted" : parsed.error.code;
};

describe("parseAuthorization", () => {
  it("reads the scheme case-insensitively and keeps the credentials exactly", () => {
    for (const scheme of ["DPoP", "dpop", "DPOP", "dPoP"]) {
      expect(parseAuthorization(`${scheme} t0.a.b~t1.c.d`)).toEqual({
        ok: true,
        value: { scheme: "dpop", credentials: "t0.a.b~t1.c.d" },
      });
    }
    expect(parseAuthorization("Bearer abc+/=")).toEqual({
      ok: true,
      value: { scheme: "bearer", credentials: "abc+/=" },
    });
  });

  it("tolerates spaces around the value and between scheme and credentials", () => {
    expect(parseAuthorization("  DPoP   abc \t")).toEqual({
      ok: true,
      value: { scheme: "dpop", credentials: "abc" },
    });
  });

  it("says a header is missing when there is none", () => {
    expect(refusal(undefined)).toBe("missing");
    expect(refusal(null)).toBe("missing");
    expect(refusal([])).toBe("missing");
  });

  it("refuses more than one Authorization header, even two equal ones", () => {
    expect(refusal(["DPoP abc", "DPoP abc"])).toBe("repeated");
    expect(refusal(["Bearer abc", "DPoP def"])).toBe("repeated");
  });

  it("refuses two credentials folded into one value with a comma", () => {
    expect(refusal("DPoP abc, DPoP abc")).toBe("repeated");
    expect(refusal("Bearer abc,def")).toBe("repeated");
  });

  it("refuses anything that is not a scheme, a space and a token68", () => {
    for (const value of [
      "",
      "DPoP",
      "DPoP ",
      "abc",
      "DPoP a b",
      "DPoP a=b",
      "DPoP =abc",
      "DPoP a\u00e9",
      "DPoP a;b",
      'DPoP realm="x"',
      "DP(oP abc",
      "DPoP\tabc",
    ]) {
      expect(refusal(value), JSON.stringify(value)).toBe("malformed");
    }
  });

  test.prop([
    fc.constantFrom("DPoP" as const, "Bearer" as const),
    fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,80}={0,2}$/),
  ])("reads back every credential it formats", (scheme, credentials) => {
    expect(parseAuthorization(formatAuthorization(scheme, credentials))).toEqual({
      ok: true,
      value: { scheme: scheme.toLowerCase(), credentials },
    });
  });

  test.prop([fc.string({ maxLength: 60 })])(
    "accepts only values that are a scheme, spaces and a token68",
    (text) => {
      const parsed = parseAuthorization(text);
      if (parsed.ok) {
        expect(text.trim()).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+ +[A-Za-z0-9._~+/-]+=*$/);
        expect(text.trim().endsWith(parsed.value.credentials)).toBe(true);
      }
    },
  );
});

describe("presenting a chain", () => {
  it("presents a chain in the DPoP scheme of RFC 9449", () => {
    expect(chainAuthorization("t0.a.b~t1.c.d")).toBe("DPoP t0.a.b~t1.c.d");
  });

  it("takes DPoP in any case as the chain scheme, and neither Bearer nor the retired Baton", () => {
    for (const value of ["DPoP x", "dpop x", "DPOP x"]) {
      const parsed = parseAuthorization(value);
      expect(parsed.ok && isChainScheme(parsed.value.scheme)).toBe(true);
    }
    for (const value of ["Bearer x", "Baton x", "baton x", "DPoP2 x"]) {
      const parsed = parseAuthorization(value);
      expect(parsed.ok && isChainScheme(parsed.value.scheme)).toBe(false);
    }
  });

  it("announces Ed25519 first, then the deprecated EdDSA, in a challenge's algs", () => {
    expect(DPOP_CHALLENGE_ALGS).toBe("Ed25519 EdDSA");
  });
});
