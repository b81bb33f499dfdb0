/**
 * A step-up at delegation time over HTTP (issue 7): a hop that policy answers `step_up` for is not
 * issued; the service records a pending approval and the `step_up` decision together, and answers
 * 403 `step_up_required` naming the approval. Once an operator approves and the delegating agent
 * revalidates, its token carries the approval and the same hop is issued.
 */
import { decodeChain, decodeToken, parseTokenPayload } from "@baton/token";
import type { PolicyHook } from "@baton/verifier";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  agentCall,
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  registerAgent,
  type TestAgent,
} from "./harness.ts";

const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };

/** Delegating to agent:bob needs an operator's approval; everything else is allowed. */
const stepUpToBob: PolicyHook = (context) => {
  if (context.action !== "baton.delegate" || context.context.to !== "agent:bob") return { decision: "allow" };
  if ((context.approved ?? []).length > 0)
    return { decision: "allow", policies: [...(context.approved ?? [])] };
  return {
    decision: "step_up",
    message: "bob only works with an approval",
    policies: ["bob-needs-approval"],
  };
};

/** The `apv` of the leaf token of `chain`. */
function leafApv(chain: string): readonly string[] {
  const tokens = decodeChain(chain, { maxTokens: 16, maxTokenBytes: 8192 });
  if (!tokens.ok) throw tokens.error;
  const leaf = decodeToken(tokens.value.at(-1) as string, { maxTokenBytes: 8192 });
  if (!leaf.ok) throw leaf.error;
  const claims = parseTokenPayload(leaf.value);
  if (!claims.ok) throw claims.error;
  return claims.value.apv ?? [];
}

interface StepUpProblem {
  code: string;
  status: number;
  decision: string;
  approval: string;
  reasons: { hop: number | null; code: string; policies?: string[] }[];
}

describe("a delegation that policy answers step_up for", () => {
  let h: Harness;
  let alice: TestAgent;
  let bob: TestAgent;
  let carol: TestAgent;

  beforeEach(async () => {
    h = await createHarness({ policy: stepUpToBob });
    alice = await registerAgent(h, "agent:alice");
    bob = await registerAgent(h, "agent:bob");
    carol = await registerAgent(h, "agent:carol");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"], ttl: 3600, rvi: 3600 });
  });

  afterEach(async () => h.close());

  test("is refused with 403 step_up_required naming a pending approval, and nothing is issued", async () => {
    const response = await delegate(h, alice, bob, { cap: [ISSUES] });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = (await json(response)) as unknown as StepUpProblem;
    expect(problem).toMatchObject({ code: "step_up_required", status: 403, decision: "step_up" });
    expect(problem.approval).toMatch(/^ap[A-Za-z0-9_-]+$/);
    expect(problem.reasons).toEqual([
      expect.objectContaining({ hop: 1, code: "step_up_required", policies: ["bob-needs-approval"] }),
    ]);
    expect(bob.chain).toBe("");
    expect(await h.store.descendants(alice.did)).toEqual([]);

    const pending = (await json(await h.op("GET", "/v1/approvals?status=pending"))) as {
      items: Record<string, unknown>[];
    };
    expect(pending.items).toEqual([
      expect.objectContaining({
        id: problem.approval,
        status: "pending",
        did: alice.did,
        agent: alice.id,
        action: "baton.delegate",
        resource: bob.id,
        expiresAt: h.now + 3600,
      }),
    ]);

    const log = (await json(await h.op("GET", `/v1/decisions?did=${encodeURIComponent(alice.did)}`))) as {
      items: {
        kind: string;
        decision: string;
        agent: string;
        action: string;
        reasons: { code: string; policies?: string[] }[];
        detail: { approval?: string };
      }[];
    };
    const stepUps = log.items.filter((item) => item.decision === "step_up");
    expect(stepUps).toEqual([
      expect.objectContaining({
        kind: "delegate",
        agent: alice.id,
        action: "baton.delegate",
        detail: expect.objectContaining({ approval: problem.approval }),
      }),
    ]);
    expect(stepUps[0]?.reasons).toEqual([
      expect.objectContaining({ code: "step_up_required", policies: ["bob-needs-approval"] }),
    ]);
  });

  test("a retried refused hop reuses its pending approval instead of queueing another", async () => {
    const first = (await json(await delegate(h, alice, bob, { cap: [ISSUES] }))) as unknown as StepUpProblem;
    const again = (await json(await delegate(h, alice, bob, { cap: [ISSUES] }))) as unknown as StepUpProblem;
    expect(again.approval).toBe(first.approval);
    expect((await h.store.listApprovals({ status: "pending" })).map((approval) => approval.id)).toEqual([
      first.approval,
    ]);
    const stepUps = (await h.store.queryDecisions({ limit: 10 })).items.filter(
      (row) => row.decision === "step_up",
    );
    expect(stepUps).toHaveLength(2);
  });

  test("holds up only the hop policy named: a hop to another delegate is issued", async () => {
    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(403);
    expect((await delegate(h, alice, carol, { cap: [ISSUES] })).status).toBe(201);
    expect((await h.store.descendants(alice.did)).map((row) => row.to)).toEqual([carol.id]);
  });

  test("is issued once the operator approves and the delegating agent revalidates to carry the approval", async () => {
    const { approval } = (await json(
      await delegate(h, alice, bob, { cap: [ISSUES] }),
    )) as unknown as StepUpProblem;
    expect((await h.op("POST", `/v1/approvals/${approval}/approve`)).status).toBe(200);
    h.now += 5;
    // The token alice holds predates the approval: still a step-up.
    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(403);

    const revalidated = await agentCall(h, alice, "POST", "/v1/revalidate");
    expect(revalidated.status).toBe(200);
    alice.chain = ((await json(revalidated)) as { chain: string }).chain;
    expect(leafApv(alice.chain)).toEqual([approval]);
    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(201);
    expect((await h.store.descendants(alice.did)).map((row) => row.to)).toEqual([bob.id]);
  });

  test("a denied approval never lets the delegation through", async () => {
    const { approval } = (await json(
      await delegate(h, alice, bob, { cap: [ISSUES] }),
    )) as unknown as StepUpProblem;
    expect((await h.op("POST", `/v1/approvals/${approval}/deny`)).status).toBe(200);
    h.now += 5;
    const revalidated = await agentCall(h, alice, "POST", "/v1/revalidate");
    alice.chain = ((await json(revalidated)) as { chain: string }).chain;
    expect(leafApv(alice.chain)).toEqual([]);
    const refused = await delegate(h, alice, bob, { cap: [ISSUES] });
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe("step_up_required");
  });
});
