/**
 * An MCP tool server behind the Baton gate (issue 18), everything real and on loopback: the token
 * service on a SQLite file, an MCP server built with the v1 SDK (`@modelcontextprotocol/sdk`,
 * sessionful Streamable HTTP), and the SDK's own `Client` whose transport sends the agent's chain
 * with a fresh DPoP proof through `mcpFetch`. Each tool call of the open session is re-authorized
 * on its own.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonAgent, BatonOperator, mcpFetch } from "@baton/client";
import { createMcpGate } from "@baton/mcp";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import type { DecisionRecord } from "@baton/store";
import { createVerifier, followRevocationFeed, httpDecisionSink, remoteJwks } from "@baton/verifier";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "mcp-e2e-operator-token-0123456789abcdef";
const START = 1_767_225_600;

const TOOLS = [
  { name: "read_issues", required: ["owner", "repo"] },
  { name: "create_issue", required: ["owner", "repo", "title", "priority"] },
  { name: "merge_pull", required: ["owner", "repo", "number"] },
  { name: "delete_repo", required: ["owner", "repo"] },
];

/** A plain MCP server, as its author writes it: it knows nothing of Baton but `authInfo`. */
function repoServer(): Server {
  const server = new Server({ name: "repo-tool", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: TOOLS.map(({ name, required }) => ({
      name,
      inputSchema: { type: "object" as const, properties: {}, required },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => ({
    content: [{ type: "text", text: `${request.params.name} done for ${extra.authInfo?.clientId}` }],
  }));
  return server;
}

describe("an MCP tool server behind the Baton gate (SDK v1, Streamable HTTP)", () => {
  let now = START;
  const clock = () => now;
  let dir: string;
  let service: RunningServer;
  let operator: BatonOperator;
  let feed: ReturnType<typeof followRevocationFeed>;
  let sink: ReturnType<typeof httpDecisionSink>;
  let http: HttpServer;
  let mcpUrl: string;
  let planner: BatonAgent;
  let rootDid: string;
  let client: Client;
  /** The last request the agent sent, as sent: headers, proof and body. */
  let lastSent: { url: string; init: RequestInit } | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-mcp-"));
    const config = loadConfig(
      { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
      ["--port", "0"],
    );
    service = await startServer(config, { print: () => {}, clock });
    operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    const key = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:planner", jwk: key.publicJwk });
    const { secret } = await operator.registerAudience({ id: "repo-tool" });
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "triage acme issues" },
      cap: [
        { act: "repo.issues.read", res: "repo:acme/**" },
        { act: "repo.issues.create", res: "repo:acme/**", lim: { priority: { max: 3 } } },
        { act: "repo.pulls.merge", res: "repo:acme/**" },
      ],
      aud: ["repo-tool"],
      ttl: 7200,
      rvi: 600,
    });
    rootDid = granted.did;

    const keys = remoteJwks({ url: `${service.url}/.well-known/jwks.json`, clock: () => now * 1000 });
    await keys.ready();
    feed = followRevocationFeed({ url: `${service.url}/v1/revocations`, clock: () => now * 1000 });
    await feed.syncOnce();
    sink = httpDecisionSink({
      url: `${service.url}/v1/decisions`,
      audienceSecret: secret,
      flushIntervalMs: 3_600_000,
    });
    const verifier = createVerifier({
      issuer: service.issuer,
      audience: "repo-tool",
      keys,
      revocations: feed,
      maxStalenessSeconds: 3600,
      clock,
      // Irreversible calls wait for an operator.
      policy: ({ context, approved }) =>
        context.reversible === false && (approved ?? []).length === 0
          ? { decision: "step_up", message: "merging needs an operator's approval" }
          : { decision: "allow" },
    });

    const sessions = new Map<string, StreamableHTTPServerTransport>();
    http = createServer();
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    mcpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    const gate = createMcpGate({
      verifier,
      audience: "repo-tool",
      resourceUrl: mcpUrl,
      authorizationServers: [service.issuer],
      sink,
      tools: {
        read_issues: { action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" },
        create_issue: { action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" },
        merge_pull: {
          action: "repo.pulls.merge",
          resource: "repo:{owner}/{repo}/pulls/{number}",
          reversible: false,
        },
        delete_repo: { action: "repo.admin.delete", resource: "repo:{owner}/{repo}", sensitivity: "high" },
      },
    });
    http.on("request", (req, res) => {
      void gate.node(req, res, async (req, res, body) => {
        const id = req.headers["mcp-session-id"];
        let transport = typeof id === "string" ? sessions.get(id) : undefined;
        if (transport === undefined) {
          const created = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
          });
          await repoServer().connect(created);
          transport = created;
        }
        await transport.handleRequest(req, res, body);
      });
    });

    const recording: typeof fetch = (input, init) => {
      lastSent = { url: String(input), init: init ?? {} };
      return fetch(input, init);
    };
    planner = new BatonAgent({
      serviceUrl: service.url,
      id: "agent:planner",
      key,
      chain: granted.chain,
      clock,
      fetch: recording,
    });
    client = new Client({ name: "planner", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { fetch: mcpFetch(planner) }));
  });

  afterAll(async () => {
    await client?.close();
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
    await sink?.close();
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const denial = (result: unknown) =>
    (result as { structuredContent?: { baton?: { code?: string } } }).structuredContent?.baton?.code;

  test("publishes RFC 9728 metadata naming the Baton issuer and requiring DPoP", async () => {
    const response = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", mcpUrl));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: mcpUrl,
      authorization_servers: [service.issuer],
      bearer_methods_supported: ["header"],
      dpop_bound_access_tokens_required: true,
      dpop_signing_alg_values_supported: ["Ed25519", "EdDSA"],
    });
  });

  test("answers a request without credentials 401 with a DPoP challenge naming the metadata", async () => {
    const response = await fetch(mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `DPoP algs="Ed25519 EdDSA", resource_metadata="${new URL("/.well-known/oauth-protected-resource/mcp", mcpUrl).href}"`,
    );
  });

  test("lists only the tools the chain could call", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["read_issues", "create_issue", "merge_pull"]);
  });

  test("allows a call the chain covers, and hands the server the leaf holder as clientId", async () => {
    const result = await client.callTool({ name: "read_issues", arguments: { owner: "acme", repo: "web" } });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: "text", text: "read_issues done for agent:planner" }]);
  });

  test("refuses a call outside the chain's scope as an MCP error result naming the reason", async () => {
    const otherOwner = await client.callTool({
      name: "read_issues",
      arguments: { owner: "globex", repo: "web" },
    });
    expect(otherOwner.isError).toBe(true);
    expect(denial(otherOwner)).toBe("action_not_permitted");
    const unlisted = await client.callTool({
      name: "delete_repo",
      arguments: { owner: "acme", repo: "web" },
    });
    expect(denial(unlisted)).toBe("action_not_permitted");
  });

  test("refuses an argument over the capability's lim, and allows it within", async () => {
    const over = await client.callTool({
      name: "create_issue",
      arguments: { owner: "acme", repo: "web", title: "crash", priority: 5 },
    });
    expect(denial(over)).toBe("action_not_permitted");
    const within = await client.callTool({
      name: "create_issue",
      arguments: { owner: "acme", repo: "web", title: "crash", priority: 2 },
    });
    expect(within.isError).toBeFalsy();
  });

  test("answers a step-up with 403 insufficient_scope naming the approval it needs", async () => {
    const call = client.callTool({
      name: "merge_pull",
      arguments: { owner: "acme", repo: "web", number: 7 },
    });
    await expect(call).rejects.toMatchObject({ code: 403 });
    await expect(call).rejects.toThrow(
      new RegExp(
        `"approval":\\{"did":"${rootDid}","action":"repo.pulls.merge","resource":"repo:acme/web/pulls/7"\\}`,
      ),
    );
    // The same call sent by hand: the challenge is the RFC 6750 insufficient_scope one.
    const raw = await planner.fetch(mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "merge_pull", arguments: { owner: "acme", repo: "web", number: 7 } },
      }),
    });
    expect(raw.status).toBe(403);
    expect(raw.headers.get("www-authenticate")).toMatch(
      /^DPoP error="insufficient_scope", error_description="step_up_required", algs="Ed25519 EdDSA", resource_metadata="/,
    );
  });

  test("refuses a replayed proof", async () => {
    await client.callTool({ name: "read_issues", arguments: { owner: "acme", repo: "web" } });
    const sent = lastSent as { url: string; init: RequestInit };
    const replayed = await fetch(sent.url, sent.init);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: "pop_replayed" });
  });

  test("reports every call with actor, tool, action, resource and an argument digest", async () => {
    await sink.flush();
    const page = await operator.request<{ items: DecisionRecord[] }>("GET", "/v1/decisions?limit=50");
    const created = page.items.find(
      (item) => item.action === "repo.issues.create" && item.decision === "allow",
    );
    expect(created).toMatchObject({
      agent: "agent:planner",
      actorProven: true,
      audience: "repo-tool",
      resource: "repo:acme/web/issues",
    });
    expect(JSON.stringify(created?.detail)).toContain("/mcp#tools/call/create_issue");
    expect(created?.argsDigest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refused = page.items.filter(
      (item) => item.decision === "deny" && item.action === "repo.admin.delete",
    );
    expect(refused).toHaveLength(1);
  });

  test("revalidates once when the chain is due, through the client helper, and goes on", async () => {
    const before = planner.chain;
    now = START + 700; // past rvl (rvi 600)
    await feed.syncOnce();
    const result = await client.callTool({ name: "read_issues", arguments: { owner: "acme", repo: "web" } });
    expect(result.isError).toBeFalsy();
    expect(planner.chain).not.toBe(before);
  });

  test("denies the next call of the open session once the chain is revoked", async () => {
    await operator.revoke({ did: rootDid }, "task cancelled");
    await feed.syncOnce();
    await expect(
      client.callTool({ name: "read_issues", arguments: { owner: "acme", repo: "web" } }),
    ).rejects.toMatchObject({ code: 401, message: expect.stringContaining('"code":"revoked"') });
  });
});
