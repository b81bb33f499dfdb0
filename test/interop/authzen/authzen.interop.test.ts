/**
 * OpenID AuthZEN 1.0 interop (issue 20): the real service, over loopback HTTP, answers every
 * Basic, Batch and Discovery case of the certification scenario (request bodies read from the
 * kept copy of the scenario, `certification-scenario.md`) with the example policy set
 * `packages/policy/examples/authzen-certification`, and every case of the interop Todo decision
 * file with `packages/policy/examples/authzen-todo`. The PEP authenticates with an audience secret.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BatonOperator } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("../../../packages/policy/examples/", import.meta.url));
const OPERATOR_TOKEN = "authzen-operator-token-0123456789abcdef";

/**
 * The scenario's request bodies by section id: every ~~~ json block introduced by a
 * "**Request" line, in order.
 */
function scenarioRequests(): Map<string, unknown[]> {
  const text = readFileSync(join(HERE, "certification-scenario.md"), "utf8");
  const sections = new Map<string, unknown[]>();
  let section = "";
  let lastText = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const heading = /^#+ .*\{#(c-[\d-]+)\}\s*$/.exec(line);
    if (heading !== null) {
      section = heading[1] ?? "";
      sections.set(section, []);
      continue;
    }
    if (line.startsWith("~~~ json")) {
      const end = lines.indexOf("~~~", i + 1);
      if (/^\*\*Request/.test(lastText))
        sections.get(section)?.push(JSON.parse(lines.slice(i + 1, end).join("\n")));
      i = end;
      continue;
    }
    if (line.trim() !== "") lastText = line;
  }
  return sections;
}

/** A running service with an access policy set, and the secret of a registered PEP audience. */
async function serviceWith(policyDir: string): Promise<{ service: RunningServer; secret: string }> {
  const service = await startServer(
    loadConfig(
      {
        BATON_DB: ":memory:",
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BATON_LOG_LEVEL: "silent",
        BATON_AUTHZEN_POLICY_DIR: policyDir,
      },
      ["--port", "0"],
    ),
    { print: () => {} },
  );
  const operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
  const { secret } = await operator.registerAudience({ id: "pep" });
  return { service, secret };
}

const RESPONSE_SCHEMA = JSON.parse(readFileSync(join(HERE, "evaluation-response.schema.json"), "utf8")) as {
  required: string[];
  properties: Record<string, { type: string }>;
};

/** What the final text's response schema asks: its required members, each member of its type. */
function expectDecisionShape(body: unknown): asserts body is { decision: boolean; context?: object } {
  const object = body as Record<string, unknown>;
  for (const member of RESPONSE_SCHEMA.required) expect(object).toHaveProperty(member);
  for (const [member, { type }] of Object.entries(RESPONSE_SCHEMA.properties)) {
    const value = object[member];
    if (value === undefined) continue;
    if (type === "object")
      expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
    else expect(typeof value).toBe(type);
  }
}

test("keeps the AuthZEN data exactly as copied from openid/authzen", () => {
  const digests = {
    "certification-scenario.md": "dc6846304169f32077c2f4a74a0912fff2df734a20999762b0055e15ac8ce534",
    "decisions-authorization-api-1_0-02.json":
      "26a066ebece7d6b48b56ae9dc53c14b628120d259b7247b5c94d9c547411aab7",
    "evaluation-request.schema.json": "2a9445698b44388f5d540e3b0e1cace219e00d59651e46362af9e0eadebf5da8",
    "evaluation-response.schema.json": "94c6f263f68f5efa0ad6aa1e2fb9cc186d3c7c759eb854065979749c98d7a4e0",
  };
  for (const [file, digest] of Object.entries(digests))
    expect({
      file,
      digest: createHash("sha256")
        .update(readFileSync(join(HERE, file)))
        .digest("hex"),
    }).toEqual({
      file,
      digest,
    });
});

