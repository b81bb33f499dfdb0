/**
 * The same gate in front of the v2 SDK (`@modelcontextprotocol/server`): `createMcpHandler(factory)`
 * served through the gate's web-standard face, `authInfo` handed to `handler.fetch`, on loopback
 * with the real token service, and the v1 SDK's `Client` (2025-era traffic, which the v2 handler
 * serves statelessly) sending the chain through `mcpFetch`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonAgent, BatonOperator, mcpFetch } from "@baton/client";
import { createMcpGate, type McpGate } from "@baton/mcp";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { type ServerType, serve } from "@hono/node-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createMcpHandler, fromJsonSchema, McpServer } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "mcp-v2-e2e-operator-token-0123456789ab";
const START = 1_767_225_600;

describe("an MCP tool server behind the Baton gate (SDK v2, createMcpHandler)", () => {
  const now = START;
  const clock = () => now;
  let dir: string;
  let service: RunningServer;
  let tool: ServerType;
  let mcpUrl: string;
  let client: Client;
  let lastSent: { url: string; init: RequestInit } | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-mcp2-"));
    const config = loadConfig(
      { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
      ["--port", "0"],
    );
    service = await startServer(config, { print: () => {}, clock });
    const operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    const key = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:planner", jwk: key.publicJwk });
    await operator.registerAudience({ id: "docs-tool" });
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "answer from the handbook" },
      cap: [{ act: "docs.search", res: "docs:handbook/**" }],
      aud: ["docs-tool"],
    });
    const keys = remoteJwks({ url: `${service.url}/.well-known/jwks.json`, clock: () => now * 1000 });
    await keys.ready();
    const feed = followRevocationFeed({ url: `${service.url}/v1/revocations`, clock: () => now * 1000 });
    await feed.syncOnce();
    const verifier = createVerifier({
      issuer: service.issuer,
      audience: "docs-tool",
      keys,
      revocations: feed,
      clock,
    });

    const factory = () => {
      const server = new McpServer({ name: "docs-tool", version: "2.0.0" });
      const input = fromJsonSchema<{ book: string; query: string }>({
        type: "object",
        properties: { book: { type: "string" }, query: { type: "string" } },
        required: ["book", "query"],
      });
      server.registerTool("search", { inputSchema: input }, (args, ctx) => ({
        content: [
          { type: "text", text: `${args.query} in ${args.book} for ${ctx.http?.authInfo?.clientId}` },
        ],
      }));
      server.registerTool("publish", { inputSchema: input }, () => ({
        content: [{ type: "text", text: "published" }],
      }));
      return server;
    };
    const handler = createMcpHandler(factory);
    let gate: McpGate | undefined;
    tool = serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request: Request) =>
        (gate as McpGate).fetch(request, (request, { authInfo }) => handler.fetch(request, { authInfo })),
    });
    await new Promise((resolve) => tool.once("listening", resolve));
    mcpUrl = `http://127.0.0.1:${(tool.address() as AddressInfo).port}/mcp`;
    gate = createMcpGate({
      verifier,
      audience: "docs-tool",
      resourceUrl: mcpUrl,
      authorizationServers: [service.issuer],
      tools: {
        search: { action: "docs.search", resource: "docs:{book}" },
        publish: { action: "docs.publish", resource: "docs:{book}" },
      },
    });

    const recording: typeof fetch = (input, init) => {
      lastSent = { url: String(input), init: init ?? {} };
      return fetch(input, init);
    };
    const planner = new BatonAgent({
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
    await new Promise((resolve) => tool?.close(resolve));
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("lists only the tools the chain could call", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((listed) => listed.name)).toEqual(["search"]);
  });

  test("allows a covered call and hands the handler the leaf holder in authInfo", async () => {
    const result = await client.callTool({
      name: "search",
      arguments: { book: "handbook/hr", query: "leave" },
    });
    expect(result.content).toEqual([{ type: "text", text: "leave in handbook/hr for agent:planner" }]);
  });

  test("refuses a call outside the chain's scope as an MCP error result naming the reason", async () => {
    const result = await client.callTool({
      name: "search",
      arguments: { book: "finance", query: "salaries" },
    });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ baton: { code: "action_not_permitted" } });
  });

  test("refuses a replayed proof", async () => {
    await client.callTool({ name: "search", arguments: { book: "handbook/hr", query: "leave" } });
    const sent = lastSent as { url: string; init: RequestInit };
    const replayed = await fetch(sent.url, sent.init);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: "pop_replayed" });
  });
});
