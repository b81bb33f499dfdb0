/**
 * The decision log as an investigator and an attacker meet it (issue 13), over real HTTP on
 * loopback with a real SQLite file: every record names the agent that presented the chain, a
 * tool server's reports are accepted one by one, reports the graph contradicts are refused, and
 * no volume of other decisions can push a decision out of a trace.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonAgent, BatonOperator, createDpopProof } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import type { DecisionRecord } from "@baton/store";
import type { Decision } from "@baton/verifier";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "audit-e2e-operator-token-0123456789";
const START = 1_767_225_600;
const TOOL_URL = "https://repo.tools.example/repos/acme/web/issues";

interface Issued {
  readonly did: string;
  readonly jti: string;
  readonly chain: string;
}

interface Page {
  readonly items: DecisionRecord[];
  readonly next: number | null;
}

describe("the audit trail", () => {
  let now = START;
  const clock = () => now;
  let dir: string;
  let service: RunningServer;
  let operator: BatonOperator;
  const secrets: Record<string, string> = {};
  const keys: Record<string, AgentKeyPair> = {};
  let task: string;
  let root: Issued;
  let worker: Issued;
  let helper: Issued;
  let sibling: Issued;

  const agent = (name: string, chain: string) =>
    new BatonAgent({
      serviceUrl: service.url,
      id: `agent:${name}`,
      key: keys[name] as AgentKeyPair,
      chain,
      clock,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-audit-"));
    const config = loadConfig(
      { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
      ["--port", "0"],
    );
    service = await startServer(config, { print: () => {}, clock });
    operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    for (const name of ["planner", "worker", "helper", "other"]) {
      keys[name] = await AgentKeyPair.generate();
      await operator.registerAgent({ id: `agent:${name}`, jwk: (keys[name] as AgentKeyPair).publicJwk });
    }
    for (const id of ["repo-tool", "mail-tool"])
      secrets[id] = (await operator.registerAudience({ id })).secret;
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "triage issues" },
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      ttl: 7200,
      rvi: 600,
      mdp: 3,
    });
    task = granted.task;
    root = { did: granted.did, jti: granted.jti, chain: granted.chain };
    const planner = agent("planner", root.chain);
    worker = await planner.delegate({
      to: "agent:worker",
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
    });
    sibling = await planner.delegate({
      to: "agent:other",
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
    });
    helper = await agent("worker", worker.chain).delegate({
      to: "agent:helper",
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
    });
  });

  afterAll(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function verifyOnline(name: string, chain: string, action = "repo.issues.read") {
    const proof = await createDpopProof(keys[name] as AgentKeyPair, {
      method: "GET",
      url: TOOL_URL,
      chain,
      now,
    });
    const response = await fetch(`${service.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${secrets["repo-tool"]}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain,
        proof,
        htm: "GET",
        htu: TOOL_URL,
        audience: "repo-tool",
        action,
        resource: "repo:acme/web/issues",
        args: { state: "open", labels: ["bug"] },
      }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Decision;
  }

  const decisions = (query: string) => operator.request<Page>("GET", `/v1/decisions?${query}`);
  const latest = async () => (await decisions("limit=1")).items[0] as DecisionRecord;

  async function report(audience: string, entries: unknown[]) {
    const response = await fetch(`${service.url}/v1/decisions`, {
      method: "POST",
      headers: { authorization: `Bearer ${secrets[audience]}`, "content-type": "application/json" },
      body: JSON.stringify({ decisions: entries }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { accepted: number; refused: { index: number; code: string }[] };
  }

  /** A report of a decision about `hops` (root first), as a tool server's verifier would make it. */
  function reportOf(hops: { issued: Issued; sub: string }[], decision: "allow" | "deny", extra = {}) {
    const chain = hops.map(({ issued, sub }, dpt) => ({
      did: issued.did,
      jti: issued.jti,
      sub,
      dlg: dpt === 0 ? null : (hops[dpt - 1]?.sub ?? null),
      dpt,
    }));
    return {
      at: now,
      audience: "repo-tool",
      method: "GET",
      path: "/repos/acme/web/issues",
      action: "repo.issues.read",
      resource: "repo:acme/web/issues",
      decision: {
        decision,
        reasons:
          decision === "allow" ? [] : [{ hop: null, code: "action_not_permitted", message: "not this" }],
        chain,
        task,
        actor: { agent: hops.at(-1)?.sub ?? null, proven: true },
        presented: chain.map((hop) => ({ did: hop.did, sub: hop.sub, verified: true })),
      },
      ...extra,
    };
  }
  const workerPath = () => [
    { issued: root, sub: "agent:planner" },
    { issued: worker, sub: "agent:worker" },
  ];

  describe("names the agent that presented the chain", () => {
    test("an allowed call records its proven actor, the service as reporter, the target and every hop", async () => {
      const decision = await verifyOnline("helper", helper.chain);
      expect(decision).toMatchObject({ decision: "allow", actor: { agent: "agent:helper", proven: true } });
      expect(await latest()).toMatchObject({
        kind: "verify",
        decision: "allow",
        agent: "agent:helper",
        actorProven: true,
        reporter: "service",
        audience: "repo-tool",
        action: "repo.issues.read",
        resource: "repo:acme/web/issues",
        did: helper.did,
        chain: [
          { did: root.did, sub: "agent:planner", verified: true },
          { did: worker.did, sub: "agent:worker", verified: true },
          { did: helper.did, sub: "agent:helper", verified: true },
        ],
      });
      // The digest of the arguments, in canonical member order, not the arguments themselves.
      expect((await latest()).argsDigest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    test("a chain refused at its root is the leaf holder's refusal, not the root holder's", async () => {
      now = START + 700; // past every token's rvl: hop 0 is due first
      const decision = await verifyOnline("helper", helper.chain);
      expect(decision.reasons[0]).toMatchObject({ hop: 0, code: "revalidation_due", claim: "rvl" });
      expect(decision.reasons[0]?.evidence).toMatchObject({ now: START + 700 });
      expect(decision.actor).toEqual({ agent: "agent:helper", proven: true });
      const logged = await latest();
      expect(logged).toMatchObject({ decision: "deny", agent: "agent:helper", actorProven: true, did: null });
      expect(logged.chain?.map((hop) => [hop.sub, hop.verified])).toEqual([
        ["agent:planner", false],
        ["agent:worker", false],
        ["agent:helper", false],
      ]);
      expect(logged.reasons[0]).toMatchObject({ code: "revalidation_due", claim: "rvl" });
    });

    test("a refusal at an agent endpoint names the presenter too", async () => {
      try {
        const url = `${service.url}/v1/delegations`;
        const proof = await createDpopProof(keys.helper as AgentKeyPair, {
          method: "POST",
          url,
          chain: helper.chain,
          now,
        });
        const response = await fetch(url, {
          method: "POST",
          headers: {
            authorization: `DPoP ${helper.chain}`,
            dpop: proof,
            "content-type": "application/json",
          },
          body: JSON.stringify({
            to: "agent:other",
            cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
          }),
        });
        expect(response.status).toBe(401);
        expect(await latest()).toMatchObject({
          kind: "delegate",
          decision: "deny",
          agent: "agent:helper",
          actorProven: true,
        });
      } finally {
        now = START;
      }
    });

    test("a proof from another key leaves the claimed actor unproven", async () => {
      const proof = await createDpopProof(keys.other as AgentKeyPair, {
        method: "GET",
        url: TOOL_URL,
        chain: helper.chain,
        now,
      });
      const response = await fetch(`${service.url}/v1/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${secrets["repo-tool"]}`, "content-type": "application/json" },
        body: JSON.stringify({
          chain: helper.chain,
          proof,
          htm: "GET",
          htu: TOOL_URL,
          audience: "repo-tool",
          action: "repo.issues.read",
          resource: "repo:acme/web/issues",
        }),
      });
      const decision = (await response.json()) as Decision;
      expect(decision.reasons[0]?.code).toBe("pop_binding_mismatch");
      expect(await latest()).toMatchObject({ agent: "agent:helper", actorProven: false });
    });
  });

  describe("reports", () => {
    test("are accepted one by one: a refused entry never takes the others with it", async () => {
      const good = reportOf(workerPath(), "allow");
      const result = await report("repo-tool", [
        good,
        { ...good, path: `/${"x".repeat(3000)}` },
        { ...good, action: "" },
        reportOf(workerPath(), "deny"),
      ]);
      expect(result.accepted).toBe(2);
      expect(result.refused.map((entry) => [entry.index, entry.code])).toEqual([
        [1, "malformed"],
        [2, "malformed"],
      ]);
      expect(await latest()).toMatchObject({
        kind: "report",
        reporter: "audience:repo-tool",
        agent: "agent:worker",
      });
    });

    test("the graph contradicts are refused, each with its code, and never reach a trace", async () => {
      const before = (await decisions(`path=${worker.did}&limit=1000`)).items.length;
      const forged = (mutate: (entry: ReturnType<typeof reportOf>) => unknown) =>
        mutate(reportOf(workerPath(), "allow"));
      const unknownDid = forged((entry) => ({
        ...entry,
        decision: {
          ...entry.decision,
          chain: entry.decision.chain.map((hop, i) =>
            i === 1 ? { ...hop, did: "AAAAAAAAAAAAAAAAAAAAAA" } : hop,
          ),
          presented: entry.decision.presented.map((hop, i) =>
            i === 1 ? { ...hop, did: "AAAAAAAAAAAAAAAAAAAAAA" } : hop,
          ),
        },
      }));
      const otherTask = forged((entry) => ({
        ...entry,
        decision: { ...entry.decision, task: "task-elsewhere" },
      }));
      const otherActor = forged((entry) => ({
        ...entry,
        decision: { ...entry.decision, actor: { agent: "agent:other", proven: true } },
      }));
      const otherHolder = forged((entry) => ({
        ...entry,
        decision: {
          ...entry.decision,
          chain: entry.decision.chain.map((hop, i) => (i === 1 ? { ...hop, sub: "agent:other" } : hop)),
          presented: entry.decision.presented.map((hop, i) =>
            i === 1 ? { ...hop, sub: "agent:other" } : hop,
          ),
          actor: { agent: "agent:other", proven: true },
        },
      }));
      const refused = await report("repo-tool", [unknownDid, otherTask, otherActor, otherHolder]);
      expect(refused.accepted).toBe(0);
      expect(refused.refused.map((entry) => entry.code)).toEqual([
        "unknown_delegation",
        "task_mismatch",
        "actor_mismatch",
        "actor_mismatch",
      ]);
      // A tool server no chain of this task names may not write that the worker was allowed.
      const outsider = await report("mail-tool", [
        { ...reportOf(workerPath(), "allow"), audience: "mail-tool" },
      ]);
      expect(outsider.refused.map((entry) => entry.code)).toEqual(["audience_mismatch"]);
      expect((await decisions(`path=${worker.did}&limit=1000`)).items.length).toBe(before);
    });
  });

  describe("a trace", () => {
    const trace = (did: string) =>
      operator.trace(did) as Promise<{ decisions: DecisionRecord[]; decisionsNext: number | null }>;

    test("keeps a hop's early allow however many decisions the rest of the task makes", async () => {
      const early = (await decisions(`path=${helper.did}&limit=1000`)).items.find(
        (d) => d.kind === "verify" && d.decision === "allow",
      );
      expect(early).toBeDefined();
      // A compromised sibling makes 1,500 cheap refused calls in the same task.
      const spam = reportOf(
        [
          { issued: root, sub: "agent:planner" },
          { issued: sibling, sub: "agent:other" },
        ],
        "deny",
      );
      for (let batch = 0; batch < 3; batch++) {
        expect(
          (
            await report(
              "repo-tool",
              Array.from({ length: 500 }, () => spam),
            )
          ).accepted,
        ).toBe(500);
      }
      const traced = await trace(helper.did);
      expect(traced.decisions.map((d) => d.id)).toContain(early?.id);
      expect((await decisions(`task=${task}&limit=1000`)).next).not.toBeNull();
    });

    test("pages through its own path when that path is flooded, and says the page is cut", async () => {
      const early = (await decisions(`path=${helper.did}&limit=1000&order=oldest`)).items.find(
        (d) => d.kind === "verify" && d.decision === "allow",
      ) as DecisionRecord;
      const flood = reportOf(
        [
          { issued: root, sub: "agent:planner" },
          { issued: worker, sub: "agent:worker" },
          { issued: helper, sub: "agent:helper" },
        ],
        "deny",
      );
      for (let batch = 0; batch < 3; batch++) {
        expect(
          (
            await report(
              "repo-tool",
              Array.from({ length: 500 }, () => flood),
            )
          ).accepted,
        ).toBe(500);
      }
      const first = await trace(helper.did);
      expect(first.decisions).toHaveLength(100);
      expect(first.decisionsNext).not.toBeNull();
      const seen = new Set(first.decisions.map((d) => d.id));
      let cursor = first.decisionsNext;
      while (cursor !== null) {
        const page = await decisions(`path=${helper.did}&limit=1000&cursor=${cursor}`);
        for (const item of page.items) seen.add(item.id);
        cursor = page.next;
      }
      expect(seen.has(early.id)).toBe(true);
    });
  });

  test("leaves a log that verifies end to end", async () => {
    const response = await fetch(`${service.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await service.store.verifyDecisionLog()).toMatchObject({ ok: true });
  });
});
