import { AgentKeyPair, createDpopProof } from "@baton/client";
import { INPUT_LIMITS } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { generateAudienceSecret, hashSecret } from "../src/secrets.ts";
import {
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  OPERATOR_TOKEN,
  ORIGIN,
  registerAgent,
  registerAudience,
  type TestAgent,
} from "./harness.ts";

const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };
// A small-order point (the identity, y = 1): signatures under it can be forged.
const SMALL_ORDER_X = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

describe("operator routes", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  describe("authentication", () => {
    test("refuses a missing or wrong operator token with 401 before looking at the body", async () => {
      const none = await h.app.request(`${ORIGIN}/v1/agents`, { method: "POST", body: "{" });
      expect(none.status).toBe(401);
      expect((await json(none)).code).toBe("unauthorized");
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      const wrong = await h.op(
        "POST",
        "/v1/agents",
        {},
        { authorization: "Bearer not-the-operator-token-at-all" },
      );
      expect(wrong.status).toBe(401);
    });

    test("answers 400 for a malformed Authorization header", async () => {
      const response = await h.op("GET", "/v1/approvals", undefined, { authorization: "Bearer" });
      expect(response.status).toBe(400);
      expect((await json(response)).code).toBe("invalid_request");
    });
  });

  describe("POST /v1/agents", () => {
    test("registers an agent and returns its key thumbprint; a duplicate id is a conflict", async () => {
      const key = await AgentKeyPair.generate();
      const response = await h.op("POST", "/v1/agents", {
        id: "agent:planner",
        jwk: key.publicJwk,
        name: "Planner",
      });
      expect(response.status).toBe(201);
      expect(await json(response)).toEqual({ id: "agent:planner", jkt: key.thumbprint });
      const again = await h.op("POST", "/v1/agents", { id: "agent:planner", jwk: key.publicJwk });
      expect(again.status).toBe(409);
      expect((await json(again)).code).toBe("conflict");
      // The operator acted: the registered agent is what was acted on, not the actor.
      expect((await h.store.queryDecisions({ limit: 5 })).items[0]).toMatchObject({
        kind: "register",
        agent: null,
        reporter: "service",
        detail: { by: "operator", agent: "agent:planner" },
      });
    });

    test("refuses a small-order key, a private key, an unknown field and malformed JSON, changing nothing", async () => {
      const key = await AgentKeyPair.generate();
      const cases: unknown[] = [
        { id: "agent:bad", jwk: { kty: "OKP", crv: "Ed25519", x: SMALL_ORDER_X } },
        { id: "agent:bad", jwk: key.toPrivateJwk() },
        { id: "agent:bad", jwk: key.publicJwk, role: "admin" },
        { id: "not an id", jwk: key.publicJwk },
        "{not json",
      ];
      for (const body of cases) {
        const response = await h.op("POST", "/v1/agents", body);
        expect(response.status).toBe(400);
        expect((await json(response)).code).toBe("invalid_request");
      }
      expect(await h.store.getAgent("agent:bad")).toBeUndefined();
    });

    test("refuses a body that is not JSON with 415", async () => {
      const response = await h.op("POST", "/v1/agents", "id=agent:x", {
        "content-type": "application/x-www-form-urlencoded",
      });
      expect(response.status).toBe(415);
    });
  });

  describe("POST /v1/grants", () => {
    test("grants a root delegation for a new task", async () => {
      const planner = await registerAgent(h, "agent:planner");
      const { task, did } = await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"], task: "task-1" });
      expect(task).toBe("task-1");
      expect((await h.store.getTask("task-1"))?.rootDid).toBe(did);
      expect(await h.store.getDelegation(did)).toMatchObject({
        to: "agent:planner",
        depth: 0,
        status: "live",
      });
    });

    test("refuses an unknown agent, a TTL over the maximum, a malformed capability and a reused task id", async () => {
      const planner = await registerAgent(h, "agent:planner");
      const base = { agent: planner.id, task: { intent: "t" }, cap: [ISSUES], aud: ["repo-tool"] };
      expect((await h.op("POST", "/v1/grants", { ...base, agent: "agent:ghost" })).status).toBe(404);
      expect((await h.op("POST", "/v1/grants", { ...base, ttl: 10 ** 7 })).status).toBe(400);
      expect(
        (await h.op("POST", "/v1/grants", { ...base, cap: [{ act: "a..b", res: "repo:x" }] })).status,
      ).toBe(400);
      expect(
        (await h.op("POST", "/v1/grants", { ...base, cap: [{ act: "a", res: "repo:../x" }] })).status,
      ).toBe(400);
      await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"], task: "task-1" });
      expect(
        (await h.op("POST", "/v1/grants", { ...base, task: { id: "task-1", intent: "t" } })).status,
      ).toBe(409);
    });

    test("refuses a grant naming an audience nobody registered with 404 unknown_audience, writing nothing", async () => {
      const planner = await registerAgent(h, "agent:planner");
      await registerAudience(h, "repo-tool");
      const rowsBefore = (await h.store.verifyDecisionLog()).rows;
      const response = await h.op("POST", "/v1/grants", {
        agent: planner.id,
        task: { id: "task-typo", intent: "t" },
        cap: [ISSUES],
        aud: ["repo-tool", "repo-tol", "mail-tool"],
      });
      expect(response.status).toBe(404);
      const problem = await json(response);
      expect(problem.code).toBe("unknown_audience");
      expect(problem.audiences).toEqual(["repo-tol", "mail-tool"]);
      expect(problem.detail).toContain('"repo-tol", "mail-tool" are not registered audiences');
      expect(problem.detail).toContain("POST /v1/audiences");
      expect(await h.store.getTask("task-typo")).toBeUndefined();
      expect((await h.store.verifyDecisionLog()).rows).toBe(rowsBefore);
    });

    test("grants for * without any registered audience", async () => {
      const planner = await registerAgent(h, "agent:planner");
      const response = await h.op("POST", "/v1/grants", {
        agent: planner.id,
        task: { intent: "t" },
        cap: [ISSUES],
        aud: ["*"],
      });
      expect(response.status).toBe(201);
    });
  });

  describe("POST /v1/agents/{id}/disable", () => {
    test("disables an agent and revokes what it holds; its chain is refused from then on", async () => {
      const planner = await registerAgent(h, "agent:planner");
      await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"] });
      const response = await h.op("POST", "/v1/agents/agent:planner/disable", { reason: "compromised" });
      expect(response.status).toBe(200);
      expect((await json(response)).revoked).toEqual([planner.did]);
      expect((await h.store.getAgent("agent:planner"))?.status).toBe("disabled");
      expect((await h.op("POST", "/v1/agents/agent:ghost/disable", { reason: "x" })).status).toBe(404);
      expect((await h.op("POST", "/v1/agents/agent:planner/disable", { reason: 42 })).status).toBe(400);
    });
  });

  describe("POST /v1/audiences", () => {
    test("returns the secret once and stores only its hash; a duplicate is a conflict", async () => {
      const secret = await registerAudience(h, "repo-tool");
      const record = await h.store.getAudience("repo-tool");
      expect(record?.secretHash).not.toContain(secret);
      expect((await h.op("POST", "/v1/audiences", { id: "repo-tool" })).status).toBe(409);
      expect((await h.op("POST", "/v1/audiences", { id: "*" })).status).toBe(400);
    });
  });

  describe("approvals", () => {
    test("lists, approves and denies approvals; deciding twice is a conflict", async () => {
      const planner = await registerAgent(h, "agent:planner");
      const { did, task } = await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"] });
      for (const id of ["ap-1", "ap-2"]) {
        await h.store.createApproval({
          id,
          did,
          agent: planner.id,
          task,
          action: "repo.issues.delete",
          resource: "repo:acme/web/issues/1",
          reason: "destructive",
          at: h.now,
          expiresAt: h.now + 600,
        });
      }
      const list = await h.op("GET", "/v1/approvals?status=pending");
      expect(((await json(list)).items as unknown[]).length).toBe(2);
      const approved = await h.op("POST", "/v1/approvals/ap-1/approve");
      expect(approved.status).toBe(200);
      expect((await json(approved)).status).toBe("approved");
      expect((await json(await h.op("POST", "/v1/approvals/ap-2/deny"))).status).toBe("denied");
      expect((await h.op("POST", "/v1/approvals/ap-1/deny")).status).toBe(409);
      expect((await h.op("POST", "/v1/approvals/nope/approve")).status).toBe(404);
      expect((await h.op("GET", "/v1/approvals?status=maybe")).status).toBe(400);
      const kinds = (await h.store.queryDecisions({ limit: 3 })).items.map((decision) => decision.kind);
      expect(kinds).toEqual(expect.arrayContaining(["approve", "deny_approval"]));
    });
  });
});

