/**
 * Look-alike identities and typed limits (issue 14), over real HTTP on a real SQLite file: an
 * agent id equal to a registered one ignoring case, or a key registered to another agent, is a
 * 409 with its own code; a grant or hop whose token would pass 8 KiB is a 400 `token_too_large`
 * saying what to cut; one delegation cannot open more pending approvals than the configured cap.
 *
 * @see issue 14 ("Look-alike identities", "Typed errors everywhere")
 */
import { countRecords } from "@baton/store/conformance/fixtures";
import type { PolicyHook } from "@baton/verifier";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeKey } from "../../packages/verifier/test/fixtures.ts";
import { type Agent, type SecurityService, startSecurityService, TOOL_AUDIENCE } from "./harness.ts";

const MAX_PENDING = 3;
/** Deleting an issue needs an operator's approval; everything else is allowed. */
const stepUpDeletes: PolicyHook = (input) =>
  input.kind === "use" && input.action === "repo.issues.delete"
    ? { decision: "step_up", message: "deleting needs an operator" }
    : { decision: "allow" };

let svc: SecurityService;
let alice: Agent;
let bob: Agent;

beforeAll(async () => {
  svc = await startSecurityService(
    { BATON_MAX_PENDING_APPROVALS: String(MAX_PENDING) },
    { policy: stepUpDeletes },
  );
  alice = await svc.registerAgent("alice");
  bob = await svc.registerAgent("bob");
  await svc.grant(alice);
});
afterAll(async () => {
  await svc?.close();
});

/** How many tasks, delegations, tokens or decisions the store holds, read through the port. */
const count = async (records: "tasks" | "delegations" | "tokens" | "decisions") =>
  (await countRecords(svc.store))[records];

async function problem(response: Response): Promise<{ status: number; code: string; detail: string }> {
  const body = (await response.json()) as { code: string; detail: string };
  return { status: response.status, code: body.code, detail: body.detail };
}

describe("look-alike identities", () => {
  test("refuses an agent id equal to a registered one ignoring case (agent_id_lookalike, 409)", async () => {
    const before = (await svc.store.listAgents()).length;
    for (const id of ["agent:Bob", "agent:BOB", "agent:ALICE"]) {
      const response = await svc.op("POST", "/v1/agents", { id, jwk: makeKey().jwk });
      const refused = await problem(response);
      expect(refused).toMatchObject({ status: 409, code: "agent_id_lookalike" });
      expect(refused.detail).toContain(id.toLowerCase());
    }
    expect(await svc.store.listAgents()).toHaveLength(before);
  });

  test("refuses a SPIFFE ID that differs from a registered one only in case", async () => {
    const first = await svc.op("POST", "/v1/agents", {
      id: "spiffe://acme.example/ns/prod/Planner",
      jwk: makeKey().jwk,
    });
    expect(first.status).toBe(201);
    const second = await svc.op("POST", "/v1/agents", {
      id: "spiffe://acme.example/ns/prod/planner",
      jwk: makeKey().jwk,
    });
    expect(await problem(second)).toMatchObject({ status: 409, code: "agent_id_lookalike" });
  });

  test("refuses a key already registered to another agent (agent_key_in_use, 409)", async () => {
    const before = (await svc.store.listAgents()).length;
    const response = await svc.op("POST", "/v1/agents", { id: "agent:mallory", jwk: alice.key.jwk });
    const refused = await problem(response);
    expect(refused).toMatchObject({ status: 409, code: "agent_key_in_use" });
    expect(refused.detail).toContain(alice.id);
    expect(await svc.store.getAgent("agent:mallory")).toBeUndefined();
    expect(await svc.store.listAgents()).toHaveLength(before);
  });

  test("keeps refusing a disabled agent's key: its tokens still name it", async () => {
    const carol = await svc.registerAgent("carol");
    expect((await svc.op("POST", `/v1/agents/${carol.id}/disable`, { reason: "left" })).status).toBe(200);
    const reuse = await svc.op("POST", "/v1/agents", { id: "agent:carol2", jwk: carol.key.jwk });
    expect(await problem(reuse)).toMatchObject({ status: 409, code: "agent_key_in_use" });
  });

  test("still answers an exact duplicate with conflict", async () => {
    const response = await svc.op("POST", "/v1/agents", { id: alice.id, jwk: makeKey().jwk });
    expect(await problem(response)).toMatchObject({ status: 409, code: "conflict" });
  });
});

