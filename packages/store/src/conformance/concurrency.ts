import { beforeEach, expect, test } from "vitest";
import { isStoreError } from "../store-error.ts";
import { codeOf, grant, hop, hopInput, type Issued, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** Two writers racing: a cascade revocation never leaves a live hop under a revoked parent. */
export function concurrencyConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;
  let agents: string[];

  beforeEach(async () => {
    store = ctx.store;
    agents = await registerAgents(store, "alice", "bob", "carol", "dave", "erin");
  });

  /** A second writer: another instance on the same database when the adapter can open one. */
  async function secondWriter(): Promise<ConformanceStore> {
    return (await ctx.subject.reopen?.()) ?? store;
  }

  /** Every delegation of the task is revoked, or live under a live parent. */
  async function expectNoLiveOrphan(reader: ConformanceStore, task: string): Promise<void> {
    const tree = await reader.taskTree(task);
    const byDid = new Map(tree.map((row) => [row.did, row]));
    for (const row of tree) {
      if (row.status !== "live" || row.parent === null) continue;
      expect(byDid.get(row.parent)?.status, `${row.did} is live under a revoked parent`).toBe("live");
    }
    const status = await reader.chainStatus(tree.map((row) => row.did));
    expect(status.every((link) => !link.live)).toBe(true);
  }

  test("never leaves a live hop under a revoked parent when a cascade and hops race", async () => {
    const [alice, bob, carol, dave, erin] = agents as [string, string, string, string, string];
    for (let round = 0; round < 5; round++) {
      const writer = await secondWriter();
      const root = await grant(store, alice);
      const toBob = await hop(store, root, bob);
      const toCarol = await hop(store, toBob, carol);
      const below: Issued[] = [toBob, toCarol];
      // Hops at every level, issued by the second writer while the first cascades from the root.
      const racing = [
        hopInput(toBob, dave),
        hopInput(toCarol, dave),
        hopInput(toCarol, erin),
        hopInput(root, erin),
      ];
      const startHops = () =>
        racing.map((input) =>
          writer.recordHop(input).then(
            () => "recorded" as const,
            (error: unknown) => {
              if (isStoreError(error, "revoked") || isStoreError(error, "busy")) return error.code;
              throw error;
            },
          ),
        );
      const startCascade = () => store.revokeDelegation(root.did, { reason: "incident", at: T0 + 1 });
      // Alternate which writer starts first, so both outcomes of the race are exercised.
      let cascade: ReturnType<typeof startCascade>;
      let hops: ReturnType<typeof startHops>;
      if (round % 2 === 0) {
        hops = startHops();
        cascade = startCascade();
      } else {
        cascade = startCascade();
        hops = startHops();
      }
      const [result, ...outcomes] = await Promise.all([cascade, ...hops]);
      expect(result.revoked).toContain(root.did);
      for (const issued of below) expect(result.revoked).toContain(issued.did);
      // Whatever won, a hop that was recorded is revoked with the rest, or was refused.
      for (const [i, outcome] of outcomes.entries()) {
        const recorded = await store.getDelegation(racing[i]?.delegation.did ?? "");
        if (outcome === "recorded") expect(recorded?.status).toBe("revoked");
        else expect(recorded).toBeUndefined();
      }
      await expectNoLiveOrphan(store, root.task);
      await expectNoLiveOrphan(writer, root.task);
      // A hop issued after the cascade committed is refused outright.
      expect(await codeOf(async () => writer.recordHop(hopInput(toCarol, erin)))).toBe("revoked");
    }
  });

  test("never leaves a live hop in a task or under an agent whose revocation raced it", async () => {
    const [alice, bob, carol, dave] = agents as [string, string, string, string];
    const writer = await secondWriter();
    const root = await grant(store, alice);
    const toBob = await hop(store, root, bob);
    const byTask = hopInput(toBob, carol);
    const taskRace = await Promise.allSettled([
      store.revokeTask(root.task, { reason: "stop", at: T0 + 1 }),
      writer.recordHop(byTask),
    ]);
    expect(taskRace[0].status).toBe("fulfilled");
    await expectNoLiveOrphan(store, root.task);
    expect((await store.getTask(root.task))?.status).toBe("revoked");

    const root2 = await grant(store, alice);
    const toBob2 = await hop(store, root2, bob);
    const fromBob = hopInput(toBob2, dave);
    const agentRace = await Promise.allSettled([
      store.disableAgent(bob, { reason: "compromised", at: T0 + 2 }),
      writer.recordHop(fromBob),
    ]);
    expect(agentRace[0].status).toBe("fulfilled");
    const tree = await store.taskTree(root2.task);
    expect(tree.filter((row) => row.status === "live").map((row) => row.did)).toEqual([root2.did]);
  });

  test("keeps the feed gap-free and the decision chain whole when two writers interleave", async () => {
    const [alice, bob, carol] = agents as [string, string, string];
    const writer = await secondWriter();
    const roots = await Promise.all([grant(store, alice), grant(store, bob), grant(store, carol)]);
    const children = await Promise.all(
      roots.map((root, i) => hop(store, root, agents[(i + 3) % 5] as string)),
    );
    const audit = { at: T0, kind: "revoke", decision: "allow" as const, reasons: [] };
    await Promise.all([
      store.revokeDelegation(roots[0]?.did ?? "", { reason: "a", at: T0 + 1, audit }),
      writer.revokeDelegation(roots[1]?.did ?? "", { reason: "b", at: T0 + 1, audit }),
      store.appendDecisions([audit, audit]),
      writer.appendDecision(audit),
      writer.revokeTask(roots[2]?.task ?? "", { reason: "c", at: T0 + 1, audit }),
    ]);
    const feed = await store.revocationsSince(0);
    expect(feed.items.map((item) => item.seq)).toEqual(feed.items.map((_, i) => i + 1));
    expect(new Set(feed.items.map((item) => item.did))).toEqual(
      new Set([...roots, ...children].map((issued) => issued.did)),
    );
    expect(feed.head).toBe(6);
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 6 });
  });
}
