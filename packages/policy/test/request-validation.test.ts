/**
 * The evidence for deciding without Cedar's per-request schema check: for arbitrary questions, the
 * shipped set answers the same with and without it, and the check never refuses a request that
 * `cedarRequest` built. (The policies themselves are validated against the schema at load.) The
 * set without the check also sends Cedar the lean request (test/lean-requests.test.ts).
 */
import { test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import type { CedarPolicySet } from "../src/cedar-policy-set.ts";
import { loadPolicySet } from "../src/load-policy-set.ts";
import { question } from "./questions.ts";

let unchecked: CedarPolicySet;
let checked: CedarPolicySet;

beforeAll(() => {
  const plain = loadPolicySet({ zone: "Europe/Paris" });
  const validating = loadPolicySet({ zone: "Europe/Paris", validateRequests: true });
  if (!plain.ok) throw plain.error;
  if (!validating.ok) throw validating.error;
  unchecked = plain.value;
  checked = validating.value;
});

describe("deciding without the per-request schema check", () => {
  test.prop([question], { numRuns: 400 })(
    "answers every question exactly as with the check, which never refuses a built request",
    (input) => {
      const withCheck = checked.evaluate(input);
      expect(withCheck.message ?? "").not.toMatch(/^policy evaluation failed/);
      expect(unchecked.evaluate(input)).toEqual(withCheck);
    },
  );
});
