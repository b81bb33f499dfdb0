/**
 * `baton demo --mcp`: an agent calls tools through an MCP server, and Baton re-authorizes every
 * call. The token service runs in-process on a fresh SQLite file; an MCP server built with the
 * MCP TypeScript SDK (v1, Streamable HTTP) sits behind `@baton/mcp` on loopback; the agent is the
 * SDK's own `Client`, its transport sending the chain with a fresh DPoP proof (`mcpFetch`). Every
 * outcome is checked: the scene exits 1 if any is not what Baton should decide.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { AgentKeyPair, BatonAgent, BatonOperator, mcpFetch } from "@baton/client";
import { createMcpGate } from "@baton/mcp";
import { generateOperatorToken, loadConfig, type RunningServer, startServer } from "@baton/service";
import { createVerifier, followRevocationFeed, httpDecisionSink, remoteJwks } from "@baton/verifier";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { usageError } from "../cli-error.ts";
import type { CommandContext } from "../command-context.ts";
import { EXIT_CODES } from "../exit-codes.ts";

const AUDIENCE = "repo-mcp";
const TOOLS = ["read_issues", "create_issue", "delete_repo"] as const;

/** The MCP server as its author writes it: no Baton in it, `authInfo` read where useful. */
function repoServer(): Server {
  const server = new Server({ name: "repo-mcp", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: TOOLS.map((name) => ({ name, inputSchema: { type: "object" as const, properties: {} } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => ({
    content: [{ type: "text", text: `${request.params.name} ran for ${extra.authInfo?.clientId}` }],
  }));
  return server;
}

function timestamp(at: number): string {
  return new Date(at * 1000).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** What a tool call came to: the tool's text, Baton's reason code, or the HTTP refusal. */
function outcomeOf(result: unknown): string {
  const { isError, structuredContent } = result as {
    isError?: boolean;
    structuredContent?: { baton?: { code?: string } };
  };
  return isError === true ? `${structuredContent?.baton?.code ?? "error"} (tool error result)` : "allowed";
}

async function refusalOf(call: Promise<unknown>): Promise<string> {
  try {
    return outcomeOf(await call);
  } catch (error) {
    const { code, message } = error as { code?: number; message?: string };
    const reason = /"code":"([a-z_]+)"/.exec(message ?? "")?.[1] ?? "refused";
    return `${reason} (HTTP ${code ?? "?"})`;
  }
}

/** Runs the MCP scene; resolves to the exit code. */
export async function runMcpDemoScenario(ctx: CommandContext): Promise<number> {
  const { style } = ctx;
  const say = (...lines: string[]) => {
    if (!ctx.json) ctx.print(...lines);
  };
  let now = ctx.now();
  const clock = () => now;
  const db = ctx.path(ctx.string("db") ?? `.baton/demo-mcp-${timestamp(now)}.db`);
  if (existsSync(db)) throw usageError(`${db} already exists: the demo needs a fresh database file`);
  mkdirSync(dirname(db), { recursive: true });

  const outcomes: { step: string; expected: string; actual: string; ok: boolean }[] = [];
  const check = (step: string, expected: string, actual: string) => {
    const ok = actual.startsWith(expected);
    outcomes.push({ step, expected, actual, ok });
    say(
      ok
        ? `   ${style.green("✓")} ${step}: ${actual}`
        : `   ${style.red(`✗ UNEXPECTED: ${step}: ${actual}, expected ${expected}`)}`,
    );
  };
  const scene = (n: number, title: string) => say("", style.bold(`${n}. ${title}`));

  const operatorToken = generateOperatorToken();
  const config = loadConfig(
    { BATON_DB: db, BATON_OPERATOR_TOKEN: operatorToken, BATON_LOG_LEVEL: "silent" },
    ["--port", "0"],
  );
  let service: RunningServer | undefined;
  const http = createServer();
  let client: Client | undefined;
  try {
    service = await startServer(config, { print: () => {}, clock });
    const serviceUrl = service.url;
    const operator = new BatonOperator({ serviceUrl, token: operatorToken });
    const key = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:planner", jwk: key.publicJwk, owner: "demo" });
    const { secret } = await operator.registerAudience({ id: AUDIENCE, name: "Repository MCP server" });
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "Triage the acme/web issues" },
      cap: [
        { act: "repo.issues.read", res: "repo:acme/**" },
        { act: "repo.issues.create", res: "repo:acme/**", lim: { priority: { max: 3 } } },
      ],
      aud: [AUDIENCE],
      ttl: 3600,
      rvi: 600,
    });

    const msClock = () => now * 1000;
    const keys = remoteJwks({ url: `${serviceUrl}/.well-known/jwks.json`, clock: msClock });
    await keys.ready();
    const feed = followRevocationFeed({ url: `${serviceUrl}/v1/revocations`, clock: msClock });
    await feed.syncOnce();
    const sink = httpDecisionSink({
      url: `${serviceUrl}/v1/decisions`,
      audienceSecret: secret,
      flushIntervalMs: 3_600_000,
    });
    const verifier = createVerifier({
      issuer: service.issuer,
      audience: AUDIENCE,
      keys,
      revocations: feed,
      maxStalenessSeconds: 3600,
      clock,
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const mcpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    const gate = createMcpGate({
      verifier,
      audience: AUDIENCE,
      resourceUrl: mcpUrl,
      authorizationServers: [service.issuer],
      sink,
      tools: {
        read_issues: { action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" },
        create_issue: { action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" },
        delete_repo: { action: "repo.admin.delete", resource: "repo:{owner}/{repo}", reversible: false },
      },
    });
    const sessions = new Map<string, StreamableHTTPServerTransport>();
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
    say(
      style.bold("Baton demo: an MCP tool server"),
      style.dim(`token service ${serviceUrl} on ${db}`),
      style.dim(`MCP server ${mcpUrl} (MCP SDK v1, Streamable HTTP) behind @baton/mcp`),
    );

    scene(
      1,
      "agent:planner connects with the MCP SDK's Client; every request carries its chain and a fresh DPoP proof",
    );
    const planner = new BatonAgent({ serviceUrl, id: "agent:planner", key, chain: granted.chain, clock });
    client = new Client({ name: "planner", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { fetch: mcpFetch(planner) }));
    const { tools } = await client.listTools();
    check("tools/list is filtered", "read_issues, create_issue", tools.map((tool) => tool.name).join(", "));
    say(`   ${style.dim("delete_repo exists on the server, but no capability of the chain reaches it")}`);

    const callTool = (name: string, args: Record<string, unknown>) =>
      refusalOf((client as Client).callTool({ name, arguments: args }));
    scene(2, "Each tools/call is its own decision, in the same session");
    check("read_issues acme/web", "allowed", await callTool("read_issues", { owner: "acme", repo: "web" }));
    check(
      "read_issues globex/web",
      "action_not_permitted",
      await callTool("read_issues", { owner: "globex", repo: "web" }),
    );
    check(
      "create_issue priority 2",
      "allowed",
      await callTool("create_issue", { owner: "acme", repo: "web", title: "Login 500", priority: 2 }),
    );
    check(
      "create_issue priority 5 (lim max 3)",
      "action_not_permitted",
      await callTool("create_issue", { owner: "acme", repo: "web", title: "Urgent!!", priority: 5 }),
    );

    now += 601;
    await feed.syncOnce();
    scene(3, "Ten minutes pass (the demo clock jumps): the chain is due; the client helper revalidates once");
    const before = planner.chain;
    check(
      "read_issues after revalidation",
      "allowed",
      await callTool("read_issues", { owner: "acme", repo: "web" }),
    );
    check("the chain was re-issued", "re-issued", planner.chain === before ? "not re-issued" : "re-issued");

    scene(4, "The operator revokes the grant: the next call of the open session is refused");
    await operator.revoke({ did: granted.did }, "task cancelled");
    await feed.syncOnce();
    check(
      "read_issues after revocation",
      "revoked",
      await callTool("read_issues", { owner: "acme", repo: "web" }),
    );

    scene(
      5,
      "Every call is in the hash-chained decision log: actor, tool, action, resource, argument digest",
    );
    await sink.flush();
    const audit = await service.store.verifyDecisionLog();
    check(
      "the audit log verifies",
      "audit log verified",
      audit.ok ? `audit log verified: ${audit.rows} rows` : `audit log broken at row ${audit.firstBrokenId}`,
    );
    await sink.close();

    const failed = outcomes.filter((outcome) => !outcome.ok).length;
    if (ctx.json)
      ctx.printJson({ db, task: granted.task, outcomes, audit: { ok: audit.ok, rows: audit.rows } });
    else
      say(
        "",
        failed === 0
          ? style.green(style.bold(`All ${outcomes.length} outcomes were as Baton should decide.`))
          : style.red(style.bold(`${failed} of ${outcomes.length} outcomes were NOT as expected.`)),
      );
    return failed === 0 ? EXIT_CODES.ok : EXIT_CODES.failed;
  } finally {
    await client?.close().catch(() => {});
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await service?.close();
  }
}
