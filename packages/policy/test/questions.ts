/**
 * Arbitrary policy questions for property tests: any ids, arguments and declared facts, of any
 * JSON type, with the values the test policies look for mixed in so that their conditions fire.
 */
import { fc } from "@fast-check/vitest";
import type { PolicyInput } from "../src/policy-types.ts";

const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    "a",
    "b",
    "mallory",
    "repo.admin",
    "agent:x",
    "drop tables",
    "baton.delegate",
    "x.read",
  ),
);
const time = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.integer({ min: 1_899_990_000, max: 1_900_010_000 }),
);
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

export const question: fc.Arbitrary<PolicyInput> = fc.record(
  {
    kind: fc.constantFrom("use", "delegate"),
    now: time,
    hops: fc.array(hop, { minLength: 1, maxLength: 6 }),
    audience: anyText,
    action: anyText,
    resource: anyText,
    args: fc.dictionary(anyText, fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(1, "11", true)), {
      maxKeys: 6,
    }),
    context: declared,
    approved: fc.array(anyText, { maxLength: 2 }),
  },
  { requiredKeys: ["kind", "now", "hops", "audience", "action", "resource", "args", "context"] },
);
