/**
 * Decision report normalization (issue 13): whatever a request carried, the entry the sink sends is
 * one `POST /v1/decisions` accepts — integer time, a method of letters, a bounded and safe path,
 * exact targets or none, bounded reason messages, and only well-formed, printable text.
 */

import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { Decision } from "../src/decision.ts";
import { NO_PRESENTATION } from "../src/decision.ts";
import { type DecisionReportInput, normalizeDecisionReport } from "../src/decision-report.ts";

// C0/C1 controls, DEL, bidi overrides and isolates, lone surrogates: none may reach the service.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every string anywhere in `value`. */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Text as a caller could send it: anything, with controls, bidi overrides and lone surrogates mixed in. */
const hostileText = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.constantFrom(
          "\ud800",
          "\udfff",
          "\u0000",
          "\n",
          "\u001b[31m",
          "\u007f",
          "\u009b",
          "\u202e",
          "\u2066",
          "é",
          "😀",
        ),
        fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
        fc.nat(3000).map((length) => "a".repeat(length)),
      ),
      { maxLength },
    )
    .map((parts) => parts.join(""));

const decision = fc.record({
  decision: fc.constantFrom("allow", "deny", "step_up"),
  reasons: fc.array(
    fc.record(
      {
        hop: fc.option(fc.nat(16), { nil: null }),
        code: fc.constantFrom("malformed", "unmapped_route", "policy_denied"),
        message: hostileText(4),
        policies: fc.array(hostileText(2), { maxLength: 20 }),
      },
      { requiredKeys: ["hop", "code", "message"] },
    ),
    { maxLength: 70 },
  ),
  chain: fc.constant([]),
  task: fc.constantFrom(null, "task-1"),
  actor: fc.constant({ agent: null, proven: false }),
  presented: fc.constant([]),
}) as fc.Arbitrary<Decision>;

const input: fc.Arbitrary<DecisionReportInput> = fc.record(
  {
    at: fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(1_900_000_000.7, -5, Number.NaN, Number.POSITIVE_INFINITY),
    ),
    audience: fc.constant("repo-tool"),
    method: fc.oneof(
      fc.constantFrom("GET", "post", "M-SEARCH", "PROPPATCH", "", "VERYLONGMETHODNAMEHERE"),
      hostileText(2),
    ),
    path: fc.oneof(
      hostileText(6),
      fc.nat(6000).map((length) => `/${"p".repeat(length)}`),
    ),
    action: fc.oneof(fc.constant(""), fc.constant("repo.issues.create"), hostileText(3)),
    resource: fc.oneof(fc.constant(""), fc.constant("repo:acme/web/issues"), hostileText(3)),
    decision,
  },
  { requiredKeys: ["at", "audience", "method", "path", "decision"] },
);

describe("normalizeDecisionReport", () => {
  test.prop([input], { numRuns: 400, seed: 13 })("turns any report into one the service accepts", (raw) => {
    const entry = normalizeDecisionReport(raw);
    expect(Number.isSafeInteger(entry.at) && entry.at >= 0).toBe(true);
    expect(entry.method).toMatch(/^[A-Z]{1,16}$/);
    expect(entry.path.length).toBeLessThanOrEqual(2048);
    for (const target of [entry.action, entry.resource]) {
      if (target !== undefined) expect(target.length >= 1 && target.length <= 512).toBe(true);
    }
    // A target is the exact string that was checked, or it is left out; never repaired.
    if (entry.action !== undefined) expect(entry.action).toBe(raw.action);
    if (entry.resource !== undefined) expect(entry.resource).toBe(raw.resource);
    expect(entry.decision.reasons.length).toBeLessThanOrEqual(64);
    for (const reason of entry.decision.reasons) {
      expect(reason.message.length).toBeLessThanOrEqual(1024);
      for (const id of reason.policies ?? []) expect(id.length).toBeLessThanOrEqual(128);
    }
    for (const text of stringsIn(entry)) {
      expect(UNSAFE.test(text), JSON.stringify(text)).toBe(false);
      expect(LONE_SURROGATE.test(text), JSON.stringify(text)).toBe(false);
    }
    // What is sent is what is stored: no undefined members, nothing lost in JSON.
    expect(JSON.parse(JSON.stringify(entry))).toEqual(entry);
  });

  test.prop([fc.stringMatching(/^\/[A-Za-z0-9._~%/-]{0,3000}$/)], { seed: 13 })(
    "keeps a safe path as it is, and cuts a longer one to its first 2,048 characters, saying so",
    (path) => {
      const entry = normalizeDecisionReport({
        at: 1,
        audience: "repo-tool",
        method: "GET",
        path,
        decision: deny,
      });
      if (path.length <= 2048) {
        expect(entry.path).toBe(path);
        expect(entry).not.toHaveProperty("pathTruncated");
      } else {
        expect(entry.path).toBe(path.slice(0, 2048));
        expect(entry.pathTruncated).toBe(true);
      }
    },
  );

  it("percent-escapes controls and bidi overrides in the path, and writes a lone surrogate as escaped U+FFFD", () => {
    const entry = normalizeDecisionReport({
      at: 1,
      audience: "repo-tool",
      method: "GET",
      path: "/a\u0000b\u202ec\ud800d\n",
      decision: deny,
    });
    expect(entry.path).toBe("/a%00b%E2%80%AEc%EF%BF%BDd%0A");
  });

  it("leaves out an empty action and resource rather than sending an empty string", () => {
    const entry = normalizeDecisionReport({
      at: 1,
      audience: "repo-tool",
      method: "GET",
      path: "/x",
      action: "",
      resource: "",
      decision: deny,
    });
    expect(entry).not.toHaveProperty("action");
    expect(entry).not.toHaveProperty("resource");
  });

  it("never splits a surrogate pair when it cuts", () => {
    const message = `${"m".repeat(1023)}😀`;
    const entry = normalizeDecisionReport({
      at: 1,
      audience: "repo-tool",
      method: "GET",
      path: `/${"p".repeat(2046)}😀`,
      decision: { ...deny, reasons: [{ hop: null, code: "malformed", message }] },
    });
    expect(entry.path).toBe(`/${"p".repeat(2046)}`);
    expect(entry.decision.reasons[0]?.message).toBe("m".repeat(1023));
  });
});

const deny: Decision = { decision: "deny", reasons: [], chain: [], task: null, ...NO_PRESENTATION };
