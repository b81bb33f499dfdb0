/**
 * Attack catalogue, part 4 (issue 9): HTTP-level abuse of the real service: oversize bodies, deep
 * JSON nesting, wrong content types, malformed credentials, and SQL metacharacters that must be
 * stored and returned verbatim. Every refusal changes nothing.
 */
import { Agent as HttpAgent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeKey } from "../../packages/verifier/test/fixtures.ts";
import { type Agent, type SecurityService, startSecurityService } from "./harness.ts";

let svc: SecurityService;
let alice: Agent;

beforeAll(async () => {
  svc = await startSecurityService();
  alice = await svc.registerAgent("alice");
  await svc.grant(alice);
});
afterAll(async () => {
  await svc?.close();
});

const agentCount = async () => (await svc.store.listAgents()).length;

/**
 * A large POST on a connection of its own (no keep-alive pool): the service may close the socket
 * after refusing an unread body, and a pooled socket would then fail the next, unrelated request.
 */
function rawPost(
  path: string,
  body: string,
  headers: Record<string, string>,
  chunked = false,
  agent: HttpAgent | false = false,
): Promise<{ status: number; type: string; connection: string; json: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${svc.url}${path}`,
      {
        method: "POST",
        agent,
        headers: { ...headers, ...(chunked ? {} : { "content-length": String(Buffer.byteLength(body)) }) },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            connection: String(res.headers.connection ?? ""),
            json: JSON.parse(text) as { code?: string },
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
const operatorJson = {
  authorization: "Bearer security-operator-token-0123456789abcdef",
  "content-type": "application/json",
};
async function codeOf(response: Response): Promise<string> {
  expect(response.headers.get("content-type") ?? "").toContain("application/problem+json");
  return ((await response.json()) as { code: string }).code;
}

describe("HTTP-level abuse", () => {
  it("refuses a body over 64 KiB with 413 payload_too_large and registers nothing", async () => {
    const before = await agentCount();
    const body = JSON.stringify({ id: "agent:big", jwk: makeKey().jwk, name: "x".repeat(70 * 1024) });
    const keepAlive = new HttpAgent({ keepAlive: true });
    const response = await rawPost("/v1/agents", body, operatorJson, false, keepAlive);
    keepAlive.destroy();
    expect(response.status).toBe(413);
    expect(response.type).toContain("application/problem+json");
    expect(response.json.code).toBe("payload_too_large");
    // The unread rest of the body would poison a kept-alive connection: the service closes it.
    expect(response.connection).toBe("close");
    expect(await agentCount()).toBe(before);
  });

  it("refuses an oversize body sent without a content-length (chunked) with 413", async () => {
    const body = `{"id":"agent:chunked","name":"${"y".repeat(80 * 1024)}"}`;
    const response = await rawPost("/v1/agents", body, operatorJson, true);
    expect(response.status).toBe(413);
    expect(response.json.code).toBe("payload_too_large");
    expect(await svc.store.getAgent("agent:chunked")).toBeUndefined();
  });

  it("refuses JSON nested 30,000 deep (just under the body limit) with 400 invalid_request and keeps serving", async () => {
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    const response = await rawPost("/v1/agents", `{"id":"agent:deep","jwk":${deep}}`, operatorJson);
    expect(response.status).toBe(400);
    expect(response.json.code).toBe("invalid_request");
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
  });

  it("refuses an object nested 20,000 deep inside verify args with 400 or a deny, never a 5xx", async () => {
    const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    const body = `{"chain":"${alice.chain}","audience":"repo-tool","action":"repo.issues.read","resource":"repo:acme/web/x","args":{"n":${deep}}}`;
    const response = await fetch(`${svc.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${svc.toolSecret}`, "content-type": "application/json" },
      body,
    });
    expect(response.status).toBeLessThan(500);
  });

  it.each([
    ["text/plain"],
    ["application/x-www-form-urlencoded"],
    ["multipart/form-data; boundary=x"],
    ["application/xml"],
  ])("refuses a %s body with 415 unsupported_media_type and registers nothing", async (type) => {
    const before = await agentCount();
    const response = await svc.op(
      "POST",
      "/v1/agents",
      JSON.stringify({ id: "agent:typed", jwk: makeKey().jwk }),
      {
        "content-type": type,
      },
    );
    expect(response.status).toBe(415);
    expect(await codeOf(response)).toBe("unsupported_media_type");
    expect(await agentCount()).toBe(before);
  });

  it("refuses malformed JSON with 400 invalid_request", async () => {
    const response = await svc.op("POST", "/v1/agents", '{"id":"agent:x",');
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("invalid_request");
  });

  it("refuses an unknown field with 400 invalid_request and no side effect", async () => {
    const before = await agentCount();
    const response = await svc.op("POST", "/v1/agents", {
      id: "agent:extra",
      jwk: makeKey().jwk,
      admin: true,
    });
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("invalid_request");
    expect(await agentCount()).toBe(before);
  });

  it("refuses an anonymous caller with 401 before reading the body", async () => {
    const response = await fetch(`${svc.url}/v1/agents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(401);
    expect(await codeOf(response)).toBe("unauthorized");
  });

  it.each([
    ["a wrong operator token", "Bearer security-operator-token-0123456789abcdeX", 401],
    ["an audience secret on an operator route", "", 401],
    ["a Baton chain on an operator route", "", 401],
    ["a header with control characters", "Bearer a\tb", 400],
  ])("refuses %s", async (what, header, status) => {
    const authorization =
      what === "an audience secret on an operator route"
        ? `Bearer ${svc.toolSecret}`
        : what === "a Baton chain on an operator route"
          ? `DPoP ${alice.chain}`
          : header;
    const response = await fetch(`${svc.url}/v1/agents`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ id: "agent:nope", jwk: makeKey().jwk }),
    });
    expect(response.status).toBe(status);
    expect(await svc.store.getAgent("agent:nope")).toBeUndefined();
  });

  it("refuses a chain with characters no chain has at /v1/delegations with 400", async () => {
    const response = await fetch(`${svc.url}/v1/delegations`, {
      method: "POST",
      headers: {
        authorization: "DPoP a.b.c~'; DROP TABLE delegations;--",
        "content-type": "application/json",
      },
      body: JSON.stringify({ to: alice.id, cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }] }),
    });
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("invalid_request");
  });

  it("stores SQL metacharacters verbatim and returns them unchanged", async () => {
    const nasty = `Robert'); DROP TABLE agents;-- " OR 1=1 /* \\ % _ ; \` $1 ?`;
    const register = await svc.op("POST", "/v1/agents", {
      id: "agent:bobby-tables",
      jwk: makeKey().jwk,
      name: nasty,
      owner: `${nasty} owner`,
    });
    expect(register.status).toBe(201);
    expect(await svc.store.getAgent("agent:bobby-tables")).toMatchObject({
      name: nasty,
      owner: `${nasty} owner`,
    });

    const planner: Agent = { id: "agent:bobby-tables", key: makeKey(), chain: "", did: "" };
    const grant = await svc.op("POST", "/v1/grants", {
      agent: "agent:alice",
      task: { id: "task-sql", intent: `intent ${nasty}` },
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
    });
    expect(grant.status).toBe(201);
    const { did } = (await grant.json()) as { did: string };
    const revoke = await svc.op("POST", "/v1/revocations", { did, reason: `reason ${nasty}` });
    expect(revoke.status).toBe(200);

    const trace = (await (await svc.op("GET", `/v1/delegations/${did}`)).json()) as {
      delegation: { revokeReason: string };
    };
    expect(trace.delegation.revokeReason).toBe(`reason ${nasty}`);
    expect((await svc.store.getTask("task-sql"))?.intent).toBe(`intent ${nasty}`);
    // Reasons are shown to operators only (issue 13); the anonymous feed carries none.
    const feed = (await (await svc.op("GET", "/v1/revocations?since=0")).json()) as {
      items: { did: string; reason: string }[];
    };
    expect(feed.items.find((item) => item.did === did)?.reason).toBe(`reason ${nasty}`);
    expect((await svc.store.listAgents()).length).toBeGreaterThan(1);
    expect(planner.id).toBe("agent:bobby-tables");
    expect((await svc.store.verifyDecisionLog()).ok).toBe(true);
  });

  it("refuses SQL in a query parameter with 400 and in a path parameter with 400", async () => {
    const query = await svc.op("GET", "/v1/decisions?task=x'%20OR%20'1'='1");
    expect(query.status).toBe(400);
    const feed = await fetch(`${svc.url}/v1/revocations?since=0%20OR%201=1`);
    expect(feed.status).toBe(400);
    const path = await svc.op("GET", `/v1/delegations/${encodeURIComponent("x' OR '1'='1")}`);
    expect(path.status).toBe(400);
  });

  it("keeps its database intact after all of the above", async () => {
    expect(await svc.store.checkIntegrity()).toEqual([]);
    expect((await svc.store.verifyDecisionLog()).ok).toBe(true);
  });
});