describe("the certification scenario (authorization-api-1_0-scenario)", () => {
  const requests = scenarioRequests();
  let service: RunningServer;
  let secret: string;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...headers },
      body,
    });
  const evaluate = async (path: string, body: unknown) => {
    const response = await post(path, JSON.stringify(body));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    return (await response.json()) as Record<string, unknown>;
  };
  const section = (id: string): unknown[] => {
    const found = requests.get(id);
    if (found === undefined || found.length === 0) throw new Error(`no request in section ${id}`);
    return found;
  };

  beforeAll(async () => {
    ({ service, secret } = await serviceWith(join(EXAMPLES, "authzen-certification")));
  });
  afterAll(() => service.close());

  test.each([
    ["c-2-2-1", true],
    ["c-2-2-2", false],
    ["c-2-2-3", true],
    ["c-2-2-4", false],
    ["c-2-2-5", true],
    ["c-2-2-6", true],
    ["c-2-2-7", false],
    ["c-2-2-8", true],
    ["c-2-2-9", true],
  ])("decides %s as the fixture says (%s), saying policy alone decided", async (id, expected) => {
    for (const request of section(id)) {
      const body = await evaluate("/access/v1/evaluation", request);
      expectDecisionShape(body);
      expect(body.decision).toBe(expected);
      expect(body.context).toMatchObject({ decided_by: "policy", chain: null });
    }
  });

  test.each(["c-2-4-1", "c-2-4-2", "c-2-4-6"])("refuses every request of %s with a 400", async (id) => {
    const cases = section(id);
    expect(cases.length).toBeGreaterThan(1);
    for (const request of cases) {
      const response = await post("/access/v1/evaluation", JSON.stringify(request));
      expect(response.status, JSON.stringify(request)).toBe(400);
    }
  });

  test("refuses another content type, malformed JSON and an empty body with a 400 (c-2-4-3 to c-2-4-5)", async () => {
    const valid = JSON.stringify(section("c-2-2-1")[0]);
    expect((await post("/access/v1/evaluation", valid, { "content-type": "text/plain" })).status).toBe(400);
    expect((await post("/access/v1/evaluation", '{"subject": {', {})).status).toBe(400);
    expect((await post("/access/v1/evaluation", "", {})).status).toBe(400);
    expect((await post("/access/v1/evaluations", '{"evaluations": [', {})).status).toBe(400);
  });

  test("echoes X-Request-ID, and answers without one (c-2-5)", async () => {
    const valid = JSON.stringify(section("c-2-2-1")[0]);
    const id = "pep:req/42 7f3c";
    const echoed = await post("/access/v1/evaluation", valid, { "x-request-id": id });
    expect(echoed.headers.get("x-request-id")).toBe(id);
    const batch = await post("/access/v1/evaluations", valid, { "x-request-id": id });
    expect(batch.headers.get("x-request-id")).toBe(id);
    const refused = await post("/access/v1/evaluation", "{}", { "x-request-id": id });
    expect([refused.status, refused.headers.get("x-request-id")]).toEqual([400, id]);
    expect((await post("/access/v1/evaluation", valid)).status).toBe(200);
  });

  test("gives the same decision to the same request every time (c-2-6)", async () => {
    const decisions = [];
    for (let i = 0; i < 3; i++)
      decisions.push((await evaluate("/access/v1/evaluation", section("c-2-2-1")[0])).decision);
    expect(decisions).toEqual([true, true, true]);
  });

  test.each([
    ["c-3-2-1", [undefined, undefined]],
    ["c-3-2-2", [true, false]],
    ["c-3-2-3", [true, false]],
    ["c-3-2-4", [false, true]],
    ["c-3-2-5", [true, false]],
    ["c-3-2-6", [undefined, undefined]],
    ["c-3-2-7", [true, false]],
    ["c-3-4-1", [true, false]],
  ])("answers the batch %s item by item, in order", async (id, expected) => {
    const body = await evaluate("/access/v1/evaluations", section(id)[0]);
    const evaluations = body.evaluations as unknown[];
    expect(evaluations).toHaveLength(expected.length);
    for (const [index, item] of evaluations.entries()) {
      expectDecisionShape(item);
      if (expected[index] !== undefined) expect(item.decision).toBe(expected[index]);
    }
  });

  test("marks a batch item that cannot be read as a deny with its error (c-3-4-1)", async () => {
    const body = await evaluate("/access/v1/evaluations", section("c-3-4-1")[0]);
    expect((body.evaluations as unknown[])[1]).toMatchObject({
      decision: false,
      context: { error: { status: 400, code: "invalid_request" } },
    });
  });

  test.each(["c-3-4-2", "c-3-4-3"])(
    "answers %s (no or an empty evaluations array) as one evaluation",
    async (id) => {
      const body = await evaluate("/access/v1/evaluations", section(id)[0]);
      expect(body.decision).toBe(true);
      expect(body.evaluations).toBeUndefined();
    },
  );

  test("publishes PDP metadata (c-6)", async () => {
    const response = await fetch(`${service.url}/.well-known/authzen-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({
      policy_decision_point: service.issuer,
      access_evaluation_endpoint: `${service.issuer}/access/v1/evaluation`,
      access_evaluations_endpoint: `${service.issuer}/access/v1/evaluations`,
    });
  });
});

describe("the interop Todo decisions (decisions-authorization-api-1_0-02.json)", () => {
  const decisions = JSON.parse(
    readFileSync(join(HERE, "decisions-authorization-api-1_0-02.json"), "utf8"),
  ) as {
    evaluation: { request: unknown; expected: boolean }[];
    evaluations: { request: unknown; expected: { decision: boolean }[] }[];
  };
  let service: RunningServer;
  let secret: string;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    ({ service, secret } = await serviceWith(join(EXAMPLES, "authzen-todo")));
  });
  afterAll(() => service.close());

  test(`decides all ${decisions.evaluation.length} single evaluations as expected`, async () => {
    expect(decisions.evaluation.length).toBe(40);
    const wrong = [];
    for (const { request, expected } of decisions.evaluation) {
      const body = await post("/access/v1/evaluation", request);
      if (body.decision !== expected) wrong.push({ request, expected, got: body });
    }
    expect(wrong).toEqual([]);
  });

  test(`decides all ${decisions.evaluations.length} batches as expected`, async () => {
    for (const { request, expected } of decisions.evaluations) {
      const body = await post("/access/v1/evaluations", request);
      expect((body.evaluations as { decision: boolean }[]).map((item) => item.decision)).toEqual(
        expected.map((item) => item.decision),
      );
    }
  });
});