/** 32 capabilities, each covered by `repo.issues.*` on `repo:acme/web/**`, with long resources. */
const LONG_CAPS = Array.from({ length: 32 }, (_, i) => ({
  act: "repo.issues.read",
  res: `repo:acme/web/${"a".repeat(400)}/${i}`,
}));

describe("tokens over 8 KiB", () => {
  test("refuses a grant whose token would pass 8 KiB with a 400 token_too_large saying what to cut", async () => {
    const tasks = await count("tasks");
    const response = await svc.op("POST", "/v1/grants", {
      agent: bob.id,
      task: { intent: "too much" },
      cap: LONG_CAPS,
      aud: [TOOL_AUDIENCE],
    });
    const refused = await problem(response);
    expect(refused).toMatchObject({ status: 400, code: "token_too_large" });
    expect(refused.detail).toMatch(/8192/);
    expect(refused.detail).toMatch(/fewer capabilities \(cap has 32\)/);
    expect(await count("tasks")).toBe(tasks);
  });

  test("refuses a hop whose token would pass 8 KiB with a 400 token_too_large, and logs the refusal", async () => {
    const delegations = await count("delegations");
    const response = await svc.delegate(alice, bob, { cap: LONG_CAPS });
    const refused = await problem(response);
    expect(refused).toMatchObject({ status: 400, code: "token_too_large" });
    expect(refused.detail).toMatch(/fewer capabilities/);
    expect(await count("delegations")).toBe(delegations);
    const logged = (await svc.store.queryDecisions({ did: alice.did, limit: 1 })).items[0];
    expect(logged).toMatchObject({ kind: "delegate", decision: "deny" });
    expect(logged?.reasons.map((reason) => reason.code)).toEqual(["token_too_large"]);
  });
});

describe("pending approvals per delegation", () => {
  function askToDelete(issue: number): Promise<Response> {
    return svc.verifyResponse({
      chain: alice.chain,
      proofBy: alice.key,
      action: "repo.issues.delete",
      resource: `repo:acme/web/issues/${issue}`,
    });
  }
  const pendingOf = async (did: string) =>
    (await svc.store.listApprovals({ status: "pending", limit: 1000 })).filter(
      (approval) => approval.did === did,
    );

  test("opens at most the configured number, then answers 429 approval_limit and logs the step-up", async () => {
    for (let issue = 1; issue <= MAX_PENDING; issue++) {
      const response = await askToDelete(issue);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { decision: string }).decision).toBe("step_up");
    }
    const decisions = await count("decisions");
    const over = await problem(await askToDelete(MAX_PENDING + 1));
    expect(over).toMatchObject({ status: 429, code: "approval_limit" });
    expect(over.detail).toContain("baton approvals list");
    expect(await pendingOf(alice.did)).toHaveLength(MAX_PENDING);
    expect(await count("decisions")).toBe(decisions + 1);
    const logged = (await svc.store.queryDecisions({ did: alice.did, limit: 1 })).items[0];
    expect(logged).toMatchObject({ decision: "step_up", detail: { refused: "approval_limit" } });
  });

  test("still reuses a pending request for the same call, and opens a new one once an operator decides", async () => {
    const retry = await askToDelete(1);
    expect(retry.status).toBe(200);
    const [oldest] = (await pendingOf(alice.did)).slice(-1);
    expect((await svc.op("POST", `/v1/approvals/${oldest?.id}/deny`)).status).toBe(200);
    const next = await askToDelete(MAX_PENDING + 1);
    expect(next.status).toBe(200);
    expect(await pendingOf(alice.did)).toHaveLength(MAX_PENDING);
  });
});
