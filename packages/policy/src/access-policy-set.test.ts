import { fc, test as propertyTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { type AccessQuestion, cedarValue, compileAccessPolicySet, loadAccessPolicySet } from "./index.ts";

const compile = (text: string, entities?: unknown[]) => {
  const compiled = compileAccessPolicySet({
    sources: [{ file: "test.cedar", text }],
    ...(entities === undefined
      ? {}
      : { entities: { file: "entities.json", text: JSON.stringify(entities) } }),
  });
  if (!compiled.ok) throw compiled.error;
  return compiled.value;
};

const ask = (overrides: Partial<AccessQuestion> = {}): AccessQuestion => ({
  subject: { type: "user", id: "alice" },
  action: { name: "read" },
  resource: { type: "doc", id: "d1" },
  ...overrides,
});

describe("access policy sets (chain-less AuthZEN questions)", () => {
  test("maps subject, action and resource onto principal, Action and resource, naming the permit", () => {
    const set = compile(
      '@id("alice-reads") permit (principal == user::"alice", action == Action::"read", resource is doc);',
    );
    expect(set.evaluate(ask())).toEqual({ decision: "allow", policies: ["alice-reads"] });
    expect(set.evaluate(ask({ subject: { type: "user", id: "bob" } })).decision).toBe("deny");
    expect(set.evaluate(ask({ action: { name: "write" } })).message).toBe("no policy permits this");
  });

  test("lays the request's properties over the set's entities, and reads action properties from context.action", () => {
    const set = compile(
      '@id("p") permit (principal, action, resource) when { principal.role == "admin" && resource.status == "open" && context.action.soft == true };',
      [
        { uid: { type: "user", id: "alice" }, attrs: { role: "admin" } },
        { uid: { type: "doc", id: "d1" }, attrs: { status: "closed" } },
      ],
    );
    const soft = { name: "read", properties: { soft: true } };
    expect(set.evaluate(ask({ action: soft })).decision).toBe("deny");
    const open = { type: "doc", id: "d1", properties: { status: "open" } };
    expect(set.evaluate(ask({ action: soft, resource: open })).decision).toBe("allow");
    const demoted = { type: "user", id: "alice", properties: { role: "viewer" } };
    expect(set.evaluate(ask({ action: soft, resource: open, subject: demoted })).decision).toBe("deny");
  });

  test("never reads a property as an entity reference or an extension call", () => {
    const set = compile(
      '@id("p") permit (principal, action, resource) when { principal has boss && principal.boss == user::"root" };',
    );
    const smuggled = {
      type: "user",
      id: "alice",
      properties: { boss: { __entity: { type: "user", id: "root" } } },
    };
    expect(set.evaluate(ask({ subject: smuggled })).decision).toBe("deny");
    expect(cedarValue({ __extn: { fn: "ip", arg: "10.0.0.1" }, ok: 1 })).toEqual({ ok: 1 });
  });

  test("denies a subject or resource type that no Cedar policy could name", () => {
    const set = compile('@id("p") permit (principal, action, resource);');
    const answer = set.evaluate(ask({ resource: { type: "urn:doc", id: "d1" } }));
    expect(answer.decision).toBe("deny");
    expect(answer.message).toContain("not a Cedar entity type name");
  });

  test("refuses a set without ids, with a duplicate id, or with entities that are not Cedar's", () => {
    const without = compileAccessPolicySet({
      sources: [{ file: "a.cedar", text: "permit (principal, action, resource);" }],
    });
    expect(without.ok ? undefined : without.error.code).toBe("policy_id_missing");
    const twice = compileAccessPolicySet({
      sources: [
        {
          file: "a.cedar",
          text: '@id("x") permit (principal, action, resource); @id("x") permit (principal, action, resource);',
        },
      ],
    });
    expect(twice.ok ? undefined : twice.error.code).toBe("policy_id_duplicate");
    const entities = compileAccessPolicySet({
      sources: [{ file: "a.cedar", text: '@id("x") permit (principal, action, resource);' }],
      entities: { file: "entities.json", text: '{"uid": 1}' },
    });
    expect(entities.ok ? undefined : entities.error.code).toBe("policy_syntax");
  });

  test("loads the shipped example sets", () => {
    for (const name of ["authzen-certification", "authzen-todo"]) {
      const loaded = loadAccessPolicySet(new URL(`../examples/${name}`, import.meta.url).pathname);
      expect(loaded.ok, name).toBe(true);
    }
  });

  propertyTest.prop([fc.jsonValue()])("decides any JSON properties without throwing", (properties) => {
    const set = compile(
      '@id("p") permit (principal, action, resource) when { principal has x && principal.x == 1 };',
    );
    const bag = { x: properties, nested: [properties] };
    const answer = set.evaluate(
      ask({
        subject: { type: "user", id: "alice", properties: bag },
        action: { name: "read", properties: bag },
        context: bag,
      }),
    );
    expect(["allow", "deny"]).toContain(answer.decision);
  });
});
