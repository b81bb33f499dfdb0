/**
 * The table giving each Baton code its OAuth error at the token endpoint (oauth-errors.ts). Each
 * mapping is stated here once more, as a reader would check it against RFC 6749 §5.2, RFC 8693
 * §2.2.2 and RFC 9449 §5, so a change to the table is a change to this list too.
 */
import { USE_CASE_ERROR_CODES, UseCaseError } from "@baton/core";
import { REASON_CODES } from "@baton/token";
import { describe, expect, test } from "vitest";
import {
  oauthErrorFrom,
  oauthErrorOf,
  oauthErrorResponse,
  TOKEN_ENDPOINT_ERRORS,
} from "../src/oauth-errors.ts";
import { ProblemError } from "../src/problem.ts";

/** When the subject_token or its proof is refused (the use case's 401). */
const PRESENTED: Record<string, string[]> = {
  invalid_dpop_proof: ["pop_missing", "pop_invalid", "pop_replayed", "pop_binding_mismatch"],
  invalid_target: ["unknown_audience"],
  server_error: ["internal"],
};

/** When the hop asked for is refused. */
const REQUESTED: Record<string, string[]> = {
  invalid_scope: ["scope_widening", "action_not_permitted"],
  invalid_target: ["audience_widening", "audience_mismatch", "unknown_audience"],
  invalid_dpop_proof: ["pop_missing", "pop_invalid", "pop_replayed", "pop_binding_mismatch"],
  server_error: ["internal"],
};

const ALL_CODES = [...REASON_CODES, ...USE_CASE_ERROR_CODES];

function expected(table: Record<string, string[]>, code: string): string {
  return Object.entries(table).find(([, codes]) => codes.includes(code))?.[0] ?? "invalid_request";
}

describe("the token endpoint's error table", () => {
  test("gives every reason code and use-case code an OAuth error", () => {
    expect(Object.keys(TOKEN_ENDPOINT_ERRORS).sort()).toEqual([...ALL_CODES].sort());
  });

  test.each(ALL_CODES)("maps %s as RFC 8693 and RFC 9449 say", (code) => {
    expect(oauthErrorOf(code, 401)).toBe(expected(PRESENTED, code));
    for (const status of [400, 403, 404, 409, 429])
      expect(oauthErrorOf(code, status)).toBe(expected(REQUESTED, code));
  });

  test("keeps Baton's code and reasons, and says what to do in error_description", async () => {
    const refused = new UseCaseError({
      status: 401,
      code: "revalidation_due",
      message: 'hop 0: revalidate "now"',
      reasons: [{ hop: 0, code: "revalidation_due", message: "revalidate" }],
    });
    const response = oauthErrorResponse(
      oauthErrorFrom(refused) as NonNullable<ReturnType<typeof oauthErrorFrom>>,
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: "invalid_request", baton_code: "revalidation_due" });
    expect(body.baton_reasons).toEqual([{ hop: 0, code: "revalidation_due", message: "revalidate" }]);
    expect(body.error_description).toBe(
      "hop 0: revalidate 'now'; revalidate the chain (POST /v1/revalidate) and exchange the re-issued one",
    );
  });

  test("writes error_description in the printable ASCII RFC 6749 allows, spelling out typography", async () => {
    const refused = new UseCaseError({
      status: 403,
      code: "depth_exceeded",
      message: 'mdp 3 − 1 ≤ 2… "x" \\ 🙂',
    });
    const body = (await oauthErrorResponse(
      oauthErrorFrom(refused) as NonNullable<ReturnType<typeof oauthErrorFrom>>,
    ).json()) as {
      error_description: string;
    };
    expect(body.error_description.startsWith("mdp 3 - 1 <= 2... 'x' / ??;")).toBe(true);
  });

  test("answers an oversized body as invalid_request, a busy store as temporarily_unavailable, and nothing else", async () => {
    const tooLarge = oauthErrorFrom(
      new ProblemError({ status: 413, code: "payload_too_large", detail: "too big" }),
    );
    expect({ error: tooLarge?.error, code: tooLarge?.batonCode }).toEqual({
      error: "invalid_request",
      code: "payload_too_large",
    });
    const busy = Object.assign(new Error("locked"), { name: "StoreError", code: "busy" });
    const response = oauthErrorResponse(
      oauthErrorFrom(busy) as NonNullable<ReturnType<typeof oauthErrorFrom>>,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(oauthErrorFrom(new TypeError("a bug"))).toBeUndefined();
  });
});
