import { decodeBase64url } from "@baton/token";
import { describe, expect, test } from "vitest";
import { AgentKeyPair } from "./agent-key.ts";
import { BatonAgent } from "./baton-agent.ts";
import { mcpFetch } from "./mcp-fetch.ts";

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** A fetch that records what it is sent and answers from a queue. */
function scriptedFetch(responses: (() => Response)[]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const impl = (async (input: string | URL | Request, init: RequestInit = {}) => {
    sent.push({
      url: String(input),
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: init.body,
    });
    const next = responses.shift();
    if (next === undefined) throw new Error("unexpected call");
    return next();
  }) as typeof fetch;
  return { fetch: impl, sent };
}

const json =
  (body: unknown, status = 200) =>
  () =>
    new Response(JSON.stringify(body), { status });

function proofClaims(sent: Sent | undefined): Record<string, unknown> {
  const proof = sent?.headers.get("dpop") ?? "";
  return JSON.parse(new TextDecoder().decode(decodeBase64url(proof.split(".")[1] ?? ""))) as Record<
    string,
    unknown
  >;
}

const rpc = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "x", arguments: {} },
});

describe("mcpFetch", () => {
  test("sends the chain with a proof of its own on every request, as the SDK transport calls it (URL and init)", async () => {
    const key = await AgentKeyPair.generate();
    const { fetch, sent } = scriptedFetch([json({}), json({})]);
    const agent = new BatonAgent({ serviceUrl: "http://svc", id: "agent:a", key, chain: "c1", fetch });
    const send = mcpFetch(agent);
    const headers = new Headers({ "content-type": "application/json", "mcp-session-id": "s1" });
    await send(new URL("http://tool.test/mcp"), { method: "POST", headers, body: rpc });
    await send(new URL("http://tool.test/mcp"), { method: "GET", headers });
    expect(
      sent.map((one) => [one.method, one.headers.get("authorization"), one.headers.get("mcp-session-id")]),
    ).toEqual([
      ["POST", "DPoP c1", "s1"],
      ["GET", "DPoP c1", "s1"],
    ]);
    expect(proofClaims(sent[0])).toMatchObject({ htm: "POST", htu: "http://tool.test/mcp" });
    expect(proofClaims(sent[1]).jti).not.toBe(proofClaims(sent[0]).jti);
  });

  test("on a 401 revalidation_due revalidates once and sends the same request again with the new chain", async () => {
    const key = await AgentKeyPair.generate();
    const { fetch, sent } = scriptedFetch([
      json({ code: "revalidation_due" }, 401),
      json({ chain: "c2" }),
      json({ jsonrpc: "2.0", id: 1, result: {} }),
    ]);
    const agent = new BatonAgent({ serviceUrl: "http://svc", id: "agent:a", key, chain: "c1", fetch });
    const response = await mcpFetch(agent)("http://tool.test/mcp", { method: "POST", body: rpc });
    expect(response.status).toBe(200);
    expect(sent.map((one) => one.url)).toEqual([
      "http://tool.test/mcp",
      "http://svc/v1/revalidate",
      "http://tool.test/mcp",
    ]);
    expect(sent[2]?.headers.get("authorization")).toBe("DPoP c2");
    expect(sent[2]?.body).toBe(rpc);
  });

  test("reads a Request input into the same shape, its body included", async () => {
    const key = await AgentKeyPair.generate();
    const { fetch, sent } = scriptedFetch([json({})]);
    const agent = new BatonAgent({ serviceUrl: "http://svc", id: "agent:a", key, chain: "c1", fetch });
    await mcpFetch(agent)(new Request("http://tool.test/mcp", { method: "POST", body: rpc }));
    expect(sent[0]).toMatchObject({ url: "http://tool.test/mcp", method: "POST", body: rpc });
    expect(sent[0]?.headers.get("authorization")).toBe("DPoP c1");
  });
});
