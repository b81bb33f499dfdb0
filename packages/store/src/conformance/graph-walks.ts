import { randomId } from "@baton/token";
import { beforeEach, describe, expect, test } from "vitest";
import type { DelegationRecord } from "../store.ts";
import { codeOf, grant, hop, type Issued, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** Graph walks: ancestors, descendants, a task's tree and an agent's blast radius. */
export function graphWalkConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;
  let planner: string;
  let researcher: string;
  let coder: string;
  let reviewer: string;
  let tree: {
    root: Issued;
    toResearcher: Issued;
    toCoder: Issued;
    toReviewer: Issued;
    coderToReviewer: Issued;
  };

  beforeEach(async () => {
    store = ctx.store;
    [planner, researcher, coder, reviewer] = await registerAgents(
      store,
      "planner",
      "researcher",
      "coder",
      "reviewer",
    );
    // planner ─┬─ researcher
    //          ├─ coder ── reviewer
    //          └─ reviewer
    const root = await grant(store, planner);
    const toResearcher = await hop(store, root, researcher);
    const toCoder = await hop(store, root, coder);
    const coderToReviewer = await hop(store, toCoder, reviewer);
    const toReviewer = await hop(store, root, reviewer);
    tree = { root, toResearcher, toCoder, toReviewer, coderToReviewer };
  });

  describe("ancestors", () => {
    test("returns the chain above a delegation, root first, without the delegation itself", async () => {
      expect((await store.ancestors(tree.coderToReviewer.did)).map((d) => d.did)).toEqual([
        tree.root.did,
        tree.toCoder.did,
      ]);
      expect(await store.ancestors(tree.root.did)).toEqual([]);
      expect(await store.ancestors(randomId())).toEqual([]);
    });

    test("refuses a malformed did", async () => {
      expect(await codeOf(async () => store.ancestors("x"))).toBe("invalid");
    });
  });

  describe("descendants", () => {
    test("returns everything below, breadth first, with each row's distance", async () => {
      const below = await store.descendants(tree.root.did);
      expect(below.map((d) => d.distance)).toEqual([1, 1, 1, 2]);
      expect(below.at(-1)?.did).toBe(tree.coderToReviewer.did);
      expect(new Set(below.slice(0, 3).map((d) => d.did))).toEqual(
        new Set([tree.toResearcher.did, tree.toCoder.did, tree.toReviewer.did]),
      );
    });

    test("stops at maxDepth", async () => {
      expect(await store.descendants(tree.root.did, { maxDepth: 1 })).toHaveLength(3);
      expect(await store.descendants(tree.root.did, { maxDepth: 0 })).toEqual([]);
    });

    test("with liveOnly, skips revoked delegations and everything below them", async () => {
      await store.revokeDelegation(tree.toCoder.did, { reason: "x", at: T0 });
      const live = await store.descendants(tree.root.did, { liveOnly: true });
      expect(new Set(live.map((d) => d.did))).toEqual(new Set([tree.toResearcher.did, tree.toReviewer.did]));
      expect(await store.descendants(tree.root.did)).toHaveLength(4);
    });
  });

  describe("taskTree", () => {
    test("returns every delegation of the task by depth", async () => {
      const rows = await store.taskTree(tree.root.task);
      expect(rows.map((d) => d.depth)).toEqual([0, 1, 1, 1, 2]);
      expect(rows[0]?.did).toBe(tree.root.did);
      expect(await store.taskTree("no-such-task")).toEqual([]);
    });
  });

  describe("blastRadius", () => {
    test("lists what the agent holds live and every live delegation below it", async () => {
      const radius = await store.blastRadius(coder);
      expect(radius.held.map((d) => d.did)).toEqual([tree.toCoder.did]);
      expect(radius.reachable.map((d) => d.did)).toEqual([tree.coderToReviewer.did]);
      expect(radius.agents).toEqual([reviewer]);
      expect(radius.tasks).toEqual([tree.root.task]);
    });

    test("covers every branch the planner holds, across tasks", async () => {
      const other = await grant(store, planner);
      const otherChild = await hop(store, other, coder);
      const radius = await store.blastRadius(planner);
      expect(new Set(radius.held.map((d) => d.did))).toEqual(new Set([tree.root.did, other.did]));
      expect(radius.reachable).toHaveLength(5);
      expect(radius.reachable.map((d) => d.did)).toContain(otherChild.did);
      expect(radius.agents).toEqual([coder, researcher, reviewer].sort());
      expect(radius.tasks).toEqual([tree.root.task, other.task].sort());
    });

    test("returns each row whole, as getDelegation reads it, by depth then did", async () => {
      const read = async (...issued: Issued[]) =>
        Promise.all(issued.map(async (one) => store.getDelegation(one.did)));
      const radius = await store.blastRadius(planner);
      expect(radius.held).toEqual(await read(tree.root));
      const below = (await read(
        tree.toResearcher,
        tree.toCoder,
        tree.toReviewer,
        tree.coderToReviewer,
      )) as DelegationRecord[];
      expect(radius.reachable).toEqual(
        below.sort((a, b) => a.depth - b.depth || (a.did < b.did ? -1 : a.did > b.did ? 1 : 0)),
      );
    });

    test("leaves out revoked delegations and what is below them", async () => {
      await store.revokeDelegation(tree.toCoder.did, { reason: "x", at: T0 });
      const radius = await store.blastRadius(planner);
      expect(new Set(radius.reachable.map((d) => d.did))).toEqual(
        new Set([tree.toResearcher.did, tree.toReviewer.did]),
      );
      expect(await store.blastRadius(coder)).toMatchObject({
        held: [],
        reachable: [],
        agents: [],
        tasks: [],
      });
    });
  });
}
