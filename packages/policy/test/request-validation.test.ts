/**
 * The evidence for deciding without Cedar's per-request schema check: for arbitrary questions, the
 * shipped set answers the same with and without it, and the check never refuses a request that
 * `cedarRequest` built. (The policies themselves are validated against the schema at load.)
 */
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import type { CedarPolicySet } from "../src/cedar-policy-set.ts";
import { loadPolicySet } from "../src/load-policy-set.ts";
import type { PolicyInput } from "../src/policy-types.ts";

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

const anyText = fc.string({ unit: "binary", maxLength: 40 });
const time = fc.integer({ min: 0, max: 2 ** 40 });
const hop = fc.record(
  {
    sub: anyText,
    dlg: anyText,
    did: anyText,
    dpt: fc.integer({ min: 0, max: 64 }),
    tsk: anyText,
    iat: time,
    apv: fc.array(anyText, { maxLength: 3 }),
  },
  { requiredKeys: ["sub", "did", "dpt", "tsk", "iat"] },
);
/** What tool servers and the service may declare: the known facts, of any type, and anything else. */
const declared = fc.record(
  {
    sensitivity: fc.oneof(fc.constantFrom("low", "medium", "high", "unknown"), fc.jsonValue()),
    reversible: fc.oneof(fc.boolean(), fc.jsonValue()),
    to: fc.oneof(anyText, fc.jsonValue()),
    intent: fc.oneof(anyText, fc.jsonValue()),
    taskIntent: fc.oneof(anyText, fc.jsonValue()),
    taskOpenedAt: fc.oneof(time, fc.jsonValue()),
    taskHours: fc.oneof(
      fc.record({
        days: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 8 }),
        start: fc.integer({ min: -1, max: 1441 }),
        end: fc.integer({ min: -1, max: 1441 }),
      }),
      fc.jsonValue(),
    ),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const question: fc.Arbitrary<PolicyInput> = fc.record(
  {
    kind: fc.constantFrom("use", "delegate"),
    now: time,
    hops: fc.array(hop, { minLength: 1, maxLength: 6 }),
    audience: anyText,
    action: anyText,
    resource: anyText,
    args: fc.dictionary(anyText, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    context: declared,
    approved: fc.array(anyText, { maxLength: 2 }),
  },
  { requiredKeys: ["kind", "now", "hops", "audience", "action", "resource", "args", "context"] },
);

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
