/** The inspector's read endpoints (issue 10) and the page's static files. */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  ORIGIN,
  registerAgent,
  type TestAgent,
} from "./harness.ts";

const REPO = { act: "repo.*", res: "repo:acme/**" };
const MAIL = { act: "mail.*", res: "mailbox:acme/**" };
const ISSUES = { act: "repo.issues.read", res: "repo:acme/web/**" };

interface Node {
  did: string;
  to: string;
  state: string;
  status: string;
  token: { version: number; exp: number; rvl: number } | null;
  narrowing: { what: string; change: string; widening: boolean }[] | null;
}

describe("graph routes", () => {
  let h: Harness;
  let planner: TestAgent;
  let coder: TestAgent;
  let tester: TestAgent;
  let scribe: TestAgent;
  let task: string;

  /** root (rvi 3000) → coder (rvi 3000) → tester (rvi 60); root → scribe (ttl 100). */
  beforeEach(async () => {
    h = await createHarness();
    planner = await registerAgent(h, "agent:planner");
    coder = await registerAgent(h, "agent:coder");
    tester = await registerAgent(h, "agent:tester");
    scribe = await registerAgent(h, "agent:scribe");
    ({ task } = await grant(h, planner, {
      cap: [REPO, MAIL],
      aud: ["repo-tool", "mail-tool"],
      ttl: 3600,
      rvi: 3000,
      mdp: 3,
    }));
    expect(
      (
        await delegate(h, planner, coder, {
          cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
          aud: ["repo-tool"],
          ttl: 3000,
        })
      ).status,
    ).toBe(201);
    expect((await delegate(h, coder, tester, { cap: [ISSUES], rvi: 60 })).status).toBe(201);
    expect((await delegate(h, planner, scribe, { cap: [MAIL], ttl: 100 })).status).toBe(201);
    h.now += 120;
  });
  afterEach(async () => h.close());

  describe("GET /v1/tasks", () => {
    test("lists tasks with status, root holder, live and revoked counts and the last decision", async () => {
      const response = await h.op("GET", "/v1/tasks");
      expect(response.status).toBe(200);
      const { items } = (await response.json()) as { items: Record<string, unknown>[] };
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        id: task,
        status: "open",
        rootAgent: "agent:planner",
        liveDelegations: 4,
        revokedDelegations: 0,
        lastDecision: { kind: "delegate", decision: "allow", agent: "agent:planner" },
      });
    });

    test("filters by status and refuses an unknown status or field with 400", async () => {
      const completed = await h.op("GET", "/v1/tasks?status=completed");
      expect(((await completed.json()) as { items: unknown[] }).items).toEqual([]);
      expect((await json(await h.op("GET", "/v1/tasks?status=closed"))).code).toBe("invalid_request");
      expect((await h.op("GET", "/v1/tasks?limit=0")).status).toBe(400);
      expect((await h.op("GET", "/v1/tasks?sort=id")).status).toBe(400);
    });
  });

  describe("GET /v1/tasks/{id}", () => {
    test("gives each hop's state, latest token times and what narrowed against its parent", async () => {
      const response = await h.op("GET", `/v1/tasks/${task}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { task: { id: string }; now: number; nodes: Node[] };
      expect(body.task.id).toBe(task);
      expect(body.now).toBe(h.now);
      const byHolder = new Map(body.nodes.map((node) => [node.to, node]));
      expect(Object.fromEntries(body.nodes.map((node) => [node.to, node.state]))).toEqual({
        "agent:planner": "live",
        "agent:coder": "live",
        "agent:tester": "revalidation_due",
        "agent:scribe": "expired",
      });
      expect(byHolder.get("agent:planner")?.narrowing).toBeNull();
      expect(byHolder.get("agent:tester")?.token?.version).toBe(1);
      const coderChanges = byHolder.get("agent:coder")?.narrowing ?? [];
      expect(coderChanges.map((c) => `${c.what}:${c.change}`)).toEqual([
        "cap:narrowed",
        "cap:removed",
        "aud:removed",
        "exp:earlier",
        "mdp:spent",
      ]);
      expect(coderChanges.some((c) => c.widening)).toBe(false);
    });

    test("shows a revoked hop and its subtree as revoked", async () => {
      const revoked = await h.op("POST", "/v1/revocations", { did: coder.did, reason: "inspector test" });
      expect(revoked.status).toBe(200);
      const body = (await (await h.op("GET", `/v1/tasks/${task}`)).json()) as { nodes: Node[] };
      const states = Object.fromEntries(body.nodes.map((node) => [node.to, node.state]));
      expect(states["agent:coder"]).toBe("revoked");
      expect(states["agent:tester"]).toBe("revoked");
      expect(states["agent:planner"]).toBe("live");
    });

    test("answers 404 for an unknown task and 400 for a malformed id", async () => {
      expect((await json(await h.op("GET", "/v1/tasks/task-nope"))).code).toBe("not_found");
      expect((await h.op("GET", "/v1/tasks/-bad")).status).toBe(400);
    });
  });

  describe("GET /v1/agents and /v1/agents/{id}/blast-radius", () => {
    test("lists registered agents", async () => {
      const { items } = (await (await h.op("GET", "/v1/agents")).json()) as { items: { id: string }[] };
      expect(items.map((agent) => agent.id).sort()).toEqual([
        "agent:coder",
        "agent:planner",
        "agent:scribe",
        "agent:tester",
      ]);
    });

    test("gives what an agent could still reach through live delegations", async () => {
      const response = await h.op("GET", `/v1/agents/${encodeURIComponent("agent:coder")}/blast-radius`);
      expect(response.status).toBe(200);
      const radius = (await response.json()) as {
        held: { did: string }[];
        agents: string[];
        tasks: string[];
      };
      expect(radius.held.map((d) => d.did)).toEqual([coder.did]);
      expect(radius.agents).toEqual(["agent:tester"]);
      expect(radius.tasks).toEqual([task]);
      void tester;
      void scribe;
    });

    test("answers 404 for an unregistered agent and 400 for a malformed id", async () => {
      expect((await json(await h.op("GET", "/v1/agents/agent:ghost/blast-radius"))).code).toBe("not_found");
      expect((await h.op("GET", "/v1/agents/not-an-agent/blast-radius")).status).toBe(400);
    });
  });

  test("every new read endpoint refuses a missing or wrong operator token with 401", async () => {
    for (const path of [
      "/v1/tasks",
      `/v1/tasks/${task}`,
      "/v1/agents",
      "/v1/agents/agent:coder/blast-radius",
    ]) {
      const none = await h.app.request(`${ORIGIN}${path}`);
      expect(none.status, path).toBe(401);
      expect((await json(none)).code, path).toBe("unauthorized");
      const wrong = await h.op("GET", path, undefined, {
        authorization: "Bearer not-the-operator-token-at-all",
      });
      expect(wrong.status, path).toBe(401);
    }
  });

  test("documents the new endpoints in /openapi.json", async () => {
    const doc = (await (await h.app.request(`${ORIGIN}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of ["/v1/tasks", "/v1/tasks/{id}", "/v1/agents", "/v1/agents/{id}/blast-radius"])
      expect(Object.keys(doc.paths)).toContain(path);
  });
});

