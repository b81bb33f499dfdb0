/**
 * The MCP gate with standard `Request`s and a stand-in MCP handler (issue 18): what each JSON-RPC
 * request is checked as, what the handler is given, and how a refusal is answered. The real SDKs
 * are exercised in test/e2e/mcp-tool-server*.e2e.test.ts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createDecisionSink, type DecisionReport, memoryRevocations } from "@baton/verifier";
import { describe, expect, it } from "vitest";
import {
  alice,
  bob,
  carol,
  ISSUER,
  type MintedChain,
  makeProof,
  makeVerifier,
  mintChain,
  NOW,
} from "../../verifier/test/fixtures.ts";
import { BATON_DENIED, type BatonAuthInfo, createMcpGate, type McpGateOptions } from "../src/index.ts";

const MCP_URL = "https://tools.test/mcp";
const METADATA_URL = "https://tools.test/.well-known/oauth-protected-resource/mcp";

const CAROL_CAPS = [
  { act: "repo.issues.create", res: "repo:acme/**", lim: { priority: { max: 3 } } },
  { act: "repo.issues.list", res: "repo:acme/**" },
  { act: "mcp.resources.read", res: "docs:handbook/**" },
  { act: "mcp.prompts.triage", res: "mcp:prompts/triage" },
];

function carolChain(): MintedChain {
  return mintChain(
    { holder: alice, cap: [...CAROL_CAPS, { act: "repo.*", res: "repo:**" }] },
    { holder: bob, expIn: 1800 },
    { holder: carol, cap: CAROL_CAPS },
  );
}

/** A POST of one JSON-RPC message, presented by the chain's leaf with a fresh proof for `htu`. */
function post(chain: MintedChain, message: unknown, { url = MCP_URL, htu = MCP_URL } = {}): Request {
  const proof = makeProof({ key: chain.leaf.holder, chain: chain.chain, method: "POST", url: htu, iat: NOW });
  return new Request(url, {
    method: "POST",
    headers: { authorization: `DPoP ${chain.chain}`, dpop: proof, "content-type": "application/json" },
    body: JSON.stringify(message),
  });
}

