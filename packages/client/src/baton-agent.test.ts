import { decodeBase64url } from "@baton/token";
import { describe, expect, test } from "vitest";
import { AgentKeyPair } from "./agent-key.ts";
import { BatonAgent } from "./baton-agent.ts";
import { BatonError } from "./baton-error.ts";
import { BatonOperator, type GrantRequest } from "./baton-operator.ts";

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** A fetch that records calls and answers from a queue. */
function scriptedFetch(responses: (() => Response)[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const impl = (async (input: string | URL | Request, init: RequestInit = {}) => {
    calls.push({
      url: String(input),
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    });
    const next = responses.shift();
    if (next === undefined) throw new Error("unexpected call");
    return next();
  }) as typeof fetch;
  return { fetch: impl, calls };
}

const problem =
  (status: number, code: string, reasons: unknown[] = []) =>
  () =>
    new Response(JSON.stringify({ code, detail: `refused: ${code}`, reasons }), {
      status,
      headers: { "content-type": "application/problem+json" },
    });
const ok =
  (body: unknown, status = 200) =>
  () =>
    new Response(JSON.stringify(body), { status });

function proofClaims(call: Call | undefined): Record<string, unknown> {
  const proof = call?.headers.get("dpop") ?? "";
  return JSON.parse(new TextDecoder().decode(decodeBase64url(proof.split(".")[1] ?? ""))) as Record<
    string,
    unknown
  >;
}

describe("BatonAgent", () => {
  test("delegates with its chain and a DPoP proof for the service URL, at its clock's time", async () => {
    const key = await AgentKeyPair.generate();
    const { fetch, calls } = scriptedFetch([ok({ did: "d", jti: "j", token: "t", chain: "c~t" }, 201)]);
    const agent = new BatonAgent({
      serviceUrl: "http://127.0.0.1:8787/",
      id: "agent:a",
      key,
      chain: "c",
      fetch,
      clock: () => 42,
    });
    const issued = await agent.delegate({ to: "agent:b", cap: [{ act: "x", res: "r:y" }] });
    expect(issued.chain).toBe("c~t");
    expect(calls[0]?.url).toBe("http://127.0.0.1:8787/v1/delegations");
    expect(calls[0]?.headers.get("authorization")).toBe("DPoP c");
    expect(proofClaims(calls[0])).toMatchObject({
      htm: "POST",
      htu: "http://127.0.0.1:8787/v1/delegations",
      iat: 42,
    });
    expect(calls[0]?.body).toEqual({ to: "agent:b", cap: [{ act: "x", res: "r:y" }] });
  });

  test("turns a refusal into a BatonError carrying the reason code and reasons", async () => {
    const key = await AgentKeyPair.generate();
    const reasons = [{ hop: 1, code: "scope_widening", message: "wider" }];
    const { fetch } = scriptedFetch([problem(403, "scope_widening", reasons)]);
    const agent = new BatonAgent({ serviceUrl: "http://svc", id: "agent:a", key, chain: "c", fetch });
    const error = await agent.delegate({ to: "agent:b", cap: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject({ code: "scope_widening", status: 403, reasons });
  });

  test("revalidates once and retries with a fresh proof when a tool says revalidation is due", async () => {
    const key = await AgentKeyPair.generate();
    const { fetch, calls } = scriptedFetch([
      problem(401, "revalidation_due"),
      ok({ chain: "c2" }),
      ok({ fine: true }),
    ]);
    const agent = new BatonAgent({ serviceUrl: "http://svc", id: "agent:a", key, chain: "c1", fetch });
    const response = await agent.fetch("http://tool/x", { method: "POST" });
    expect(response.status).toBe(200);
    expect(agent.chain).toBe("c2");
    expect(calls.map((call) => call.url)).toEqual([
      "http://tool/x",
      "http://svc/v1/revalidate",
      "http://tool/x",
    ]);
    expect(calls[2]?.headers.get("authorization")).toBe("DPoP c2");
    expect(proofClaims(calls[2]).jti).not.toBe(proofClaims(calls[0]).jti);
  });

  test("returns a tool's other refusals without revalidating", async () => {
    const key = await AgentKeyPair.generate();
    const { fetch, calls } = scriptedFetch([problem(401, "revoked")]);
    const agent = new BatonAgent({ serviceUrl: "http://svc", id: "agent:a", key, chain: "c1", fetch });
    expect((await agent.fetch("http://tool/x")).status).toBe(401);
    expect(calls).toHaveLength(1);
  });

  test("reports an unreachable service as code unreachable with status 0", async () => {
    const key = await AgentKeyPair.generate();
    const failing = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const agent = new BatonAgent({
      serviceUrl: "http://svc",
      id: "agent:a",
      key,
      chain: "c",
      fetch: failing,
    });
    await expect(agent.revalidate()).rejects.toMatchObject({ code: "unreachable", status: 0 });
  });
});

describe("BatonOperator", () => {
  test("sends the operator token and JSON bodies, and encodes path segments", async () => {
    const { fetch, calls } = scriptedFetch([ok({ revoked: ["d"] }), ok({ items: [], next: null })]);
    const operator = new BatonOperator({ serviceUrl: "http://svc/", token: "secret", fetch });
    await operator.disableAgent("agent:a/b", "compromised");
    await operator.decisions({ task: "t-1", limit: 5 });
    expect(calls[0]?.url).toBe("http://svc/v1/agents/agent%3Aa%2Fb/disable");
    expect(calls[0]?.headers.get("authorization")).toBe("Bearer secret");
    expect(calls[0]?.body).toEqual({ reason: "compromised" });
    expect(calls[1]?.url).toBe("http://svc/v1/decisions?task=t-1&limit=5");
  });

  test("sends a grant's task business hours as given", async () => {
    const issued = { did: "d", jti: "j", token: "t", chain: "t", task: "t-1" };
    const { fetch, calls } = scriptedFetch([ok(issued, 201)]);
    const operator = new BatonOperator({ serviceUrl: "http://svc", token: "secret", fetch });
    const request: GrantRequest = {
      agent: "agent:planner",
      task: { id: "t-1", intent: "triage", hours: { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" } },
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
    };
    expect(await operator.grant(request)).toEqual(issued);
    expect(calls[0]?.method).toBe("POST");
    expect(calls[0]?.url).toBe("http://svc/v1/grants");
    expect(calls[0]?.body).toEqual(request);
  });

  test("maps a non-JSON error body to code http_error", async () => {
    const { fetch } = scriptedFetch([() => new Response("<html>bad gateway</html>", { status: 502 })]);
    const operator = new BatonOperator({ serviceUrl: "http://svc", token: "secret", fetch });
    await expect(operator.approvals()).rejects.toMatchObject({ code: "http_error", status: 502 });
  });
});
