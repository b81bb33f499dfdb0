/** Verify and report: decisions about tool calls, over a real SQLite file. */
import { createDpopProof } from "@baton/client";
import { argsDigest, type Decision } from "@baton/verifier";
import { afterEach, describe, expect, it, vi } from "vitest";
import { grant, report, verify } from "../src/index.ts";
import { type Agent, CAP_ISSUES, createWorld, refusalOf, registerAgent, type World } from "./world.ts";

const TOOL_URL = "https://tool.test/issues/1";
const tool = { kind: "audience", audience: "tool" } as const;

let world: World;
afterEach(async () => world.close());

async function setUp(options: Parameters<typeof createWorld>[0] = {}): Promise<Agent> {
  world = createWorld(options);
  const alice = await registerAgent(world, "alice");
  const granted = await grant(world.ctx, {
    agent: alice.id,
    task: { intent: "triage" },
    cap: CAP_ISSUES,
    aud: ["*"],
  });
  alice.chain = granted.chain;
  return alice;
}

async function call(agent: Agent, resource = "repo:acme/web/1") {
  const proof = await createDpopProof(agent.key, {
    method: "GET",
    url: TOOL_URL,
    chain: agent.chain,
    now: world.now,
  });
  return {
    chain: agent.chain,
    proof,
    htm: "GET",
    htu: TOOL_URL,
    audience: "tool",
    action: "repo.issues.read",
    resource,
    args: { issue: 1 },
  };
}

describe("verify", () => {
  it("reads the chain's standing and its task with one chainFacts query before the pure verifier runs", async () => {
    const alice = await setUp();
    const asked: string[][] = [];
    const chainFacts = world.store.chainFacts.bind(world.store);
    world.store.chainFacts = async (dids) => {
      asked.push([...dids]);
      return chainFacts(dids);
    };
    const otherReads = [vi.spyOn(world.store, "chainStatus"), vi.spyOn(world.store, "getTask")];
    const decision = await verify(world.ctx, tool, await call(alice));
    expect(decision.decision).toBe("allow");
    expect(asked).toEqual([decision.chain.map((hop) => hop.did)]);
    for (const read of otherReads) expect(read).not.toHaveBeenCalled();
  });

  it("denies, never throws, a forged token whose unverified claims name a malformed did and task", async () => {
    const alice = await setUp();
    const [header = "", payload = ""] = (alice.chain.split("~")[0] ?? "").split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, did: "not a did", tsk: "not a task!" }));
    const forged = `${header}.${forgedPayload.toString("base64url")}.${"A".repeat(86)}`;
    const decision = await verify(world.ctx, tool, { ...(await call(alice)), chain: forged });
    expect(decision.decision).toBe("deny");
    expect(decision.reasons[0]?.code).toBe("bad_signature");
  });

  it("allows a call within scope and logs the service's decision with the args digest", async () => {
    const alice = await setUp();
    const decision = await verify(world.ctx, tool, await call(alice));
    expect(decision.decision).toBe("allow");
    const logged = (await world.decisions()).at(-1);
    expect(logged).toMatchObject({
      kind: "verify",
      decision: "allow",
      reporter: "service",
      agent: alice.id,
      audience: "tool",
      argsDigest: argsDigest({ issue: 1 }),
    });
    expect(logged?.detail).toMatchObject({ requestedBy: "audience:tool" });
  });

  it("denies a call outside the chain's scope with action_not_permitted, returned and logged", async () => {
    const alice = await setUp();
    const decision = await verify(world.ctx, tool, await call(alice, "repo:other/api/1"));
    expect(decision.decision).toBe("deny");
    expect((await world.decisions()).at(-1)?.reasons[0]?.code).toBe(decision.reasons[0]?.code);
  });

  it("opens an approval for a step-up and names it in the decision", async () => {
    const alice = await setUp({
      policy: (input) => ({ decision: input.kind === "use" ? "step_up" : "allow" }),
    });
    const decision = await verify(world.ctx, tool, await call(alice));
    expect(decision.decision).toBe("step_up");
    expect((await world.store.getApproval(decision.approval as string))?.status).toBe("pending");
    expect((await world.decisions()).at(-1)).toMatchObject({ kind: "verify", decision: "step_up" });
  });

  it("refuses a step-up past the pending limit with approval_limit, still logged as the step-up", async () => {
    const alice = await setUp({
      policy: (input) => ({ decision: input.kind === "use" ? "step_up" : "allow" }),
      maxPendingApprovals: 1,
    });
    await verify(world.ctx, tool, await call(alice, "repo:acme/web/1"));
    const refusal = await refusalOf(verify(world.ctx, tool, await call(alice, "repo:acme/web/2")));
    expect(refusal).toMatchObject({ code: "approval_limit", status: 429 });
    const logged = (await world.decisions()).at(-1);
    expect(logged).toMatchObject({ decision: "step_up", resource: "repo:acme/web/2" });
    expect(logged?.detail).toMatchObject({ approval: null, refused: "approval_limit" });
  });
});

describe("report", () => {
  async function allowed(): Promise<Decision> {
    const alice = await setUp();
    return await verify(world.ctx, tool, await call(alice));
  }
  const entry = (decision: Decision, audience = "tool") =>
    ({
      ok: true,
      report: { at: world.now - 5, audience, method: "GET", path: "/issues/1", decision },
    }) as const;

  it("appends a sound report with the audience as reporter and the tool server's time in detail", async () => {
    const decision = await allowed();
    expect(await report(world.ctx, tool, [entry(decision)])).toEqual({ accepted: 1, refused: [] });
    const logged = (await world.decisions()).at(-1);
    expect(logged).toMatchObject({ kind: "report", decision: "allow", reporter: "audience:tool" });
    expect(logged?.detail).toMatchObject({ decidedAt: world.now - 5, method: "GET" });
  });

  it("refuses, each on its own, a report about a delegation the graph does not know and one for another audience", async () => {
    const decision = await allowed();
    const forged = {
      ...decision,
      chain: decision.chain.map((hop) => ({ ...hop, did: "did-forged" })),
      presented: decision.presented.map((hop) => ({ ...hop, did: "did-forged" })),
    };
    const before = (await world.decisions()).length;
    const outcome = await report(world.ctx, tool, [
      entry(forged),
      entry(decision, "elsewhere"),
      { ok: false, code: "malformed", message: "decision: required" },
      entry(decision),
    ]);
    expect(outcome.accepted).toBe(1);
    expect(outcome.refused.map((r) => [r.index, r.code])).toEqual([
      [0, "unknown_delegation"],
      [1, "forbidden"],
      [2, "malformed"],
    ]);
    expect(await world.decisions()).toHaveLength(before + 1);
  });
});

describe("an audience secret", () => {
  it("cannot ask about another audience's call: forbidden, and no decision is logged", async () => {
    const alice = await setUp();
    const before = (await world.decisions()).length;
    const refusal = await refusalOf(
      verify(world.ctx, { kind: "audience", audience: "other-tool" }, await call(alice)),
    );
    expect(refusal).toMatchObject({ code: "forbidden", status: 403 });
    expect(await world.decisions()).toHaveLength(before);
  });
});
