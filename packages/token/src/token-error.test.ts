import { describe, expect, it } from "vitest";
import { isReasonCode, REASON_CODES } from "./reason-codes.ts";
import { fail, ok, TokenError } from "./token-error.ts";

describe("TokenError", () => {
  it("carries a stable code, the claim and the hop", () => {
    const error = new TokenError("scope_widening", "not covered", { hop: 2, claim: "cap" });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "TokenError", code: "scope_widening", claim: "cap", hop: 2 });
    expect(error.describe()).toMatch(/^hop 2: scope_widening: /);
    expect(new TokenError("malformed", "bad").describe()).toBe("malformed: bad");
  });

  it("serializes to JSON with only the details it has", () => {
    expect(new TokenError("expired", "late").toJSON()).toEqual({ code: "expired", message: "late" });
    expect(JSON.parse(JSON.stringify(new TokenError("malformed", "bad", { claim: "exp", hop: 0 })))).toEqual({
      code: "malformed",
      message: "bad",
      claim: "exp",
      hop: 0,
    });
  });

  it("wraps expected outcomes as values", () => {
    expect(ok(1)).toEqual({ ok: true, value: 1 });
    expect(fail("x")).toEqual({ ok: false, error: "x" });
  });
});

describe("reason codes", () => {
  it("are distinct lowercase snake_case strings", () => {
    expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
    for (const code of REASON_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it("recognizes exactly the public codes", () => {
    expect(isReasonCode("scope_widening")).toBe(true);
    expect(isReasonCode("SCOPE_WIDENING")).toBe(false);
    expect(isReasonCode("forbidden")).toBe(false);
    expect(isReasonCode("internal")).toBe(true);
    expect(isReasonCode("toString")).toBe(false);
    expect(isReasonCode(undefined)).toBe(false);
  });
});
