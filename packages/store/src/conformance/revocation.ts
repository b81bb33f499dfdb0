import { randomId } from "@baton/token";
import { beforeEach, describe, expect, test } from "vitest";
import { codeOf, grant, hop, type Issued, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** Revocation cascades (delegation, agent, task), chain status and the feed. */
export function revocationConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;

  beforeEach(async () => {
    store = ctx.store;
    [alice, bob, carol, dave] = await registerAgents(store, "alice", "bob", "carol", "dave");
  });

  /** alice → bob → carol, and alice → dave, in one task. */
  async function smallTree(): Promise<{ root: Issued; toBob: Issued; toCarol: Issued; toDave: Issued }> {
    const root = await grant(store, alice);
    const toBob = await hop(store, root, bob);
    const toCarol = await hop(store, toBob, carol);
    const toDave = await hop(store, root, dave);
    return { root, toBob, toCarol, toDave };
  }

  describe("revokeDelegation", () => {
    test("revokes the delegation and its whole subtree, and nothing beside it", async () => {
      const { root, toBob, toCarol, toDave } = await smallTree();
      const result = await store.revokeDelegation(toBob.did, { reason: "bob is compromised", at: T0 + 5 });
      expect(result.revoked).toEqual([toBob.did, toCarol.did]);
      expect(result.lastSeq).toBe(2);
      expect(await store.getDelegation(toCarol.did)).toMatchObject({
        status: "revoked",
        revokedAt: T0 + 5,
        revokeReason: "bob is compromised",
        revokeCause: `delegation:${toBob.did}`,
        revocationSeq: 2,
      });
      expect((await store.getDelegation(root.did))?.status).toBe("live");
      expect((await store.getDelegation(toDave.did))?.status).toBe("live");
    });

    test("skips delegations that are already revoked and keeps their first revocation", async () => {
      const { root, toBob, toCarol, toDave } = await smallTree();
      await store.revokeDelegation(toBob.did, { reason: "first", at: T0 + 5 });
      const second = await store.revokeDelegation(root.did, { reason: "second", at: T0 + 9 });
      expect(second.revoked).toEqual([root.did, toDave.did]);
      expect(await store.getDelegation(toCarol.did)).toMatchObject({
        revokeReason: "first",
        revokedAt: T0 + 5,
      });
      expect((await store.revokeDelegation(root.did, { reason: "third", at: T0 + 10 })).revoked).toEqual([]);
    });

    test("refuses an unknown did with not_found and bad input with invalid", async () => {
      expect(await codeOf(async () => store.revokeDelegation(randomId(), { reason: "x", at: T0 }))).toBe(
        "not_found",
      );
      const { root } = await smallTree();
      expect(await codeOf(async () => store.revokeDelegation("nope", { reason: "x", at: T0 }))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.revokeDelegation(root.did, { reason: "", at: T0 }))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.revokeDelegation(root.did, { reason: "x", at: 1.5 }))).toBe(
        "invalid",
      );
      expect((await store.getDelegation(root.did))?.status).toBe("live");
    });

    test("orders the feed parents before children", async () => {
      const { root, toBob, toCarol, toDave } = await smallTree();
      const { revoked } = await store.revokeDelegation(root.did, { reason: "stop", at: T0 });
      expect(revoked[0]).toBe(root.did);
      expect(revoked.indexOf(toBob.did)).toBeLessThan(revoked.indexOf(toCarol.did));
      expect(revoked).toContain(toDave.did);
    });
  });

  describe("revokeAgent and disableAgent", () => {
    test("revokeAgent revokes what the agent holds and made, with subtrees, and leaves it active", async () => {
      const { root, toBob, toCarol, toDave } = await smallTree();
      const result = await store.revokeAgent(bob, { reason: "rotate", at: T0 + 1 });
      expect(result.revoked).toEqual([toBob.did, toCarol.did]);
      expect((await store.getAgent(bob))?.status).toBe("active");
      expect((await store.getDelegation(root.did))?.status).toBe("live");
      expect((await store.getDelegation(toDave.did))?.status).toBe("live");
      // bob can be granted again
      expect((await grant(store, bob)).did).toBeTypeOf("string");
    });

    test("disableAgent also shuts the agent out for good, and is idempotent", async () => {
      const { toBob, toCarol } = await smallTree();
      const result = await store.disableAgent(bob, { reason: "compromised", at: T0 + 1 });
      expect(result.revoked).toEqual([toBob.did, toCarol.did]);
      expect(await store.getAgent(bob)).toMatchObject({
        status: "disabled",
        disabledAt: T0 + 1,
        disabledReason: "compromised",
      });
      expect((await store.disableAgent(bob, { reason: "again", at: T0 + 2 })).revoked).toEqual([]);
      expect((await store.getAgent(bob))?.disabledReason).toBe("compromised");
      expect(await codeOf(async () => grant(store, bob))).toBe("revoked");
    });

    test("revokes delegations the agent made even when it holds them in another task", async () => {
      const { toCarol } = await smallTree();
      const other = await grant(store, carol);
      const fromCarol = await hop(store, other, dave);
      const result = await store.revokeAgent(carol, { reason: "x", at: T0 });
      expect(new Set(result.revoked)).toEqual(new Set([toCarol.did, other.did, fromCarol.did]));
    });

    test("refuses an unknown agent with not_found", async () => {
      expect(await codeOf(async () => store.disableAgent("agent:nobody", { reason: "x", at: T0 }))).toBe(
        "not_found",
      );
      expect(await codeOf(async () => store.revokeAgent("agent:nobody", { reason: "x", at: T0 }))).toBe(
        "not_found",
      );
    });
  });

  describe("tasks", () => {
    test("completeTask closes the task and revokes its whole tree", async () => {
      const { root, toBob, toCarol, toDave } = await smallTree();
      const result = await store.completeTask(root.task, { at: T0 + 60, reason: "done" });
      expect(new Set(result.revoked)).toEqual(new Set([root.did, toBob.did, toCarol.did, toDave.did]));
      expect(await store.getTask(root.task)).toMatchObject({
        status: "completed",
        closedAt: T0 + 60,
        closeReason: "done",
      });
      expect(await codeOf(async () => store.completeTask(root.task, { at: T0 + 61 }))).toBe("conflict");
    });

    test("revokeTask closes an open task as revoked and is idempotent", async () => {
      const { root } = await smallTree();
      expect((await store.revokeTask(root.task, { reason: "incident", at: T0 })).revoked).toHaveLength(4);
      expect((await store.getTask(root.task))?.status).toBe("revoked");
      expect((await store.revokeTask(root.task, { reason: "again", at: T0 })).revoked).toEqual([]);
      expect(await codeOf(async () => store.revokeTask("no-such-task", { reason: "x", at: T0 }))).toBe(
        "not_found",
      );
    });

    test("listTasks counts live and revoked delegations and filters by status", async () => {
      const { root, toBob } = await smallTree();
      const other = await grant(store, dave);
      await store.revokeDelegation(toBob.did, { reason: "x", at: T0 });
      await store.completeTask(other.task, { at: T0 });
      const open = await store.listTasks({ status: "open" });
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({ id: root.task, liveDelegations: 2, revokedDelegations: 2 });
      expect((await store.listTasks()).map((t) => t.id).sort()).toEqual([root.task, other.task].sort());
      expect(await codeOf(async () => store.listTasks({ status: "closed" as never }))).toBe("invalid");
    });
  });

  describe("chainStatus", () => {
    test("says for each did whether it is live and, if not, why", async () => {
      const { root, toBob, toCarol } = await smallTree();
      const unknown = randomId();
      expect(
        (await store.chainStatus([root.did, toBob.did, toCarol.did, unknown])).map((s) => [
          s.live,
          s.live ? null : s.problem,
        ]),
      ).toEqual([
        [true, null],
        [true, null],
        [true, null],
        [false, "not_found"],
      ]);
      await store.revokeDelegation(toCarol.did, { reason: "x", at: T0 + 3 });
      expect((await store.chainStatus([toCarol.did]))[0]).toMatchObject({
        live: false,
        problem: "revoked",
        since: T0 + 3,
        revocationSeq: 1,
      });
    });

    test("refuses more dids than a chain can have, or malformed ones", async () => {
      expect(await codeOf(async () => store.chainStatus(Array.from({ length: 66 }, () => randomId())))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.chainStatus(["x"]))).toBe("invalid");
    });
  });

  describe("chainFacts", () => {
    test("gives chainStatus's answer and the task of the first did's delegation as getTask reads it", async () => {
      const { root, toBob, toCarol } = await smallTree();
      await store.revokeDelegation(toCarol.did, { reason: "x", at: T0 + 3 });
      const dids = [root.did, toBob.did, toCarol.did, randomId()];
      const facts = await store.chainFacts(dids);
      expect(facts.links).toEqual(await store.chainStatus(dids));
      expect(facts.task).toEqual(await store.getTask(root.task));
    });

    test("gives the last did's delegation with the revalidation interval recorded for it", async () => {
      const { root, toBob } = await smallTree();
      const recorded = await store.getDelegation(toBob.did);
      expect((await store.chainFacts([root.did, toBob.did])).leaf).toEqual({
        did: toBob.did,
        rvi: recorded?.rvi ?? null,
      });
      // The grant fixture records an rvi of 3600; a hop records its own or none.
      expect((await store.chainFacts([toBob.did, root.did])).leaf).toEqual({ did: root.did, rvi: 3600 });
      expect((await store.chainFacts([root.did, randomId()])).leaf).toBeUndefined();
    });

    test("gives the task's state now: a completed task is completed", async () => {
      const { root, toBob } = await smallTree();
      await store.completeTask(root.task, { at: T0 + 5 });
      const facts = await store.chainFacts([toBob.did]);
      expect(facts.task).toMatchObject({ id: root.task, status: "completed", closedAt: T0 + 5 });
      expect(facts.links[0]?.live).toBe(false);
    });

    test("gives no task when the first did is unknown, and refuses what chainStatus refuses", async () => {
      const { root } = await smallTree();
      expect((await store.chainFacts([randomId(), root.did])).task).toBeUndefined();
      expect(await store.chainFacts([])).toEqual({ links: [], task: undefined, leaf: undefined });
      expect(await codeOf(async () => store.chainFacts(["x"]))).toBe("invalid");
    });

    test("reads the agent it is asked for with the chain, as getAgent does, and changes nothing else", async () => {
      const { root, toBob } = await smallTree();
      const dids = [root.did, toBob.did];
      const withAgent = await store.chainFacts(dids, { agent: carol });
      expect(withAgent.agent).toEqual(await store.getAgent(carol));
      expect(withAgent.agent).toMatchObject({ id: carol, status: "active" });
      const without = await store.chainFacts(dids);
      expect(without.agent).toBeUndefined();
      expect({ ...withAgent, agent: undefined }).toEqual({ ...without, agent: undefined });
    });

    test("reads the agent as it is now, and none for an id no agent has, whatever links it finds", async () => {
      const { root } = await smallTree();
      await store.disableAgent(dave, { reason: "lost key", at: T0 + 4 });
      expect((await store.chainFacts([root.did], { agent: dave })).agent).toMatchObject({
        id: dave,
        status: "disabled",
        disabledAt: T0 + 4,
      });
      expect((await store.chainFacts([root.did], { agent: "agent:nobody" })).agent).toBeUndefined();
      const noLinks = await store.chainFacts([randomId()], { agent: bob });
      expect(noLinks.agent).toEqual(await store.getAgent(bob));
      expect(noLinks.links[0]).toMatchObject({ live: false, problem: "not_found" });
      expect(noLinks.task).toBeUndefined();
      expect((await store.chainFacts([], { agent: bob })).agent).toEqual(await store.getAgent(bob));
    });

    test("refuses an agent that is not a string, and options that are not an object", async () => {
      const { root } = await smallTree();
      const bad = { agent: 42 } as unknown as { agent: string };
      expect(await codeOf(async () => store.chainFacts([root.did], bad))).toBe("invalid");
      const notObject = "agent" as unknown as { agent: string };
      expect(await codeOf(async () => store.chainFacts([root.did], notObject))).toBe("invalid");
    });
  });

  describe("revocationsSince", () => {
    test("pages through the feed in sequence order and says when it reached the end", async () => {
      const { root } = await smallTree();
      const second = await grant(store, dave);
      await store.revokeDelegation(root.did, { reason: "a", at: T0 + 1 });
      await store.revokeDelegation(second.did, { reason: "b", at: T0 + 2 });
      const first = await store.revocationsSince(0, 3);
      expect(first.items.map((i) => i.seq)).toEqual([1, 2, 3]);
      expect(first.next).toBe(3);
      expect(first.head).toBe(5);
      const rest = await store.revocationsSince(first.next ?? 0, 3);
      expect(rest.items.map((i) => i.seq)).toEqual([4, 5]);
      expect(rest.items[1]).toMatchObject({ did: second.did, at: T0 + 2, reason: "b" });
      expect(rest.next).toBeNull();
      expect((await store.revocationsSince(5)).items).toEqual([]);
      expect(await codeOf(async () => store.revocationsSince(-1))).toBe("invalid");
      expect(await codeOf(async () => store.revocationsSince(0, 0))).toBe("invalid");
    });
  });

  describe("revocation across a reopen", () => {
    test("a committed revocation is there after reopening", async () => {
      const reopen = ctx.subject.reopen;
      const root = await grant(store, alice);
      const child = await hop(store, root, bob);
      await store.revokeDelegation(root.did, { reason: "x", at: T0 });
      if (reopen === undefined) return;
      await store.close();
      const reopened = await reopen();
      expect((await reopened.chainStatus([root.did, child.did])).map((s) => s.live)).toEqual([false, false]);
      expect((await reopened.revocationsSince(0)).items).toHaveLength(2);
    });

    /** @see issue 14 (feed rewind) */
    test("each database gets its own feed epoch, kept across reopening", async () => {
      const epoch = (await store.revocationsSince(0)).epoch;
      expect(epoch).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect((await store.revocationsSince(0)).epoch).toBe(epoch);
      const reopen = ctx.subject.reopen;
      if (reopen !== undefined) {
        await store.close();
        expect((await (await reopen()).revocationsSince(0)).epoch).toBe(epoch);
      }
      const other = await factory();
      try {
        expect((await other.store.revocationsSince(0)).epoch).not.toBe(epoch);
      } finally {
        await other.dispose();
      }
    });
  });
}