const call = (name: string, args: Record<string, unknown>, id = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

function makeGate(options: Partial<McpGateOptions> = {}) {
  return createMcpGate({
    verifier: makeVerifier(),
    audience: "repo-tool",
    resourceUrl: MCP_URL,
    authorizationServers: [ISSUER],
    tools: {
      create_issue: { action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" },
      list_issues: { action: "repo.issues.list", resource: "repo:{owner}/{repo}/issues" },
      delete_repo: { action: "repo.admin.delete", resource: "repo:{owner}/{repo}" },
    },
    ...options,
  });
}

/** A stand-in MCP handler: records what it was given and answers with `answer`. */
function handler(answer: () => Response = () => Response.json({ jsonrpc: "2.0", id: 1, result: {} })) {
  const seen: { authInfo: BatonAuthInfo; body: unknown }[] = [];
  const next = async (_request: Request, options: { authInfo: BatonAuthInfo; parsedBody?: unknown }) => {
    seen.push({ authInfo: options.authInfo, body: options.parsedBody });
    return answer();
  };
  return { seen, next };
}

describe("createMcpGate", () => {
  it("authenticates an initialize without naming a call, and hands the SDK the chain as AuthInfo", async () => {
    const chain = carolChain();
    const { seen, next } = handler();
    const response = await makeGate().fetch(
      post(chain, { jsonrpc: "2.0", id: 0, method: "initialize", params: {} }),
      next,
    );
    expect(response.status).toBe(200);
    const authInfo = seen[0]?.authInfo as BatonAuthInfo;
    expect(authInfo.clientId).toBe(carol.id);
    expect(authInfo.token).toBe(chain.chain);
    // The earliest exp in the chain: bob's hop, half an hour, not the root's or the leaf's.
    expect(authInfo.expiresAt).toBe(chain.tokens[1]?.claims.exp);
    expect(authInfo.expiresAt).toBeLessThan(chain.tokens[0]?.claims.exp as number);
    expect(authInfo.resource.href).toBe(MCP_URL);
    expect(authInfo.extra.baton.chain.map((hop) => hop.sub)).toEqual([alice.id, bob.id, carol.id]);
    expect(authInfo.scopes).toContain("repo.issues.list=repo:acme/**");
  });

  it("allows a tool call its chain covers, with the resource filled from the arguments", async () => {
    const { seen, next } = handler();
    const response = await makeGate().fetch(
      post(carolChain(), call("create_issue", { owner: "acme", repo: "web", title: "x", priority: 2 })),
      next,
    );
    expect(response.status).toBe(200);
    expect(seen[0]?.authInfo.extra.baton.decision.decision).toBe("allow");
  });

  it("answers a tool call outside the chain's scope with a tool error result naming the code, never calling the server", async () => {
    const { seen, next } = handler();
    for (const args of [
      { owner: "globex", repo: "web", title: "x", priority: 1 },
      { owner: "acme", repo: "web", title: "x", priority: 9 },
    ]) {
      const response = await makeGate().fetch(post(carolChain(), call("create_issue", args, 7)), next);
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body).toMatchObject({
        jsonrpc: "2.0",
        id: 7,
        result: {
          isError: true,
          structuredContent: { baton: { decision: "deny", code: "action_not_permitted" } },
        },
      });
      expect(body.result.content[0].text).toMatch(/^Baton refused this call \(action_not_permitted\)/);
    }
    expect(seen).toHaveLength(0);
  });

  it("gives an unmapped tool the default action mcp.tools.<name>, which no capability here covers", async () => {
    const { next } = handler();
    const response = await makeGate().fetch(post(carolChain(), call("shell", { cmd: "ls" })), next);
    const body = await response.json();
    expect(body.result.structuredContent.baton.reasons[0].evidence).toMatchObject({
      action: "mcp.tools.shell",
      resource: "mcp:tools/shell",
    });
  });

  it("refuses a call whose resource template lacks an argument as malformed, never a resource with a hole", async () => {
    const { seen, next } = handler();
    const response = await makeGate().fetch(
      post(carolChain(), call("create_issue", { owner: "acme" })),
      next,
    );
    expect((await response.json()).result.structuredContent.baton.code).toBe("malformed");
    expect(seen).toHaveLength(0);
  });

  it("checks resources/read and prompts/get as calls, and answers their refusal with a JSON-RPC error", async () => {
    const gate = makeGate();
    const { seen, next } = handler();
    const read = (uri: string) => ({ jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri } });
    expect((await gate.fetch(post(carolChain(), read("docs:handbook/leave")), next)).status).toBe(200);
    const refused = await gate.fetch(post(carolChain(), read("docs:finance/salaries")), next);
    expect(await refused.json()).toMatchObject({
      id: 3,
      error: { code: BATON_DENIED, data: { baton: { code: "action_not_permitted" } } },
    });
    const prompt = (name: string) => ({ jsonrpc: "2.0", id: 4, method: "prompts/get", params: { name } });
    expect((await gate.fetch(post(carolChain(), prompt("triage")), next)).status).toBe(200);
    expect(await (await gate.fetch(post(carolChain(), prompt("exfiltrate")), next)).json()).toMatchObject({
      error: { code: BATON_DENIED },
    });
    expect(seen).toHaveLength(2);
  });

  it("filters tools/list to the tools the chain could call, in a JSON answer and in an SSE one", async () => {
    const tools = ["create_issue", "list_issues", "delete_repo", "shell"].map((name) => ({
      name,
      inputSchema: {},
    }));
    const listed = JSON.stringify({ jsonrpc: "2.0", id: 5, result: { tools } });
    const list = { jsonrpc: "2.0", id: 5, method: "tools/list" };
    const json = await makeGate().fetch(
      post(carolChain(), list),
      handler(() => new Response(listed, { headers: { "content-type": "application/json" } })).next,
    );
    expect((await json.json()).result.tools.map((tool: { name: string }) => tool.name)).toEqual([
      "create_issue",
      "list_issues",
    ]);
    const sse = await makeGate().fetch(
      post(carolChain(), list),
      handler(
        () =>
          new Response(`event: message\ndata: ${listed}\n\n`, {
            headers: { "content-type": "text/event-stream" },
          }),
      ).next,
    );
    const data = (await sse.text()).split("\n").find((line) => line.startsWith("data: ")) ?? "";
    expect(JSON.parse(data.slice(6)).result.tools.map((tool: { name: string }) => tool.name)).toEqual([
      "create_issue",
      "list_issues",
    ]);
  });

  it("compares the proof's htu with resourceUrl, never with the Host the request names", async () => {
    const { seen, next } = handler();
    // Sent to another host, with a proof for the configured URL: the proof is what counts.
    const elsewhere = post(carolChain(), call("list_issues", { owner: "acme", repo: "web" }), {
      url: "http://127.0.0.1:9999/mcp",
    });
    expect((await makeGate().fetch(elsewhere, next)).status).toBe(200);
    expect(seen).toHaveLength(1);
    // A proof made for the host the request names is not one for this resource.
    const forged = post(carolChain(), call("list_issues", { owner: "acme", repo: "web" }), {
      url: "https://evil.test/mcp",
      htu: "https://evil.test/mcp",
    });
    const refused = await makeGate().fetch(forged, next);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "pop_invalid" });
    expect(seen).toHaveLength(1);
  });

  it("answers 401 with a DPoP challenge naming the resource metadata, bare when there are no credentials", async () => {
    const { next } = handler();
    const anonymous = await makeGate().fetch(
      new Request(MCP_URL, {
        method: "POST",
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }),
      next,
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(
      `DPoP algs="Ed25519 EdDSA", resource_metadata="${METADATA_URL}"`,
    );
    const signed = post(carolChain(), { jsonrpc: "2.0", id: 1, method: "tools/list" });
    const headers = new Headers(signed.headers);
    headers.set("authorization", `Bearer ${carolChain().chain}`);
    const bearer = await makeGate().fetch(
      new Request(MCP_URL, { method: "POST", headers, body: "{}" }),
      next,
    );
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get("www-authenticate")).toBe(
      `DPoP error="invalid_dpop_proof", error_description="pop_missing", algs="Ed25519 EdDSA", resource_metadata="${METADATA_URL}"`,
    );
  });

  it("denies the next request of a session once a hop is revoked, whatever it asks", async () => {
    const revocations = memoryRevocations();
    const gate = makeGate({ verifier: makeVerifier({ revocations }) });
    const chain = carolChain();
    const { next } = handler();
    expect((await gate.fetch(post(chain, { jsonrpc: "2.0", id: 1, method: "ping" }), next)).status).toBe(200);
    revocations.revoke(chain.tokens[1]?.claims.did as string);
    for (const message of [
      { jsonrpc: "2.0", id: 2, method: "ping" },
      call("list_issues", { owner: "acme", repo: "web" }),
    ]) {
      const refused = await gate.fetch(post(chain, message), next);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: "revoked" });
    }
  });

  it("refuses a POST of several JSON-RPC requests: one proof cannot re-authorize several calls", async () => {
    const { seen, next } = handler();
    const batch = [
      call("list_issues", { owner: "acme", repo: "web" }, 1),
      call("delete_repo", { owner: "acme", repo: "web" }, 2),
    ];
    const response = await makeGate().fetch(post(carolChain(), batch), next);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "malformed" });
    expect(seen).toHaveLength(0);
  });

  it("reports every call with its tool, action, resource and argument digest, and the actor", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const gate = makeGate({ sink });
    const { next } = handler();
    await gate.fetch(
      post(carolChain(), call("create_issue", { owner: "acme", repo: "web", title: "x", priority: 2 })),
      next,
    );
    await gate.fetch(post(carolChain(), call("delete_repo", { owner: "acme", repo: "web" })), next);
    await gate.fetch(post(carolChain(), { jsonrpc: "2.0", id: 9, method: "tools/list" }), next);
    await sink.close();
    const reports = batches.flat();
    expect(
      reports.map((report) => [report.path, report.action, report.resource, report.decision.decision]),
    ).toEqual([
      ["/mcp#tools/call/create_issue", "repo.issues.create", "repo:acme/web/issues", "allow"],
      ["/mcp#tools/call/delete_repo", "repo.admin.delete", "repo:acme/web", "deny"],
    ]);
    expect(reports[0]?.argsDigest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(reports[0]?.decision.actor).toEqual({ agent: carol.id, proven: true });
  });

  it("on node:http, decides on a body a parser already read (req.body) and sets req.auth", async () => {
    const gate = makeGate();
    const seen: unknown[] = [];
    const server = createServer((req, res) => {
      // As express.json() leaves it: the stream drained, the parsed body on req.body.
      req.resume();
      req.on("end", () => {
        Object.assign(req, {
          body: call("create_issue", { owner: "globex", repo: "web", title: "x", priority: 1 }),
        });
        void gate.node(req, res, async (req, res) => {
          seen.push(req.auth.clientId);
          res.end("{}");
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
      const signed = post(carolChain(), { jsonrpc: "2.0", id: 1, method: "ping" });
      const response = await fetch(url, { method: "POST", headers: signed.headers, body: "ignored" });
      // The parsed body (a call outside the scope) is what was decided, not the raw bytes.
      expect((await response.json()).result.structuredContent.baton.code).toBe("action_not_permitted");
      expect(seen).toEqual([]);
    } finally {
      server.close();
    }
  });

  it("refuses a body declared over maxBodyBytes with 413 before reading it", async () => {
    const { seen, next } = handler();
    const request = post(
      carolChain(),
      call("list_issues", { owner: "acme", repo: "web", pad: "x".repeat(200) }),
    );
    const response = await makeGate({ maxBodyBytes: 100 }).fetch(request, next);
    expect(response.status).toBe(413);
    expect(seen).toHaveLength(0);
  });

  it("serves RFC 9728 Protected Resource Metadata at the endpoint's well-known path", async () => {
    const response = await makeGate().fetch(new Request(METADATA_URL), handler().next);
    expect(await response.json()).toEqual({
      resource: MCP_URL,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ["header"],
      dpop_bound_access_tokens_required: true,
      dpop_signing_alg_values_supported: ["Ed25519", "EdDSA"],
    });
  });

  it("refuses to build without a resource URL, an audience or an authorization server", () => {
    expect(() => makeGate({ resourceUrl: "tools.test/mcp" })).toThrow(/resourceUrl is required/);
    expect(() => makeGate({ resourceUrl: "https://tools.test/mcp?x=1" })).toThrow(/resourceUrl is required/);
    expect(() => makeGate({ audience: "*" })).toThrow(/audience is required/);
    expect(() => makeGate({ authorizationServers: [] })).toThrow(/authorizationServers is required/);
  });
});
