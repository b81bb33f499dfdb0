/** Grant, delegate and revalidate over a real SQLite file: results, refusals and what the log says. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { delegate, grant, revalidate, UseCaseError } from "../src/index.ts";
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

beforeEach(async () => {
  world = createWorld();
  alice = await registerAgent(world, "alice");
  bob = await registerAgent(world, "bob");
});
afterEach(async () => world.close());

async function grantAlice(cap = CAP_ISSUES): Promise<string> {
  const granted = await grant(world.ctx, { agent: alice.id, task: { intent: "triage" }, cap, aud: ["*"] });
  alice.chain = granted.chain;
  return granted.did;
}

describe("grant", () => {
  it("opens the task, issues the root token as the whole chain, and logs the operator's grant", async () => {
    const granted = await grant(world.ctx, {
      agent: alice.id,
      task: { id: "task-1", intent: "triage" },
      cap: CAP_REPO,
      aud: ["*"],
    });
    expect(granted).toMatchObject({ task: "task-1", chain: granted.token });
    expect((await world.store.getTask("task-1"))?.rootDid).toBe(granted.did);
    const [logged] = await world.decisions();
    expect(logged).toMatchObject({ kind: "grant", decision: "allow", did: granted.did, task: "task-1" });
    expect(logged?.detail).toMatchObject({ by: "operator", agent: alice.id });
  });

  it("refuses an audience nobody registered with unknown_audience and writes nothing", async () => {
    const refusal = await refusalOf(
      grant(world.ctx, { agent: alice.id, task: { intent: "triage" }, cap: CAP_REPO, aud: ["nobody"] }),
    );
    expect(refusal).toBeInstanceOf(UseCaseError);
    expect(refusal).toMatchObject({
      code: "unknown_audience",
      status: 404,
      extra: { audiences: ["nobody"] },
    });
    expect(await world.store.listTasks({ limit: 10 })).toEqual([]);
    expect(await world.decisions()).toEqual([]);
  });

  it("refuses a ttl over the service maximum with invalid_request", async () => {
    const refusal = await refusalOf(
      grant(world.ctx, { agent: alice.id, task: { intent: "t" }, cap: CAP_REPO, aud: ["*"], ttl: 90_000 }),
    );
    expect(refusal).toMatchObject({ code: "invalid_request", status: 400 });
  });
});

describe("delegate", () => {
  it("issues a narrower hop whose chain ends in the new token, logged as the presenter's allow", async () => {
    const parentDid = await grantAlice(CAP_REPO);
    const issued = await delegate(world.ctx, await present(world, alice, "/v1/delegations"), {
      to: bob.id,
      cap: CAP_ISSUES,
    });
    expect(issued.chain).toBe(`${alice.chain}~${issued.token}`);
    expect(await world.store.getDelegation(issued.did)).toMatchObject({
      parent: parentDid,
      to: bob.id,
      depth: 1,
    });
    const logged = (await world.decisions()).at(-1);
    expect(logged).toMatchObject({ kind: "delegate", decision: "allow", did: issued.did, agent: alice.id });
    expect(logged?.actorProven).toBe(true);
  });

  it("names each new delegation with an id that sorts after the ids issued before it, so the store's keys grow in order", async () => {
    const rootDid = await grantAlice(CAP_REPO);
    const dids = [rootDid];
    for (const step of [0, 0, 1, 30, 300]) {
      world.now += step;
      const issued = await delegate(world.ctx, await present(world, alice, "/v1/delegations"), {
        to: bob.id,
        cap: CAP_ISSUES,
      });
      dids.push(issued.did);
    }
    expect([...dids].sort()).toEqual(dids);
    expect(new Set(dids).size).toBe(dids.length);
  });

  it("gives policy the task's facts read with the chain's link statuses, without reading the task again", async () => {
    const contexts: Record<string, unknown>[] = [];
    await world.close();
    world = createWorld({
      policy: (input) => {
        contexts.push(input.context);
        return { decision: "allow" };
      },
    });
    alice = await registerAgent(world, "alice");
    bob = await registerAgent(world, "bob");
    await grantAlice(CAP_REPO);
    const taskReads = vi.spyOn(world.store, "getTask");
    await delegate(world.ctx, await present(world, alice, "/v1/delegations"), {
      to: bob.id,
      cap: CAP_ISSUES,
    });
    expect(taskReads).not.toHaveBeenCalled();
    expect(contexts.at(-1)).toMatchObject({ taskIntent: "triage", taskOpenedAt: world.now });
  });

  it("reads the receiving agent with the chain's link statuses, in the one chainFacts read", async () => {
    await grantAlice(CAP_REPO);
    const asked: { dids: string[]; options: unknown }[] = [];
    const chainFacts = world.store.chainFacts.bind(world.store);
    world.store.chainFacts = async (dids, options) => {
      asked.push({ dids: [...dids], options });
      return chainFacts(dids, options);
    };
    const agentReads = vi.spyOn(world.store, "getAgent");
    const issued = await delegate(world.ctx, await present(world, alice, "/v1/delegations"), {
      to: bob.id,
      cap: CAP_ISSUES,
    });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.options).toEqual({ agent: bob.id });
    expect(agentReads).not.toHaveBeenCalled();
    expect(issued.token.split(".")).toHaveLength(3);
    expect(await world.store.getDelegation(issued.did)).toMatchObject({ to: bob.id });
  });

  it("refuses a receiver that is not registered (not_found) or disabled (revoked), and issues nothing", async () => {
    const parentDid = await grantAlice(CAP_REPO);
    const unknown = await refusalOf(
      delegate(world.ctx, await present(world, alice, "/v1/delegations"), {
        to: "agent:nobody",
        cap: CAP_ISSUES,
      }),
    );
    expect(unknown).toMatchObject({ code: "not_found", status: 404 });
    expect(unknown.message).toContain("agent:nobody is not registered");
    await world.store.disableAgent(bob.id, { reason: "compromised", at: world.now });
    const disabled = await refusalOf(
      delegate(world.ctx, await present(world, alice, "/v1/delegations"), { to: bob.id, cap: CAP_ISSUES }),
    );
    expect(disabled).toMatchObject({ status: 403 });
    expect(JSON.stringify(disabled)).toContain("revoked");
    expect(await world.store.descendants(parentDid)).toEqual([]);
  });

  it("refuses a delegation wider than its parent with scope_widening, logged once as the presenter's deny", async () => {
    const parentDid = await grantAlice(CAP_ISSUES);
    const refusal = await refusalOf(
      delegate(world.ctx, await present(world, alice, "/v1/delegations"), { to: bob.id, cap: CAP_REPO }),
    );
    expect(refusal).toMatchObject({ code: "scope_widening", status: 403 });
    const denies = (await world.decisions()).filter((d) => d.decision === "deny");
    expect(denies).toHaveLength(1);
    expect(denies[0]).toMatchObject({ kind: "delegate", did: parentDid, agent: alice.id, actorProven: true });
    expect(denies[0]?.reasons[0]?.code).toBe("scope_widening");
    expect(denies[0]?.chain?.map((hop) => hop.did)).toEqual([parentDid]);
    expect(await world.store.descendants(parentDid)).toEqual([]);
  });

  it("refuses a chain whose proof is for another request with a 401, logged under the presented leaf", async () => {
    const parentDid = await grantAlice();
    const presentation = {
      ...(await present(world, alice, "/v1/revalidate")),
      url: "https://baton.test/v1/delegations",
    };
    const refusal = await refusalOf(delegate(world.ctx, presentation, { to: bob.id, cap: CAP_ISSUES }));
    expect(refusal).toMatchObject({ status: 401 });
    const [, deny] = await world.decisions();
    expect(deny).toMatchObject({ kind: "delegate", decision: "deny", did: parentDid, agent: alice.id });
    expect(deny?.actorProven).toBe(false);
  });

  it("opens one approval for a step-up and names it, without issuing", async () => {
    await world.close();
    world = createWorld({
      policy: (input) => ({ decision: input.action === "baton.delegate" ? "step_up" : "allow" }),
    });
    alice = await registerAgent(world, "alice");
    bob = await registerAgent(world, "bob");
    const parentDid = await grantAlice();
    const refusal = await refusalOf(
      delegate(world.ctx, await present(world, alice, "/v1/delegations"), { to: bob.id, cap: CAP_ISSUES }),
    );
    expect(refusal).toMatchObject({ code: "step_up_required", status: 403, extra: { decision: "step_up" } });
    const approvals = await world.store.listApprovals({ status: "pending" });
    expect(approvals.map((a) => a.id)).toEqual([(refusal.extra as { approval: string }).approval]);
    expect((await world.decisions()).at(-1)).toMatchObject({
      decision: "step_up",
      did: parentDid,
      agent: alice.id,
    });
    expect(await world.store.descendants(parentDid)).toEqual([]);
  });
});

describe("revalidate", () => {
  it("re-issues a due chain with a new jti and the same did, logged as the presenter's allow", async () => {
    const did = await grantAlice();
    world.now += 700;
    const before = await world.store.latestToken(did);
    const { chain } = await revalidate(world.ctx, await present(world, alice, "/v1/revalidate"));
    expect(chain).not.toBe(alice.chain);
    const after = await world.store.latestToken(did);
    expect(after?.jti).not.toBe(before?.jti);
    expect(after?.compact).toBe(chain);
    expect((await world.decisions()).at(-1)).toMatchObject({
      kind: "revalidate",
      decision: "allow",
      did,
      agent: alice.id,
    });
  });

  it("returns a chain that is not due unchanged and logs nothing new", async () => {
    await grantAlice();
    const logged = (await world.decisions()).length;
    const { chain } = await revalidate(world.ctx, await present(world, alice, "/v1/revalidate"));
    expect(chain).toBe(alice.chain);
    expect(await world.decisions()).toHaveLength(logged);
  });

  it("gives policy the chain's task facts, read with its link statuses, and no second task read", async () => {
    await world.close();
    const contexts: Record<string, unknown>[] = [];
    world = createWorld({
      policy: (input) => {
        if (input.action === "baton.revalidate") contexts.push(input.context);
        return { decision: "allow" };
      },
    });
    alice = await registerAgent(world, "alice");
    await grantAlice();
    world.now += 700;
    const getTask = vi.spyOn(world.store, "getTask");
    await revalidate(world.ctx, await present(world, alice, "/v1/revalidate"));
    expect(contexts).toEqual([
      expect.objectContaining({ taskIntent: "triage", taskOpenedAt: expect.any(Number) }),
    ]);
    expect(getTask).not.toHaveBeenCalled();
  });

  it("refuses a chain policy will not revalidate with policy_denied, logged as a revalidate deny", async () => {
    await world.close();
    world = createWorld({
      policy: (input) => ({ decision: input.action === "baton.revalidate" ? "deny" : "allow" }),
    });
    alice = await registerAgent(world, "alice");
    const did = await grantAlice();
    const refusal = await refusalOf(revalidate(world.ctx, await present(world, alice, "/v1/revalidate")));
    expect(refusal).toMatchObject({ code: "policy_denied", status: 403 });
    expect((await world.decisions()).at(-1)).toMatchObject({
      kind: "revalidate",
      decision: "deny",
      did,
      agent: alice.id,
    });
  });
});
