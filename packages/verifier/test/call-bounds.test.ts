/**
 * Issue 14: a call's `args` and `context` are bounded (depth, members, size) and must be plain
 * JSON, and `verify()` answers every input with a decision, with the shipped Cedar policy too.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
// The shipped default policy, as a tool server would load it (the verifier itself does not depend on it).
import { createCedarPolicy, loadPolicySet } from "../../policy/src/index.ts";
import { CALL_BOUNDS, callFieldProblem } from "../src/call-bounds.ts";
import type { Decision } from "../src/decision.ts";
import type { PolicyHook } from "../src/policy-hook.ts";
import { makeVerifier, presentation, standardChain } from "./fixtures.ts";

const loaded = loadPolicySet();
if (!loaded.ok) throw loaded.error;
const cedar: PolicyHook = createCedarPolicy(loaded.value);
const chain = standardChain();

function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

function nestedObjects(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

function expectMalformedCall(decision: Decision, field: "args" | "context", words: string): void {
  expect(decision.decision).toBe("deny");
  expect(decision.reasons).toHaveLength(1);
  expect(decision.reasons[0]).toMatchObject({ hop: null, code: "malformed" });
  expect(decision.reasons[0]?.message).toContain(field);
  expect(decision.reasons[0]?.message).toContain(words);
}

describe("call arguments without bounds", () => {
  test("refuses args of 30,000 nested arrays as malformed instead of throwing out of verify()", async () => {
    const verifier = makeVerifier({ policy: cedar });
    const decision = await verifier.verify(presentation(chain, { args: { deep: nestedArrays(30_000) } }));
    expectMalformedCall(decision, "args", "deeper than 32 levels");
  });

  test("refuses a context nested deeper than the bound, naming where", async () => {
    const decision = await makeVerifier({ policy: cedar }).verify(
      presentation(chain, { context: nestedObjects(CALL_BOUNDS.maxDepth + 1) }),
    );
    expectMalformedCall(decision, "context", "context.a.a");
  });

  test("keeps a call exactly at the depth bound", async () => {
    const decision = await makeVerifier({ policy: cedar }).verify(
      presentation(chain, { args: nestedObjects(CALL_BOUNDS.maxDepth) }),
    );
    expect(decision).toMatchObject({ decision: "allow", reasons: [] });
  });

  test("refuses args with more members than the bound, also as a sparse array", async () => {
    const wide = Object.fromEntries(
      Array.from({ length: CALL_BOUNDS.maxMembers + 1 }, (_, i) => [`k${i}`, i]),
    );
    const verifier = makeVerifier({ policy: cedar });
    expectMalformedCall(await verifier.verify(presentation(chain, { args: wide })), "args", "members");
    const sparse: unknown[] = [];
    sparse.length = 1_000_000_000;
    expectMalformedCall(await verifier.verify(presentation(chain, { args: { sparse } })), "args", "members");
  });

  test("refuses args larger than the size bound as JSON", async () => {
    const big = { text: "x".repeat(CALL_BOUNDS.maxJsonLength) };
    const decision = await makeVerifier({ policy: cedar }).verify(presentation(chain, { args: big }));
    expectMalformedCall(decision, "args", "larger than");
  });

  test("refuses values that are not JSON, and args that are not an object", () => {
    expect(callFieldProblem("args", { n: 10n })).toContain("bigint");
    expect(callFieldProblem("args", { f: () => 1 })).toContain("function");
    expect(callFieldProblem("args", { d: new Date(0) })).toContain("not a JSON value");
    expect(callFieldProblem("args", [1, 2])).toBe("args must be a JSON object");
    expect(callFieldProblem("context", "low")).toBe("context must be a JSON object");
    expect(callFieldProblem("args", { ok: [1, "two", null, true, { three: 3 }], gone: undefined })).toBe(
      undefined,
    );
  });

  test("refuses a cyclic value without looping", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(callFieldProblem("args", cyclic)).toContain("deeper than");
  });
});

describe("verify() answers every input", () => {
  test("turns a throwing policy hook into a deny with code internal", async () => {
    const throwing: PolicyHook = () => {
      throw new RangeError("secret detail hunter2");
    };
    const decision = await makeVerifier({ policy: throwing }).verify(presentation(chain));
    expect(decision).toMatchObject({
      decision: "deny",
      reasons: [{ hop: null, code: "internal" }],
      chain: [],
      task: null,
    });
    expect(decision.reasons[0]?.message).toContain("RangeError");
    expect(decision.reasons[0]?.message).not.toContain("hunter2");
  });

  test("turns a key source that throws into a deny with code internal", async () => {
    const keys = {
      resolve: () => {
        throw new Error("key store unreachable");
      },
    };
    const decision = await makeVerifier({ keys }).verify(presentation(chain));
    expect(decision.reasons).toMatchObject([{ code: "internal" }]);
  });

  // Arbitrary JSON, plus the shapes that broke things: very deep arrays and objects.
  const deepJson = fc.oneof(
    fc.integer({ min: 1, max: 40_000 }).map(nestedArrays),
    fc.integer({ min: 1, max: 40_000 }).map(nestedObjects),
  );
  const anyJson = fc.oneof({ weight: 9, arbitrary: fc.jsonValue() }, { weight: 1, arbitrary: deepJson });
  const jsonObject = fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 6 });
  const fieldValue = fc.oneof(
    { weight: 6, arbitrary: jsonObject },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  // Half the requests present the real chain and the default call with a fresh proof, so the
  // arbitrary args and context reach Cedar; the rest replace any part with arbitrary text.
  const sometimes = (text: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: text });
  const requestShape = fc.record({
    args: fieldValue,
    context: fieldValue,
    action: sometimes(fc.string()),
    resource: sometimes(fc.string()),
    chain: sometimes(fc.string()),
    proof: sometimes(fc.string()),
  });

  const verifier = makeVerifier({ policy: cedar });
  const RUNS = 150;
  let reachedPolicy = 0;
  test.prop([requestShape], { numRuns: RUNS, seed: 14 })(
    "returns a decision with the Cedar default policy for arbitrary args, context, action, resource, chain and proof",
    async (shape) => {
      const request = presentation(chain, {
        ...(shape.action === undefined ? {} : { action: shape.action }),
        ...(shape.resource === undefined ? {} : { resource: shape.resource }),
        ...(shape.chain === undefined ? {} : { chain: shape.chain }),
      });
      const decision = await verifier.verify({
        ...request,
        ...(shape.proof === undefined ? {} : { proof: shape.proof }),
        args: shape.args as Record<string, unknown>,
        context: shape.context as Record<string, unknown>,
      });
      expect(["allow", "deny", "step_up"]).toContain(decision.decision);
      expect(Array.isArray(decision.reasons)).toBe(true);
      if (decision.decision !== "deny" || decision.reasons.some((r) => r.code === "policy_denied"))
        reachedPolicy++;
    },
  );

  test("sent a good share of those inputs all the way to the policy", () => {
    // An allow or step_up, or a policy deny, can only come from Cedar having evaluated the call.
    expect(reachedPolicy).toBeGreaterThan(RUNS / 5);
  });
});
