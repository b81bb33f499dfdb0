/** Revoke, complete, approve/deny, the registry, trace and the task tree over a real SQLite file. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  complete,
  decideApproval,
  delegate,
  disableAgent,
  grant,
  inspectTask,
  registerAgent as registerAgentUseCase,
  registerAudience,
  revoke,
  trace,
  traceOf,
} from "../src/index.ts";
import {
  type Agent,
  CAP_ISSUES,
  CAP_REPO,
  createWorld,
  present,
  refusalOf,
  registerAgent,
  type World,
} from "./world.ts";

let world: World;
let alice: Agent;
let bob: Agent;
let rootDid: string;
let hopDid: string;
let task: string;

beforeEach(async () => {
  world = createWorld();
  alice = await registerAgent(world, "alice");
  bob = await registerAgent(world, "bob");
  const granted = await grant(world.ctx, {
    agent: alice.id,
    task: { intent: "triage" },
    cap: CAP_REPO,
    aud: ["*"],
  });
  alice.chain = granted.chain;
  rootDid = granted.did;
  task = granted.task;
  const issued = await delegate(world.ctx, await present(world, alice, "/v1/delegations"), {
    to: bob.id,
    cap: CAP_ISSUES,
  });
  bob.chain = issued.chain;
  hopDid = issued.did;
});
afterEach(async () => world.close());

describe("revoke", () => {
  it("lets the operator revoke a delegation with its subtree, logged as an operator revoke", async () => {
    const { revoked } = await revoke(world.ctx, { kind: "operator" }, { did: rootDid, reason: "leak" });
    expect([...revoked].sort()).toEqual([rootDid, hopDid].sort());
    const logged = (await world.decisions()).at(-1);
    expect(logged).toMatchObject({ kind: "revoke", decision: "allow", did: rootDid, agent: null });
    expect(logged?.detail).toMatchObject({ by: "operator", reason: "leak" });
  });

  it("refuses a delegate revoking the hop above it: forbidden, logged as its revoke deny", async () => {
    const presentation = await present(world, bob, "/v1/revocations");
    const refusal = await refusalOf(
      revoke(world.ctx, { kind: "agent", presentation }, { did: rootDid, reason: "x" }),
    );
    expect(refusal).toMatchObject({ code: "forbidden", status: 403 });
    expect((await world.store.getDelegation(rootDid))?.status).toBe("live");
    const deny = (await world.decisions()).at(-1);
    expect(deny).toMatchObject({ kind: "revoke", decision: "deny", did: rootDid, agent: bob.id });
    expect(deny?.reasons[0]?.code).toBe("action_not_permitted");
  });

  it("lets a holder revoke below itself, naming it as the actor", async () => {
    const presentation = await present(world, alice, "/v1/revocations");
    const { revoked } = await revoke(
      world.ctx,
      { kind: "agent", presentation },
      { did: hopDid, reason: "done" },
    );
    expect(revoked).toEqual([hopDid]);
    expect((await world.decisions()).at(-1)).toMatchObject({
      kind: "revoke",
      decision: "allow",
      agent: alice.id,
    });
  });
});

describe("complete", () => {
  it("refuses a delegate completing the task: only the root holder may, logged as its complete deny", async () => {
    const presentation = await present(world, bob, `/v1/tasks/${task}/complete`);
    const refusal = await refusalOf(complete(world.ctx, { kind: "agent", presentation }, task));
    expect(refusal).toMatchObject({ code: "forbidden", status: 403 });
    expect((await world.decisions()).at(-1)).toMatchObject({
      kind: "complete",
      decision: "deny",
      did: hopDid,
      agent: bob.id,
    });
    expect((await world.store.getTask(task))?.status).toBe("open");
  });

  it("lets the root holder complete its task, revoking the whole tree", async () => {
    const presentation = await present(world, alice, `/v1/tasks/${task}/complete`);
    expect(await complete(world.ctx, { kind: "agent", presentation }, task)).toEqual({ revoked: 2 });
    expect((await world.store.getTask(task))?.status).toBe("completed");
    expect((await world.decisions()).at(-1)).toMatchObject({
      kind: "complete",
      decision: "allow",
      agent: alice.id,
    });
  });

  it("answers a second completion with conflict", async () => {
    await complete(world.ctx, { kind: "operator" }, task);
    expect(await refusalOf(complete(world.ctx, { kind: "operator" }, task))).toMatchObject({
      code: "conflict",
      status: 409,
    });
  });
});

describe("approve and deny", () => {
  async function openApproval(): Promise<string> {
    const id = "apv-test";
    await world.store.createApproval({
      id,
      did: hopDid,
      agent: bob.id,
      task,
      action: "repo.issues.read",
      resource: "repo:acme/web/1",
      reason: "needs a human",
      at: world.now,
      expiresAt: world.now + 600,
      maxPending: 20,
      audit: { at: world.now, kind: "verify", decision: "step_up", task, did: hopDid, reasons: [] },
    });
    return id;
  }

  it("approves a pending request and logs the operator's approve", async () => {
    const id = await openApproval();
    const decided = await decideApproval(world.ctx, id, "approve");
    expect(decided).toMatchObject({ id, status: "approved", decidedBy: "operator" });
    expect((await world.decisions()).at(-1)).toMatchObject({
      kind: "approve",
      decision: "allow",
      did: hopDid,
    });
  });

  it("denies a pending request and logs it as deny_approval", async () => {
    const id = await openApproval();
    expect(await decideApproval(world.ctx, id, "deny")).toMatchObject({ status: "denied" });
    expect((await world.decisions()).at(-1)).toMatchObject({ kind: "deny_approval", decision: "deny" });
  });

  it("answers an unknown approval with not_found", async () => {
    expect(await refusalOf(decideApproval(world.ctx, "apv-none", "approve"))).toMatchObject({
      code: "not_found",
      status: 404,
    });
  });
});

describe("trace", () => {
  it("assembles a hop's ancestors, descendants, token versions and the decisions of its path", async () => {
    const traced = await trace(world.ctx, hopDid);
    expect(traced.delegation.did).toBe(hopDid);
    expect(traced.ancestors.map((a) => a.did)).toEqual([rootDid]);
    expect(traced.descendants).toEqual([]);
    expect(traced.versions).toHaveLength(1);
    expect(traced.decisions.map((d) => d.kind)).toEqual(["delegate", "grant"]);
    expect(traced.decisionsNext).toBeNull();
    expect(await traceOf(world.store, hopDid)).toEqual(traced);
  });

  it("answers an unknown delegation with not_found", async () => {
    expect(await refusalOf(trace(world.ctx, "no-such-did"))).toMatchObject({
      code: "not_found",
      status: 404,
    });
  });
});

describe("inspect a task", () => {
  it("shows each hop's state now and what narrowed at it, a due hop as revalidation_due", async () => {
    world.now += 700;
    const tree = await inspectTask(world.ctx, task);
    expect(tree.nodes.map((node) => [node.did, node.state])).toEqual([
      [rootDid, "revalidation_due"],
      [hopDid, "revalidation_due"],
    ]);
    expect(tree.nodes[1]?.narrowing?.find((change) => change.what === "cap")).toMatchObject({
      change: "narrowed",
      widening: false,
    });
    expect(tree.lastDecision?.kind).toBe("delegate");
  });

  it("answers an unknown task with not_found", async () => {
    expect(await refusalOf(inspectTask(world.ctx, "task-none"))).toMatchObject({ code: "not_found" });
  });
});

describe("the registry", () => {
  it("refuses a second agent with the same id with conflict, logging nothing", async () => {
    const before = (await world.decisions()).length;
    const refusal = await refusalOf(
      registerAgentUseCase(world.ctx, { id: alice.id, jwk: alice.key.publicJwk }),
    );
    expect(refusal).toMatchObject({ code: "conflict", status: 409 });
    expect(await world.decisions()).toHaveLength(before);
  });

  it("refuses a key that is not an Ed25519 public JWK with invalid_request", async () => {
    const refusal = await refusalOf(
      registerAgentUseCase(world.ctx, { id: "agent:carol", jwk: { kty: "RSA" } }),
    );
    expect(refusal).toMatchObject({ code: "invalid_request", status: 400 });
  });

  it("disabling an agent revokes what it holds, logged as the operator's disable", async () => {
    const { revoked } = await disableAgent(world.ctx, bob.id, "key leaked");
    expect(revoked).toEqual([hopDid]);
    expect((await world.decisions()).at(-1)).toMatchObject({ kind: "disable", decision: "allow" });
    expect((await world.decisions()).at(-1)?.detail).toMatchObject({ agent: bob.id, reason: "key leaked" });
  });

  it("registers an audience once, logging it, and refuses it again with conflict", async () => {
    await registerAudience(world.ctx, { id: "repo-tool", secretHash: "a".repeat(64) });
    expect((await world.decisions()).at(-1)).toMatchObject({ kind: "register", audience: "repo-tool" });
    const again = await refusalOf(
      registerAudience(world.ctx, { id: "repo-tool", secretHash: "b".repeat(64) }),
    );
    expect(again).toMatchObject({ code: "conflict" });
  });
});
