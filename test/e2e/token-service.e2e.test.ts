/**
 * End-to-end over real HTTP on loopback with a real SQLite file (issue 5): an operator, three
 * agents using the client SDK, and a tool server using the verifier's Hono gates with the JWKS and
 * the revocation feed followed over HTTP. One clock, controlled by the test, drives the service,
 * the agents' DPoP proofs and the offline verifier.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonAgent, BatonError, BatonOperator, createDpopProof } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { createVerifier, followRevocationFeed, httpDecisionSink, remoteJwks } from "@baton/verifier";
import { createHonoGate } from "@baton/verifier/hono";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "e2e-operator-token-0123456789abcdef";
const START = 1_767_225_600;

/** Listens on a free port first, then builds the app: the gate needs its public origin. */
async function listen(build: (origin: string) => Hono): Promise<{ server: ServerType; url: string }> {
  let app: Hono | undefined;
  const listening = await new Promise<{ server: ServerType; url: string }>((resolve) => {
    const server = serve(
      {
        fetch: (request) => app?.fetch(request) ?? new Response(null, { status: 503 }),
        hostname: "127.0.0.1",
        port: 0,
      },
      (info: AddressInfo) => resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    );
  });
  app = build(listening.url);
  return listening;
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  });
}

async function codeOf(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { code?: string }).code;
}

