import { type PolicyJson, policyToJson } from "@cedar-policy/cedar-wasm/nodejs";
import { describe, expect, test } from "vitest";
import { type ContextReads, projectContext, requestReads } from "./request-reads.ts";

function json(text: string): PolicyJson {
  const parsed = policyToJson(text);
  if (parsed.type === "failure") throw new Error(parsed.errors[0]?.message);
  return parsed.json;
}

function readsOf(...texts: string[]) {
  return requestReads(texts.map(json));
}

const CONTEXT = {
  kind: "use",
  depth: 3,
  task: { id: "t", intent: "", hours: { declared: true, days: [1, 2], start: 0, end: 60 } },
  local: { hour: 1, minute: 2, minuteOfDay: 62, weekday: 3 },
  utc: { hour: 0, minute: 2, minuteOfDay: 2, weekday: 3 },
  args: ["a"],
  approvals: [],
};

function projected(reads: ContextReads) {
  return projectContext(CONTEXT, reads);
}

describe("requestReads and projectContext", () => {
  test("keep exactly the attribute paths the conditions reach", () => {
    const reads = readsOf(
      "forbid (principal, action, resource) when { context.depth > 1 && context.task.hours.days.contains(context.local.weekday) };",
    );
    expect(projected(reads.context)).toEqual({
      depth: 3,
      task: { hours: { days: [1, 2] } },
      local: { weekday: 3 },
    });
    expect(reads.entities).toBe(false);
  });

  test("keep what a `has` test asks about, so presence and absence read the same", () => {
    const reads = readsOf(
      "permit (principal, action, resource) when { context has task.hours && context.task has owner && context has missing };",
    );
    expect(projected(reads.context)).toEqual({
      task: { hours: CONTEXT.task.hours },
    });
  });

  test("send a value used as a whole (compared, passed on, put in a literal) as it is", () => {
    const reads = readsOf(
      'permit (principal, action, resource) when { context.utc == context.local && {"Value": context.kind}.Value == "use" && (if context.depth > 0 then context.args else []).isEmpty() };',
    );
    expect(projected(reads.context)).toEqual({
      utc: CONTEXT.utc,
      local: CONTEXT.local,
      kind: "use",
      depth: 3,
      args: ["a"],
    });
  });

  test("send the whole context when a condition uses `context` itself", () => {
    const reads = readsOf('permit (principal, action, resource) when { context == {"a": 1} };');
    expect(projected(reads.context)).toBe(CONTEXT);
  });

  test("ignore policies scoped to another action, when asked for one action", () => {
    const policies = [
      json('forbid (principal, action == Action::"delegate", resource) when { context.local.weekday == 1 };'),
      json('forbid (principal, action == Action::"use", resource) when { context.depth > 1 };'),
      json('forbid (principal, action, resource) when { context.kind == "x" };'),
    ];
    expect(projectContext(CONTEXT, requestReads(policies, "use").context)).toEqual({ depth: 3, kind: "use" });
    expect(projectContext(CONTEXT, requestReads(policies, "delegate").context)).toEqual({
      local: { weekday: 3 },
      kind: "use",
    });
    expect(projectContext(CONTEXT, requestReads(policies).context)).toEqual({
      local: { weekday: 3 },
      depth: 3,
      kind: "use",
    });
  });

  test("ask for the entities only when a condition can see entity data", () => {
    expect(readsOf("permit (principal, action, resource) when { context.depth > 1 };").entities).toBe(false);
    expect(readsOf('permit (principal == Agent::"a", action, resource);').entities).toBe(false);
    for (const condition of [
      'resource.hasTag("path")',
      'resource.getTag("path") == "x"',
      "principal has name",
      'principal in Team::"t"',
      "resource is Resource",
      'context.depth > 1 && ip("10.0.0.1").isLoopback() && principal.owner == resource',
    ]) {
      expect(readsOf(`permit (principal, action, resource) when { ${condition} };`).entities).toBe(true);
    }
  });

  test("read anything from a shape it does not know", () => {
    const policy = json("permit (principal, action, resource) when { context.depth > 1 };");
    const unknown = { ...policy, conditions: [{ kind: "when", body: { Unknown: { name: "x" } } }] };
    const reads = requestReads([unknown as unknown as PolicyJson]);
    expect(projected(reads.context)).toBe(CONTEXT);
    expect(reads.entities).toBe(true);
  });

  test("keep a Cedar entity or extension escape whole", () => {
    const reads = readsOf('permit (principal, action, resource) when { context.owner.name == "x" };');
    const owner = { __entity: { type: "Agent", id: "a" } };
    expect(projectContext({ owner, other: 1 }, reads.context)).toEqual({ owner });
  });
});