describe("tool-server and investigation routes", () => {
  let h: Harness;
  let planner: TestAgent;
  let researcher: TestAgent;
  let secret: string;

  beforeEach(async () => {
    h = await createHarness();
    planner = await registerAgent(h, "agent:planner");
    researcher = await registerAgent(h, "agent:researcher");
    await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"], mdp: 2 });
    await delegate(h, planner, researcher, { cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }] });
    secret = await registerAudience(h, "repo-tool");
  });
  afterEach(async () => h.close());

  async function verify(action: string, options: { as?: string; audience?: string; proof?: boolean } = {}) {
    const htu = "https://tools.example/repos/acme/web/issues";
    const proof =
      options.proof === false
        ? undefined
        : await createDpopProof(researcher.key, {
            method: "GET",
            url: htu,
            chain: researcher.chain,
            now: h.now,
          });
    return h.app.request(`${ORIGIN}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${options.as ?? secret}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain: researcher.chain,
        ...(proof === undefined ? {} : { proof }),
        htm: "GET",
        htu,
        audience: options.audience ?? "repo-tool",
        action,
        resource: "repo:acme/web/issues",
      }),
    });
  }

  describe("POST /v1/verify", () => {
    test("allows an in-scope call and denies an out-of-scope one with a 200 decision", async () => {
      const allowed = await verify("repo.issues.read");
      expect(allowed.status).toBe(200);
      expect(await json(allowed)).toMatchObject({ decision: "allow", task: expect.any(String) });
      const denied = await verify("repo.issues.delete");
      expect(denied.status).toBe(200);
      const body = await json(denied);
      expect(body.decision).toBe("deny");
      expect((body.reasons as { code: string }[])[0]?.code).toBe("action_not_permitted");
      const logged = (await h.store.queryDecisions({ limit: 2 })).items;
      expect(logged.map((decision) => [decision.kind, decision.decision])).toEqual([
        ["verify", "deny"],
        ["verify", "allow"],
      ]);
    });

    test("denies a call without a proof with pop_missing", async () => {
      const body = await json(await verify("repo.issues.read", { proof: false }));
      expect((body.reasons as { code: string }[])[0]?.code).toBe("pop_missing");
    });

    test("refuses an audience secret used for another audience, and a forged secret", async () => {
      expect((await verify("repo.issues.read", { audience: "mail-tool" })).status).toBe(403);
      const forged = `${secret.slice(0, -4)}AAAA`;
      expect((await verify("repo.issues.read", { as: forged })).status).toBe(401);
      expect((await verify("repo.issues.read", { as: OPERATOR_TOKEN, audience: "mail-tool" })).status).toBe(
        200,
      );
    });

    test("reads a registered audience from the store once, and checks every secret against it", async () => {
      const reads = vi.spyOn(h.store, "getAudience");
      for (let call = 0; call < 3; call++) expect((await verify("repo.issues.read")).status).toBe(200);
      expect((await verify("repo.issues.read", { as: `${secret.slice(0, -4)}AAAA` })).status).toBe(401);
      expect(reads).toHaveBeenCalledTimes(1);
    });

    test("accepts the secret of an audience registered after that secret was refused", async () => {
      const late = generateAudienceSecret("late-tool");
      expect((await verify("repo.issues.read", { as: late, audience: "late-tool" })).status).toBe(401);
      // Registered behind this instance's back, as another instance would.
      await h.store.registerAudience({ id: "late-tool", secretHash: hashSecret(late), at: h.now });
      expect((await verify("repo.issues.read", { as: late, audience: "late-tool" })).status).toBe(200);
    });

    test("refuses a body without an audience with 400", async () => {
      const response = await h.app.request(`${ORIGIN}/v1/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify({ chain: researcher.chain, action: "a", resource: "repo:x" }),
      });
      expect(response.status).toBe(400);
    });
  });

  describe("POST /v1/decisions", () => {
    const report = (audience: string) => ({
      at: 1_767_225_600,
      audience,
      method: "GET",
      path: "/repos/acme/web/issues",
      action: "repo.issues.read",
      resource: "repo:acme/web/issues",
      decision: {
        decision: "deny",
        reasons: [{ hop: null, code: "malformed", message: "the chain is empty" }],
        chain: [],
        task: null,
        actor: { agent: null, proven: false },
        presented: [],
      },
    });
    const post = (body: unknown, token = secret) =>
      h.app.request(`${ORIGIN}/v1/decisions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    test("appends reported decisions to the log, naming the tool server as reporter", async () => {
      const response = await post({ decisions: [report("repo-tool"), report("repo-tool")] });
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({ accepted: 2, refused: [] });
      expect((await h.store.queryDecisions({ limit: 1 })).items[0]).toMatchObject({
        kind: "report",
        audience: "repo-tool",
        reporter: "audience:repo-tool",
      });
    });

    test("accepts the good reports of a batch and names each one it refuses", async () => {
      const before = (await h.store.verifyDecisionLog()).rows;
      const bad = report("repo-tool");
      const unloggable = {
        ...bad,
        decision: {
          ...bad.decision,
          reasons: [{ hop: 1, code: "revoked", message: "bell \u0007 in a message" }],
        },
      };
      const response = await post({ decisions: [report("repo-tool"), unloggable, report("repo-tool")] });
      expect(response.status).toBe(200);
      const body = (await json(response)) as { accepted: number; refused: { index: number; code: string }[] };
      expect(body.accepted).toBe(2);
      expect(body.refused).toEqual([expect.objectContaining({ index: 1, code: "malformed" })]);
      expect(await h.store.verifyDecisionLog()).toMatchObject({ ok: true, rows: before + 2 });
    });

    test("refuses a report for another audience alone, and an oversized or empty batch whole", async () => {
      const mixed = (await json(await post({ decisions: [report("mail-tool"), report("repo-tool")] }))) as {
        accepted: number;
        refused: { index: number; code: string }[];
      };
      expect(mixed).toMatchObject({ accepted: 1, refused: [{ index: 0, code: "forbidden" }] });
      expect((await post({ decisions: Array.from({ length: 501 }, () => report("repo-tool")) })).status).toBe(
        400,
      );
      expect((await post({ decisions: [] })).status).toBe(400);
    });

    test("accepts a reason naming as many policy ids as the store keeps, and refuses one more before the store", async () => {
      const naming = (count: number) => {
        const base = report("repo-tool");
        const policies = Array.from({ length: count }, (_, i) => `policy-${i}`);
        const reasons = [{ hop: 0, code: "policy_denied", message: "policy denies this call", policies }];
        return { ...base, decision: { ...base.decision, reasons } };
      };
      const body = (await json(await post({ decisions: [naming(INPUT_LIMITS.maxReasonPolicies)] }))) as {
        accepted: number;
      };
      expect(body.accepted).toBe(1);
      expect((await h.store.queryDecisions({ limit: 1 })).items[0]?.reasons[0]?.policies).toHaveLength(
        INPUT_LIMITS.maxReasonPolicies,
      );
      const tooMany = (await json(
        await post({ decisions: [naming(INPUT_LIMITS.maxReasonPolicies + 1)] }),
      )) as {
        refused: { index: number; code: string; message: string }[];
      };
      // Refused by the request schema, naming the field, before the store is asked.
      expect(tooMany.refused).toEqual([
        { index: 0, code: "malformed", message: expect.stringContaining("decision.reasons.0.policies") },
      ]);
    });
  });

  describe("GET /v1/delegations/{did}", () => {
    test("traces a delegation with its ancestors, descendants, versions and decisions", async () => {
      const response = await h.op("GET", `/v1/delegations/${planner.did}`);
      expect(response.status).toBe(200);
      const trace = (await json(response)) as {
        delegation: { did: string };
        ancestors: unknown[];
        descendants: { did: string }[];
        versions: unknown[];
        decisions: { kind: string }[];
      };
      expect(trace.delegation.did).toBe(planner.did);
      expect(trace.ancestors).toEqual([]);
      expect(trace.descendants.map((d) => d.did)).toEqual([researcher.did]);
      expect(trace.versions).toHaveLength(1);
      expect(trace.decisions.map((d) => d.kind)).toEqual(expect.arrayContaining(["grant", "delegate"]));
      expect(planner.did).toMatch(/^[A-Za-z0-9_-]{16}$/);
      // Unknown ids of both lengths the service has issued are 404; any other shape is 400.
      expect((await h.op("GET", "/v1/delegations/AAAAAAAAAAAAAAAA")).status).toBe(404);
      expect((await h.op("GET", "/v1/delegations/AAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
      expect((await h.op("GET", "/v1/delegations/AAAAAAAAAAAAAAAAAAA")).status).toBe(400);
      expect((await h.op("GET", "/v1/delegations/not-a-did")).status).toBe(400);
    });
  });

  describe("GET /v1/decisions", () => {
    test("pages through the decision log with a cursor", async () => {
      const first = (await json(await h.op("GET", "/v1/decisions?limit=2"))) as {
        items: { id: number }[];
        next: number | null;
      };
      expect(first.items).toHaveLength(2);
      expect(first.next).not.toBeNull();
      const second = (await json(await h.op("GET", `/v1/decisions?limit=2&cursor=${first.next}`))) as {
        items: { id: number }[];
      };
      expect(second.items[0]?.id).toBeLessThan(first.items[1]?.id ?? 0);
      // `agent` filters by actor: the planner delegated; the researcher, who only received, never acted.
      const byAgent = (await json(await h.op("GET", "/v1/decisions?agent=agent:planner"))) as {
        items: { agent: string; kind: string }[];
      };
      expect(byAgent.items.map((item) => [item.kind, item.agent])).toContainEqual([
        "delegate",
        "agent:planner",
      ]);
      expect(byAgent.items.every((item) => item.agent === "agent:planner")).toBe(true);
      const byReceiver = (await json(await h.op("GET", "/v1/decisions?agent=agent:researcher"))) as {
        items: unknown[];
      };
      expect(byReceiver.items).toEqual([]);
    });

    test("refuses an unknown query parameter and a limit out of range", async () => {
      expect((await h.op("GET", "/v1/decisions?user=x")).status).toBe(400);
      expect((await h.op("GET", "/v1/decisions?limit=0")).status).toBe(400);
    });
  });
});

describe("public routes", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  test("serves the JWKS, health and the OpenAPI document", async () => {
    const jwks = (await json(await h.app.request(`${ORIGIN}/.well-known/jwks.json`))) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    const health = await h.app.request(`${ORIGIN}/healthz`);
    expect(health.status).toBe(200);
    expect((await json(health)).ok).toBe(true);
    const doc = (await json(await h.app.request(`${ORIGIN}/openapi.json`))) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/agents",
        "/v1/grants",
        "/v1/delegations",
        "/v1/verify",
        "/v1/revocations",
        "/v1/tasks/{id}/complete",
      ]),
    );
  });

  test("pages the revocation feed with next = the since of the following page, null when caught up", async () => {
    const planner = await registerAgent(h, "agent:planner");
    const dids: string[] = [];
    for (let i = 0; i < 3; i++)
      dids.push((await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"] })).did);
    await h.op("POST", "/v1/revocations", { agent: planner.id, reason: "rotate" });
    const page1 = (await json(await h.app.request(`${ORIGIN}/v1/revocations?since=0&limit=2`))) as {
      items: { seq: number; did: string }[];
      next: number | null;
    };
    expect(page1.items).toHaveLength(2);
    expect(page1.next).toBe(page1.items[1]?.seq);
    const page2 = (await json(
      await h.app.request(`${ORIGIN}/v1/revocations?since=${page1.next}&limit=2`),
    )) as {
      items: { did: string }[];
      next: number | null;
    };
    expect(page2.items).toHaveLength(1);
    expect(page2.next).toBeNull();
    expect([...page1.items, ...page2.items].map((item) => item.did).sort()).toEqual(dids.sort());
    expect((await h.app.request(`${ORIGIN}/v1/revocations?since=-1`)).status).toBe(400);
  });

  test("answers an unknown route with a 404 problem", async () => {
    const response = await h.app.request(`${ORIGIN}/v1/nothing`);
    expect(response.status).toBe(404);
    expect((await json(response)).code).toBe("not_found");
  });
});
