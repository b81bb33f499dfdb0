/**
 * Cedar's answers remembered by exact lean request: a remembered answer is the answer Cedar gives,
 * equal calls ask Cedar once, and only plain JSON data is ever a key.
 */
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect, vi } from "vitest";

const cedarCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock("@cedar-policy/cedar-wasm/nodejs", async (importOriginal) => {
  const cedar = await importOriginal<typeof import("@cedar-policy/cedar-wasm/nodejs")>();
  return {
    ...cedar,
    statefulIsAuthorized: (...args: Parameters<typeof cedar.statefulIsAuthorized>) => {
      cedarCalls.count++;
      return cedar.statefulIsAuthorized(...args);
    },
  };
});

const { AnswerMemo, plainKey } = await import("../src/answer-memo.ts");
const { loadPolicySet } = await import("../src/load-policy-set.ts");
const { question } = await import("./questions.ts");
type CedarPolicySet = import("../src/cedar-policy-set.ts").CedarPolicySet;
type PolicyInput = import("../src/policy-types.ts").PolicyInput;

function load(validateRequests: boolean): CedarPolicySet {
  const loaded = loadPolicySet({ zone: "Europe/Paris", validateRequests });
  if (!loaded.ok) throw loaded.error;
  return loaded.value;
}

const call = (over: Partial<PolicyInput> = {}, context: Record<string, unknown> = {}): PolicyInput =>
  ({
    kind: "use",
    now: 1_900_000_000,
    hops: [
      { sub: "agent:planner", did: "d0", dpt: 0, tsk: "t", iat: 1_899_999_000 },
      { sub: "agent:worker", did: "d1", dpt: 1, tsk: "t", iat: 1_899_999_500 },
    ],
    audience: "tools",
    action: "repo.issues.create",
    resource: "repo:acme/web/issues",
    args: {},
    context: { reversible: false, ...context },
    ...over,
  }) as PolicyInput;

describe("the shipped set's remembered answers", () => {
  let shipped: CedarPolicySet;
  let checked: CedarPolicySet;
  beforeAll(() => {
    shipped = load(false);
    checked = load(true);
  });

  test("asks Cedar once for equal calls, and again for a call that differs in what a policy reads", () => {
    const before = cedarCalls.count;
    const first = shipped.evaluate(call());
    expect(shipped.evaluate(call())).toEqual(first);
    expect(cedarCalls.count - before).toBe(1);
    // Proof-of-possession details, the time and unread declarations reach no policy of a `use`.
    expect(shipped.evaluate(call({ now: 1_900_000_777 }, { ticket: "T-1" }))).toEqual(first);
    expect(cedarCalls.count - before).toBe(1);
    // `reversible` is read (irreversible-deep-step-up): a new question.
    expect(shipped.evaluate(call({}, { reversible: true }))).toMatchObject({ decision: "allow" });
    expect(cedarCalls.count - before).toBe(2);
  });

  test("a remembered step-up is still lifted by the approval the call carries", () => {
    const deep = call({
      hops: [
        { sub: "agent:planner", did: "d0", dpt: 0, tsk: "t", iat: 1_899_999_000 },
        { sub: "agent:a", did: "d1", dpt: 1, tsk: "t", iat: 1_899_999_100 },
        { sub: "agent:b", did: "d2", dpt: 2, tsk: "t", iat: 1_899_999_200 },
      ],
    } as Partial<PolicyInput>);
    expect(shipped.evaluate(deep)).toMatchObject({ decision: "step_up" });
    expect(shipped.evaluate({ ...deep, approved: ["ap-1"] } as PolicyInput)).toMatchObject({
      decision: "allow",
    });
    expect(shipped.evaluate(deep)).toMatchObject({ decision: "step_up" });
  });

  test.prop([fc.array(question, { minLength: 1, maxLength: 12 })], { numRuns: 60 })(
    "answers any calls, each asked twice, as the whole request checked against the schema",
    (inputs) => {
      for (const input of [...inputs, ...inputs])
        expect(shipped.evaluate(input)).toEqual(checked.evaluate(input));
    },
  );
});

describe("plainKey", () => {
  const plain = fc.jsonValue().filter((value) => {
    const text = JSON.stringify(value);
    return (
      !text.includes("null") &&
      !JSON.stringify(value, (_k, v) => (Object.is(v, -0) ? "minus zero" : v)).includes("minus zero")
    );
  });

  test.prop([plain])("is the JSON text of plain JSON data", (value) => {
    expect(plainKey(value)).toBe(JSON.stringify(value));
  });

  test.each([
    ["null", null],
    ["undefined", undefined],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-0", -0],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a nested undefined", { a: [1, { b: undefined }] }],
    ["a nested null", [{ a: null }]],
    ["a BigInt", 1n],
  ])("is undefined for %s, which is never remembered", (_name, value) => {
    expect(plainKey(value)).toBeUndefined();
  });
});

describe("AnswerMemo", () => {
  test("keeps at most its size, dropping the oldest answer first", () => {
    const memo = new AnswerMemo<number>(3);
    for (const [index, key] of ["a", "b", "c", "d"].entries()) memo.set(key, index);
    expect(memo.size).toBe(3);
    expect(memo.get("a")).toBeUndefined();
    expect([memo.get("b"), memo.get("c"), memo.get("d")]).toEqual([1, 2, 3]);
    memo.set("c", 9);
    expect(memo.size).toBe(3);
    expect(memo.get("c")).toBe(9);
  });
});
