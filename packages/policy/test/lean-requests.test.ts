/**
 * The lean request (only what the policies can read, parsed without the schema) decides exactly
 * as the whole request checked against the schema, and is used only where that is shown.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { schemaToJsonWithResolvedTypes } from "@cedar-policy/cedar-wasm/nodejs";
import { test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import { type CedarPolicySet, compilePolicySet } from "../src/cedar-policy-set.ts";
import { CEDAR_REQUEST_MODEL } from "../src/cedar-request.ts";
import { DEFAULT_SCHEMA_FILE, loadPolicySet } from "../src/load-policy-set.ts";
import { question } from "./questions.ts";

const WIDE_DIR = join(import.meta.dirname, "fixtures", "wide-policies");

function load(dir: string | undefined, validateRequests: boolean): CedarPolicySet {
  const loaded = loadPolicySet({
    ...(dir === undefined ? {} : { dir }),
    zone: "Europe/Paris",
    validateRequests,
  });
  if (!loaded.ok) throw loaded.error;
  return loaded.value;
}

describe("the lean request", () => {
  let wideLean: CedarPolicySet;
  let wideChecked: CedarPolicySet;
  beforeAll(() => {
    wideLean = load(WIDE_DIR, false);
    wideChecked = load(WIDE_DIR, true);
  });

  test("is the request model of the shipped schema, so the shipped set uses it", () => {
    const shipped = schemaToJsonWithResolvedTypes(readFileSync(DEFAULT_SCHEMA_FILE, "utf8"));
    expect(shipped.type === "success" ? shipped.json : shipped).toEqual(CEDAR_REQUEST_MODEL);
    expect(load(undefined, false).leanRequests).toBe(true);
    expect(wideLean.leanRequests).toBe(true);
    expect(wideChecked.leanRequests).toBe(false);
  });

  test.prop([question], { numRuns: 400 })(
    "decides every question as the whole request checked against the schema, for policies reading every part of it",
    (input) => {
      const withCheck = wideChecked.evaluate(input);
      expect(withCheck.message ?? "").not.toMatch(/^policy evaluation failed/);
      expect(wideLean.evaluate(input)).toEqual(withCheck);
    },
  );

  test("keeps the resource's tags where a policy reads them", () => {
    const call = (args: Record<string, unknown>) =>
      ({
        kind: "use",
        now: 1_900_000_000,
        hops: [{ sub: "agent:a", did: "d1", dpt: 1, tsk: "t", iat: 1_899_999_990 }],
        audience: "",
        action: "tool.run",
        resource: "r",
        args,
        context: { reversible: false },
      }) as Parameters<CedarPolicySet["evaluate"]>[0];
    for (const set of [wideLean, wideChecked]) {
      expect(set.evaluate(call({ a: 1 }))).toEqual({ decision: "allow", policies: ["permit-tagged"] });
      expect(set.evaluate(call({ a: 2 }))).toMatchObject({ decision: "deny", policies: [] });
      expect(set.evaluate(call({ a: 2, b: true }))).toMatchObject({
        decision: "deny",
        policies: ["args-and-tags"],
      });
    }
  });

  test("is not used with a schema of another model: its action groups still apply", () => {
    const schema = readFileSync(DEFAULT_SCHEMA_FILE, "utf8").replace(
      'action "use", "delegate" appliesTo',
      'action "any";\naction "use", "delegate" in [Action::"any"] appliesTo',
    );
    const compiled = compilePolicySet({
      sources: [
        {
          file: "group.cedar",
          text: '@id("all")\npermit (principal, action, resource);\n@id("no-one")\nforbid (principal, action in Action::"any", resource);\n',
        },
      ],
      schema: { file: "group.cedarschema", text: schema },
    });
    if (!compiled.ok) throw compiled.error;
    expect(compiled.value.leanRequests).toBe(false);
    const decision = compiled.value.evaluate({
      kind: "use",
      now: 1_900_000_000,
      hops: [{ sub: "agent:a", did: "d1", dpt: 0, tsk: "t", iat: 1_899_999_000 }],
      audience: "tool",
      action: "tool.run",
      resource: "r",
      args: {},
      context: {},
    } as Parameters<CedarPolicySet["evaluate"]>[0]);
    expect(decision).toMatchObject({ decision: "deny", policies: ["no-one"] });
  });
});
