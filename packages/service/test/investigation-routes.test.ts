/**
 * The investigator's endpoints (issue 22): the explanation of a decision, the search behind
 * `q=`, the exports, and the task tree's refusals and narrowing in words.
 */
import { createDpopProof } from "@baton/client";
import type { PolicyHook } from "@baton/verifier";
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
const ISSUES = { act: "repo.issues.read", res: "repo:acme/web/**" };

/** Permits every call and names the policy that did, as a Cedar set does. */
const namingPolicy: PolicyHook = () => ({ decision: "allow", policies: ["permit-issues"] });

describe("investigation routes", () => {
  let h: Harness;
  let planner: TestAgent;
  let researcher: TestAgent;
  let task: string;

  beforeEach(async () => {
    h = await createHarness({ policy: namingPolicy });
    planner = await registerAgent(h, "agent:planner");
    researcher = await registerAgent(h, "agent:researcher");
    ({ task } = await grant(h, planner, { cap: [REPO], aud: ["repo-tool"], mdp: 2 }));
    expect((await delegate(h, planner, researcher, { cap: [ISSUES] })).status).toBe(201);
  });
  afterEach(async () => h.close());

  /** Asks, as the operator, whether the researcher may `action` on `resource`; the decision's log id. */
  async function verify(action: string, resource = "repo:acme/web/issues"): Promise<number> {
    const htu = "https://tools.example/issues";
    const proof = await createDpopProof(researcher.key, {
      method: "GET",
      url: htu,
      chain: researcher.chain,
      now: h.now,
    });
    const response = await h.op("POST", "/v1/verify", {
      chain: researcher.chain,
      proof,
      htm: "GET",
      htu,
      audience: "repo-tool",
      action,
      resource,
    });
    expect(response.status).toBe(200);
    return (await h.store.queryDecisions({ limit: 1 })).items[0]?.id as number;
  }

  test("explains an allow with the policy that permitted it, which the log now keeps", async () => {
    const id = await verify("repo.issues.read");
    const logged = (await h.store.queryDecisions({ limit: 1 })).items[0];
    expect(logged?.detail).toMatchObject({ policies: ["permit-issues"] });
    const response = await h.op("GET", `/v1/decisions/${id}/explanation`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({
      question: "Why was this allowed?",
      firstFailingHop: null,
      policies: ["permit-issues"],
      policyText: "permitted by policy permit-issues",
    });
    expect((body.hops as { holder: string; ok: boolean }[]).map((hop) => [hop.holder, hop.ok])).toEqual([
      ["agent:planner", true],
      ["agent:researcher", true],
    ]);
  });

  test("explains a deny by its first failing hop; an unknown id is 404, a bad one 400, a non-operator 401", async () => {
    const id = await verify("repo.issues.delete");
    const body = await json(await h.op("GET", `/v1/decisions/${id}/explanation`));
    expect(body.firstFailingHop).toBe(1);
    expect((body.hops as { failed: { code: string; evidence: unknown }[] }[])[1]?.failed).toEqual([
      expect.objectContaining({ code: "action_not_permitted", evidence: expect.any(Object) }),
    ]);
    expect((await h.op("GET", "/v1/decisions/99999/explanation")).status).toBe(404);
    expect((await h.op("GET", "/v1/decisions/abc/explanation")).status).toBe(400);
    const anonymous = await h.app.request(`${ORIGIN}/v1/decisions/${id}/explanation`);
    expect(anonymous.status).toBe(401);
  });

  test("searches with q= and refuses a bad search or a q combined with path, saying what to do", async () => {
    await verify("repo.issues.read");
    await verify("repo.issues.delete");
    const found = await json(
      await h.op("GET", `/v1/decisions?q=${encodeURIComponent("code:action_not_permitted")}`),
    );
    expect((found.items as { action: string; hop: string }[]).map((d) => [d.action, d.hop])).toEqual([
      ["repo.issues.delete", researcher.did],
    ]);
    const withDid = await json(
      await h.op(
        "GET",
        `/v1/decisions?q=${encodeURIComponent("decision:allow action:repo.issues.*")}&did=${researcher.did}`,
      ),
    );
    expect((withDid.items as { kind: string; action: string }[]).map((d) => [d.kind, d.action])).toEqual([
      ["verify", "repo.issues.read"],
    ]);
    const bad = await h.op("GET", `/v1/decisions?q=${encodeURIComponent("since:someday")}`);
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ code: "invalid_request" });
    expect((await h.op("GET", `/v1/decisions?q=x&path=${researcher.did}`)).status).toBe(400);
  });

  test("exports the matching decisions as CSV with a defused formula, and as JSON Lines", async () => {
    await verify("repo.issues.read", "=1+2");
    const csv = await h.op(
      "GET",
      `/v1/decisions/export?format=csv&task=${task}&q=${encodeURIComponent("verify")}`,
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="decisions-${task}.csv"`);
    expect(csv.headers.get("x-baton-exported")).toBe("1");
    const [, row] = (await csv.text()).split("\r\n");
    expect(row).toContain(",'=1+2,");
    const jsonl = await h.op("GET", `/v1/decisions/export?format=jsonl&task=${task}`);
    expect(jsonl.headers.get("content-type")).toBe("application/jsonl; charset=utf-8");
    const kinds = (await jsonl.text())
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { kind: string }).kind);
    expect(kinds).toEqual(["grant", "delegate", "verify"]);
    expect((await h.op("GET", "/v1/decisions/export?format=xml")).status).toBe(400);
  });

  test("gives each hop of a task its refusals and what narrowed in words", async () => {
    await verify("repo.issues.delete");
    const tree = await json(await h.op("GET", `/v1/tasks/${task}`));
    const nodes = tree.nodes as { to: string; denials: unknown; narrowingText: { text: string }[] | null }[];
    expect(nodes.map((node) => [node.to, node.denials])).toEqual([
      ["agent:planner", { count: 0, latest: null }],
      ["agent:researcher", { count: 1, latest: expect.objectContaining({ code: "action_not_permitted" }) }],
    ]);
    expect(nodes[0]?.narrowingText).toBeNull();
    expect(nodes[1]?.narrowingText?.[0]?.text).toBe(
      "repo.* on repo:acme/** → repo.issues.read on repo:acme/web/**",
    );
  });
});