describe("the inspector page", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  test("is served without a token, with a strict content security policy", async () => {
    const page = await h.app.request(`${ORIGIN}/inspect`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/inspect/inspector.js"');
    // Nothing is loaded from another origin.
    expect(html).not.toMatch(/(?:src|href)="https?:/);
  });

  test("serves its module, its stylesheet and the vendored graph library from this origin", async () => {
    const script = await h.app.request(`${ORIGIN}/inspect/inspector.js`);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    // Imported by its URL on this origin (a dynamic import, so the type checker reads the module's
    // types from node_modules while the browser loads the vendored file).
    expect(await script.text()).toContain('const CYTOSCAPE_URL = "/inspect/vendor/cytoscape.esm.min.mjs";');
    const vendor = await h.app.request(`${ORIGIN}/inspect/vendor/cytoscape.esm.min.mjs`);
    expect(vendor.status).toBe(200);
    expect((await vendor.text()).length).toBeGreaterThan(100_000);
    expect((await h.app.request(`${ORIGIN}/inspect/inspector.css`)).status).toBe(200);
    const slash = await h.app.request(`${ORIGIN}/inspect/`);
    expect(slash.status).toBe(308);
    expect((await h.app.request(`${ORIGIN}/inspect/nope.js`)).status).toBe(404);
  });
});
