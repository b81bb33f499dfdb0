import { beforeAll, describe, expect, test } from "vitest";
import type { CedarPolicySet } from "./cedar-policy-set.ts";
import { createCedarPolicy } from "./create-cedar-policy.ts";
import { loadPolicySet } from "./load-policy-set.ts";
import type { PolicyHopClaims, PolicyInput } from "./policy-types.ts";

// 2026-01-01 is a Thursday; 10:00 UTC is 11:00 in Paris and 05:00 in New York.
const THURSDAY_10_UTC = 1_767_261_600;

function chain(depth: number, apv?: string[]): PolicyHopClaims[] {
  const names = ["planner", "researcher", "summarizer", "fetcher", "reader"];
  return Array.from({ length: depth + 1 }, (_, dpt) => ({
    sub: `agent:${names[dpt] ?? `a${dpt}`}`,
    ...(dpt === 0 ? {} : { dlg: `agent:${names[dpt - 1] ?? `a${dpt - 1}`}` }),
    did: `did${dpt}`,
    dpt,
    tsk: "task-1",
    iat: THURSDAY_10_UTC - 60,
    ...(dpt === depth && apv !== undefined ? { apv } : {}),
  }));
}

function use(
  depth: number,
  declared: Record<string, unknown>,
  extra: Partial<PolicyInput> = {},
): PolicyInput {
  return {
    kind: "use",
    now: THURSDAY_10_UTC,
    hops: chain(depth),
    audience: "repo-tool",
    action: "repo.issues.delete",
    resource: "repo:acme/web/issues/1",
    args: {},
    context: declared,
    ...extra,
  };
}

function delegate(taskHours: unknown, now = THURSDAY_10_UTC): PolicyInput {
  return {
    kind: "delegate",
    now,
    hops: chain(1),
    audience: "",
    action: "baton.delegate",
    resource: "agent:summarizer",
    args: {},
    context: { to: "agent:summarizer", taskHours },
  };
}

describe("the default policy set", () => {
  let set: CedarPolicySet;
  beforeAll(() => {
    const loaded = loadPolicySet();
    if (!loaded.ok) throw loaded.error;
    set = loaded.value;
  });

  test("ships stable policy ids and marks the step-up ones", () => {
    expect(set.ids).toEqual([
      "baseline-permit",
      "delegate-outside-business-hours",
      "irreversible-deep-step-up",
      "sensitive-read-far-step-up",
    ]);
    expect([...set.stepUpIds].sort()).toEqual(["irreversible-deep-step-up", "sensitive-read-far-step-up"]);
  });

  describe("irreversible-deep-step-up", () => {
    test("allows an irreversible action by the planner's own delegate", () => {
      expect(set.evaluate(use(1, { reversible: false })).decision).toBe("allow");
    });

    test("allows a reversible action deep in the chain", () => {
      expect(set.evaluate(use(3, { reversible: true })).decision).toBe("allow");
    });

    test("steps up an irreversible action below the first hop, naming the policy", () => {
      expect(set.evaluate(use(2, { reversible: false }))).toMatchObject({
        decision: "step_up",
        policies: ["irreversible-deep-step-up"],
      });
    });

    test("allows it once an approval covering this call is held", () => {
      const outcome = set.evaluate(use(2, { reversible: false }, { approved: ["ap-approval"] }));
      expect(outcome.decision).toBe("allow");
      expect(outcome.policies).toContain("ap-approval");
    });
  });

  describe("sensitive-read-far-step-up", () => {
    const read = { action: "crm.contacts.read", resource: "crm:contacts" };

    test("allows a high-sensitivity read two hops from the planner", () => {
      expect(set.evaluate(use(2, { sensitivity: "high" }, read)).decision).toBe("allow");
    });

    test("allows a medium-sensitivity read far from the planner", () => {
      expect(set.evaluate(use(4, { sensitivity: "medium" }, read)).decision).toBe("allow");
    });

    test("steps up a high-sensitivity read more than two hops from the planner", () => {
      expect(set.evaluate(use(3, { sensitivity: "high" }, read))).toMatchObject({
        decision: "step_up",
        policies: ["sensitive-read-far-step-up"],
      });
    });
  });

  describe("delegate-outside-business-hours", () => {
    const weekdays9to17 = { days: [1, 2, 3, 4, 5], start: 9 * 60, end: 17 * 60 };

    test("allows a delegation inside the task's business hours", () => {
      expect(set.evaluate(delegate(weekdays9to17)).decision).toBe("allow");
    });

    test("allows delegations at any time for a task that declared no hours", () => {
      expect(set.evaluate(delegate(undefined, THURSDAY_10_UTC - 10 * 3600)).decision).toBe("allow");
    });

    test("denies a delegation before the task's hours start, naming the policy", () => {
      expect(set.evaluate(delegate(weekdays9to17, THURSDAY_10_UTC - 2 * 3600))).toMatchObject({
        decision: "deny",
        policies: ["delegate-outside-business-hours"],
      });
    });

    test("denies a delegation on a day the task does not work", () => {
      const saturday = THURSDAY_10_UTC + 2 * 86_400;
      expect(set.evaluate(delegate(weekdays9to17, saturday)).decision).toBe("deny");
    });

    test("reads the hours in the configured zone", () => {
      const loaded = loadPolicySet({ zone: "America/New_York" });
      if (!loaded.ok) throw loaded.error;
      // 10:00 UTC is 05:00 in New York: outside 09:00–17:00 there, inside it in UTC.
      expect(loaded.value.evaluate(delegate(weekdays9to17)).decision).toBe("deny");
      expect(set.evaluate(delegate(weekdays9to17)).decision).toBe("allow");
    });

    test("an approval cannot lift a plain deny", () => {
      const input = { ...delegate(weekdays9to17, THURSDAY_10_UTC - 2 * 3600), approved: ["ap-x"] };
      expect(set.evaluate(input).decision).toBe("deny");
    });
  });

  test("createCedarPolicy answers what the set answers", () => {
    const hook = createCedarPolicy(set);
    expect(hook(use(2, { reversible: false })).decision).toBe("step_up");
    expect(hook(use(1, {})).decision).toBe("allow");
  });
});
