import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { formatAuthorization, parseAuthorization } from "./authorization.ts";

const refusal = (value: Parameters<typeof parseAuthorization>[0]) => {
  const parsed = parseAuthorization(value);
  return parsed.ok ? "accepted" : parsed.error.code;
};

describe("parseAuthorization", () => {
  it("reads the scheme case-insensitively and keeps the credentials exactly", () => {
    for (const scheme of ["Baton", "baton", "BATON", "bAtOn"]) {
      expect(parseAuthorization(`${scheme} t0.a.b~t1.c.d`)).toEqual({
        ok: true,
        value: { scheme: "baton", credentials: "t0.a.b~t1.c.d" },
      });
    }
    expect(parseAuthorization("Bearer abc+/=")).toEqual({
      ok: true,
      value: { scheme: "bearer", credentials: "abc+/=" },
    });
  });

  it("tolerates spaces around the value and between scheme and credentials", () => {
    expect(parseAuthorization("  Baton   abc \t")).toEqual({
      ok: true,
      value: { scheme: "baton", credentials: "abc" },
    });
  });

  it("says a header is missing when there is none", () => {
    expect(refusal(undefined)).toBe("missing");
    expect(refusal(null)).toBe("missing");
    expect(refusal([])).toBe("missing");
  });

  it("refuses more than one Authorization header, even two equal ones", () => {
    expect(refusal(["Baton abc", "Baton abc"])).toBe("repeated");
    expect(refusal(["Bearer abc", "Baton def"])).toBe("repeated");
  });

  it("refuses two credentials folded into one value with a comma", () => {
    expect(refusal("Baton abc, Baton abc")).toBe("repeated");
    expect(refusal("Bearer abc,def")).toBe("repeated");
  });

  it("refuses anything that is not a scheme, a space and a token68", () => {
    for (const value of [
      "",
      "Baton",
      "Baton ",
      "abc",
      "Baton a b",
      "Baton a=b",
      "Baton =abc",
      "Baton a\u00e9",
      "Baton a;b",
      'Baton realm="x"',
      "Ba(ton abc",
      "Baton\tabc",
    ]) {
      expect(refusal(value), JSON.stringify(value)).toBe("malformed");
    }
  });

  test.prop([
    fc.constantFrom("Baton" as const, "Bearer" as const),
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
