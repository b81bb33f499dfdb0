import { AgentKeyPair, createDpopProof } from "@baton/client";
import { StoreError } from "@baton/store";
import type { PolicyHook } from "@baton/verifier";
import { afterEach, describe, expect, test } from "vitest";
import {
  agentCall,
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  ORIGIN,
  registerAgent,
  registerAudience,
} from "./harness.ts";

const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };

describe("runtime policy and error handling", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  test("an injected policy can refuse a delegation (policy_denied) and a use (step_up)", async () => {
    const policy: PolicyHook = (context) => {
      if (context.kind === "delegate" && context.action === "baton.delegate") {
        return context.context.to === "agent:mallory"
          ? { decision: "deny", message: "not to mallory", policies: ["p1"] }
          : { decision: "allow" };
      }
      if (context.kind === "use" && context.action === "repo.issues.delete") return { decision: "step_up" };
      return { decision: "allow" };
    };
    h = await createHarness({ policy });
    const alice = await registerAgent(h, "agent:alice");
    const mallory = await registerAgent(h, "agent:mallory");
    const bob = await registerAgent(h, "agent:bob");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const refused = await delegate(h, alice, mallory, { cap: [ISSUES] });
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe("policy_denied");
    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(201);

    const secret = await registerAudience(h, "repo-tool");
    const htu = "https://tools.example/x";
    const proof = await createDpopProof(bob.key, {
      method: "DELETE",
      url: htu,
      chain: bob.chain,
      now: h.now,
    });
    const response = await h.app.request(`${ORIGIN}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain: bob.chain,
        proof,
        htm: "DELETE",
        htu,
        audience: "repo-tool",
        action: "repo.issues.delete",
        resource: "repo:acme/web/issues/1",
      }),
    });
    const decision = await json(response);
    expect(decision.decision).toBe("step_up");
    expect((decision.reasons as { code: string }[])[0]?.code).toBe("step_up_required");
  });

  test("a policy refusing a revalidation answers policy_denied naming its policies, and logs them", async () => {
    h = await createHarness({
      policy: (context) =>
        context.action === "baton.revalidate"
          ? { decision: "deny", message: "frozen", policies: ["freeze-window"] }
          : { decision: "allow" },
    });
    const alice = await registerAgent(h, "agent:alice");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const response = await agentCall(h, alice, "POST", "/v1/revalidate");
    expect(response.status).toBe(403);
    const body = await json(response);
    expect(body.code).toBe("policy_denied");
    expect((body.reasons as { policies?: string[] }[])[0]?.policies).toEqual(["freeze-window"]);
    const logged = (await h.store.queryDecisions({ limit: 1 })).items[0];
    expect(logged?.kind).toBe("revalidate");
    expect(logged?.reasons[0]?.policies).toEqual(["freeze-window"]);
  });

  test("an unexpected error is a 500 with code internal and no detail from the error", async () => {
    h = await createHarness({
      policy: () => {
        throw new Error("database password is hunter2");
      },
    });
    const alice = await registerAgent(h, "agent:alice");
    const bob = await registerAgent(h, "agent:bob");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const response = await delegate(h, alice, bob, { cap: [ISSUES] });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text).code).toBe("internal");
    expect(text).not.toContain("hunter2");
  });

  test("refuses /v1/verify args nested 30,000 arrays deep with 400 naming the bound, not a 500", async () => {
    h = await createHarness();
    const alice = await registerAgent(h, "agent:alice");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const secret = await registerAudience(h, "repo-tool");
    const htu = "https://tools.example/x";
    const proof = await createDpopProof(alice.key, {
      method: "POST",
      url: htu,
      chain: alice.chain,
      now: h.now,
    });
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    const body = JSON.stringify({
      chain: alice.chain,
      proof,
      htm: "POST",
      htu,
      audience: "repo-tool",
      action: "repo.issues.create",
      resource: "repo:acme/web/issues",
      args: { deep: "DEEP" },
    }).replace('"DEEP"', deep);
    const response = await h.app.request(`${ORIGIN}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
    const problem = await json(response);
    expect(problem.code).toBe("invalid_request");
    expect(String(problem.detail)).toContain("deeper than 32 levels");
  });

  test("a store that cannot get its lock in time answers 503 busy with Retry-After, not 500", async () => {
    h = await createHarness({
      policy: () => {
        throw new StoreError("busy", "the database is locked; retry");
      },
    });
    const alice = await registerAgent(h, "agent:alice");
    const bob = await registerAgent(h, "agent:bob");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const response = await delegate(h, alice, bob, { cap: [ISSUES] });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(((await response.json()) as { code: string }).code).toBe("busy");
  });

  test("answers 400 for a malformed DPoP header without consuming anything", async () => {
    h = await createHarness();
    const alice = await registerAgent(h, "agent:alice");
    await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const response = await agentCall(h, alice, "POST", "/v1/revalidate", undefined, {
      proof: "not a proof!",
    });
    expect(response.status).toBe(400);
    expect((await json(response)).code).toBe("invalid_request");
  });

  test("accepts percent-encoded SPIFFE ids in paths", async () => {
    h = await createHarness();
    const key = await AgentKeyPair.generate();
    const id = "spiffe://example.org/ns/prod/worker";
    expect((await h.op("POST", "/v1/agents", { id, jwk: key.publicJwk })).status).toBe(201);
    const response = await h.op("POST", `/v1/agents/${encodeURIComponent(id)}/disable`, { reason: "gone" });
    expect(response.status).toBe(200);
    expect((await h.store.getAgent(id))?.status).toBe("disabled");
  });

  test("lets an operator revoke a whole task, and echoes a caller's request id", async () => {
    h = await createHarness();
    const alice = await registerAgent(h, "agent:alice");
    const { task, did } = await grant(h, alice, { cap: [ISSUES], aud: ["repo-tool"] });
    const response = await h.op(
      "POST",
      "/v1/revocations",
      { task, reason: "abandoned" },
      { "x-request-id": "req-123" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("req-123");
    expect((await json(response)).revoked).toEqual([did]);
    expect((await h.store.getTask(task))?.status).toBe("revoked");
    expect((await h.op("POST", "/v1/revocations", { task: "no-such-task", reason: "x" })).status).toBe(404);
  });
});