describe("token service end to end", () => {
  let now = START;
  const clock = () => now;
  let dir: string;
  let service: RunningServer;
  let tool: { server: ServerType; url: string };
  let feed: ReturnType<typeof followRevocationFeed>;
  let sink: ReturnType<typeof httpDecisionSink>;
  let operator: BatonOperator;
  let audienceSecret: string;
  let planner: BatonAgent;
  let researcher: BatonAgent;
  let summarizer: BatonAgent;
  let taskId: string;
  let rootDid: string;
  let researcherDid: string;
  const keys: Record<string, AgentKeyPair> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-e2e-"));
    const config = loadConfig(
      {
        BATON_DB: join(dir, "baton.db"),
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BATON_REVALIDATION_INTERVAL: "600",
        BATON_LOG_LEVEL: "silent",
      },
      ["--port", "0"],
    );
    service = await startServer(config, { print: () => {}, clock });
    operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });

    for (const name of ["planner", "researcher", "summarizer"]) {
      keys[name] = await AgentKeyPair.generate();
      await operator.registerAgent({
        id: `agent:${name}`,
        jwk: (keys[name] as AgentKeyPair).publicJwk,
        owner: "e2e",
      });
    }
    audienceSecret = (await operator.registerAudience({ id: "repo-tool", name: "Repository tool" })).secret;

    const jwks = remoteJwks({ url: `${service.url}/.well-known/jwks.json`, clock: () => now * 1000 });
    await jwks.ready();
    feed = followRevocationFeed({ url: `${service.url}/v1/revocations`, clock: () => now * 1000 });
    await feed.syncOnce();
    sink = httpDecisionSink({
      url: `${service.url}/v1/decisions`,
      audienceSecret,
      flushIntervalMs: 3_600_000,
    });
    const verifier = createVerifier({
      issuer: service.issuer,
      audience: "repo-tool",
      keys: jwks,
      revocations: feed,
      maxStalenessSeconds: 3600,
      clock,
    });
    tool = await listen((publicOrigin) => {
      const app = new Hono();
      const baton = createHonoGate({ verifier, audience: "repo-tool", publicOrigin, sink });
      const issues = (action: string) => baton({ action, resource: "repo:{owner}/{repo}/issues" });
      app.get("/repos/:owner/:repo/issues", issues("repo.issues.read"), (c) => c.json({ issues: [] }));
      app.post("/repos/:owner/:repo/issues", issues("repo.issues.create"), (c) =>
        c.json({ created: true }, 201),
      );
      app.notFound(baton.unmapped);
      return app;
    });
  });

  afterAll(async () => {
    await sink?.close();
    if (tool !== undefined) await closeServer(tool.server);
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const agent = (name: string, chain: string) =>
    new BatonAgent({
      serviceUrl: service.url,
      id: `agent:${name}`,
      key: keys[name] as AgentKeyPair,
      chain,
      clock,
    });
  const issuesUrl = () => `${tool.url}/repos/acme/web/issues`;

  /** A tool call with the chain presented but no automatic revalidation. */
  async function rawCall(who: BatonAgent, method = "GET"): Promise<Response> {
    const presentation = await who.present(method, issuesUrl());
    return fetch(issuesUrl(), {
      method,
      headers: { authorization: presentation.authorization, dpop: presentation.dpop },
    });
  }

  /** Online verification through the service, as a tool server without the library would do it. */
  async function verifyOnline(who: BatonAgent): Promise<{ decision: string; reasons: { code: string }[] }> {
    const htu = issuesUrl();
    const proof = await createDpopProof(who.key, { method: "GET", url: htu, chain: who.chain, now });
    const response = await fetch(`${service.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${audienceSecret}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain: who.chain,
        proof,
        htm: "GET",
        htu,
        audience: "repo-tool",
        action: "repo.issues.read",
        resource: "repo:acme/web/issues",
      }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { decision: string; reasons: { code: string }[] };
  }

  test("grants a root, and each agent delegates a narrower hop to the next", async () => {
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "triage the web repo's issues" },
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      ttl: 3600,
      rvi: 600,
      mdp: 3,
    });
    taskId = granted.task;
    rootDid = granted.did;
    planner = agent("planner", granted.chain);

    const toResearcher = await planner.delegate({
      to: "agent:researcher",
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      intent: "research open issues",
    });
    researcherDid = toResearcher.did;
    researcher = agent("researcher", toResearcher.chain);
    const toSummarizer = await researcher.delegate({
      to: "agent:summarizer",
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
    });
    summarizer = agent("summarizer", toSummarizer.chain);
    expect(summarizer.chain.split("~")).toHaveLength(3);
  });

  test("the tool server allows an in-scope call and denies an out-of-scope one", async () => {
    const allowed = await summarizer.fetch(issuesUrl());
    expect(allowed.status).toBe(200);
    const denied = await rawCall(summarizer, "POST");
    expect(denied.status).toBe(403);
    expect(await codeOf(denied)).toBe("action_not_permitted");
  });

  test("the service refuses a widening delegation with its reason code", async () => {
    const widening = summarizer.delegate({
      to: "agent:planner",
      cap: [{ act: "repo.*", res: "repo:acme/**" }],
    });
    await expect(widening).rejects.toBeInstanceOf(BatonError);
    await expect(widening).rejects.toMatchObject({ code: "scope_widening", status: 403 });
  });

  test("an expired chain is denied", async () => {
    const short = await researcher.delegate({
      to: "agent:summarizer",
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      ttl: 60,
    });
    const shortLived = agent("summarizer", short.chain);
    expect((await rawCall(shortLived)).status).toBe(200);
    now += 100; // past exp + 30 s of skew, well before the others' rvl
    const expired = await rawCall(shortLived);
    expect(expired.status).toBe(401);
    expect(await codeOf(expired)).toBe("expired");
    expect((await rawCall(summarizer)).status).toBe(200);
  });

  test("a revalidation-due chain is denied, and revalidation restores it", async () => {
    now = START + 700;
    await feed.syncOnce();
    const due = await rawCall(summarizer);
    expect(due.status).toBe(401);
    expect(await codeOf(due)).toBe("revalidation_due");
    const before = summarizer.chain;
    await summarizer.revalidate();
    expect(summarizer.chain).not.toBe(before);
    expect((await rawCall(summarizer)).status).toBe(200);
    await planner.revalidate();
    await researcher.revalidate();
  });

  test("revoking the middle hop denies the summarizer at once online, and offline once the feed catches up", async () => {
    expect((await verifyOnline(summarizer)).decision).toBe("allow");
    const { revoked } = await planner.revoke(researcherDid, "researcher misbehaved");
    expect(revoked).toContain(researcherDid);

    const online = await verifyOnline(summarizer);
    expect(online.decision).toBe("deny");
    expect(online.reasons[0]?.code).toBe("revoked");

    await feed.syncOnce();
    const offline = await rawCall(summarizer);
    expect(offline.status).toBe(401);
    expect(await codeOf(offline)).toBe("revoked");
  });

  test("completing the task revokes everything under it", async () => {
    const { revoked } = await planner.complete(taskId);
    expect(revoked).toBeGreaterThan(0);
    expect((await verifyOnline(planner)).reasons[0]?.code).toBe("revoked");
    await feed.syncOnce();
    const page = (await (await fetch(`${service.url}/v1/revocations?since=0`)).json()) as {
      items: { did: string }[];
    };
    expect(page.items.map((item) => item.did)).toEqual(expect.arrayContaining([rootDid, researcherDid]));
    await expect(
      planner.delegate({
        to: "agent:researcher",
        cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      }),
    ).rejects.toMatchObject({
      code: "revoked",
    });
  });

  test("the trace shows the whole tree with its decisions, and the decision log verifies", async () => {
    await sink.flush();
    expect(sink.stats.sent).toBeGreaterThan(0);
    const trace = (await operator.trace(rootDid)) as {
      delegation: { did: string; status: string };
      descendants: { to: string; status: string }[];
      decisions: { kind: string; decision: string }[];
    };
    expect(trace.delegation).toMatchObject({ did: rootDid, status: "revoked" });
    expect(trace.descendants.map((d) => d.to).sort()).toEqual([
      "agent:researcher",
      "agent:summarizer",
      "agent:summarizer",
    ]);
    expect(trace.descendants.every((d) => d.status === "revoked")).toBe(true);
    const kinds = new Set(trace.decisions.map((d) => d.kind));
    for (const kind of ["grant", "delegate", "verify", "revalidate", "revoke", "complete", "report"])
      expect(kinds).toContain(kind);
    expect(trace.decisions.some((d) => d.kind === "delegate" && d.decision === "deny")).toBe(true);

    const log = await service.store.verifyDecisionLog();
    expect(log.ok).toBe(true);
    expect(log.rows).toBeGreaterThan(10);
  });
});
