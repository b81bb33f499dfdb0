/**
 * Several instances on one database (issue 19): what no single-instance suite can show. Two
 * stores with their own pools stand for two `baton serve` processes; a third reads the feed as a
 * follower would.
 */
import { grant, hop, hopInput, registerAgents, T0 } from "@baton/store/conformance";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openPostgresStore, type PostgresStore } from "../src/index.ts";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "./helpers/scratch-database.ts";

describeWithPostgres("PostgresStore shared by several instances", () => {
  let database: ScratchDatabase;
  let instances: PostgresStore[];

  beforeEach(async () => {
    database = await createScratchDatabase();
    instances = [];
  });
  afterEach(async () => {
    for (const store of instances) await store.close();
    await database.drop();
  });

  async function instance(maxConnections: number): Promise<PostgresStore> {
    const store = await openPostgresStore(database.url, { maxConnections });
    instances.push(store);
    return store;
  }

  test("a follower polling the feed while two instances revoke at once never sees a gap or a late lower number", async () => {
    const [a, b, follower] = [await instance(8), await instance(8), await instance(2)];
    const agents = await registerAgents(a, "alice", "bob", "carol", "dave");
    // 120 trees of a root and two children: each revocation below takes three sequence numbers.
    const roots = [];
    for (let i = 0; i < 120; i++) {
      const root = await grant(i % 2 === 0 ? a : b, agents[i % 2] as string);
      await hop(a, root, agents[2] as string);
      await hop(b, root, agents[3] as string);
      roots.push(root);
    }

    let writing = true;
    const seen: number[] = [];
    const problems: string[] = [];
    const follow = (async () => {
      let cursor = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await follower.revocationsSince(cursor, 50);
        for (const item of page.items) {
          if (item.seq !== cursor + 1) problems.push(`after ${cursor} the feed showed ${item.seq}`);
          cursor = item.seq;
          seen.push(item.seq);
        }
        if (page.head < cursor) problems.push(`head ${page.head} is behind items up to ${cursor}`);
        if (!stillWriting && page.next === null && cursor === page.head) return;
      }
    })();

    const audit = { at: T0 + 1, kind: "revoke", decision: "allow" as const, reasons: [] };
    const results = await Promise.all(
      roots.map((root, i) =>
        (i % 2 === 0 ? a : b).revokeDelegation(root.did, { reason: `r${i}`, at: T0 + 1, audit }),
      ),
    );
    writing = false;
    await follow;

    expect(problems).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 360 }, (_, i) => i + 1));
    // Each revocation's numbers are consecutive: its cascade committed as one block of the feed.
    for (const result of results) expect(result.revoked).toHaveLength(3);
    const chain = await follower.verifyDecisionLog();
    expect(chain).toMatchObject({ ok: true, rows: 120 });
  });

  test("keeps one decision chain when many appends from two instances interleave", async () => {
    const [a, b] = [await instance(8), await instance(8)];
    const decision = { at: T0, kind: "verify", decision: "allow" as const, reasons: [] };
    const appended = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 3 === 0
          ? (i % 2 === 0 ? a : b).appendDecisions([decision, decision])
          : (i % 2 === 0 ? a : b).appendDecision(decision),
      ),
    );
    const ids = appended
      .flat()
      .map((record) => record.id)
      .sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(await a.verifyDecisionLog()).toMatchObject({ ok: true, rows: ids.length });
  });

  test("never leaves a live hop under a revoked parent when cascades and hops race across instances", async () => {
    const [a, b] = [await instance(8), await instance(8)];
    const agents = await registerAgents(a, "alice", "bob", "carol", "dave", "erin");
    const root = await grant(a, agents[0] as string, { mdp: 8 });
    const middle = await hop(a, root, agents[1] as string);
    const lower = await hop(a, middle, agents[2] as string);
    // Hops below `lower` on instance b race a cascade from `root` on instance a.
    const racing = [
      ...Array.from({ length: 20 }, (_, i) => b.recordHop(hopInput(lower, agents[3 + (i % 2)] as string))),
      a.revokeDelegation(root.did, { reason: "race", at: T0 + 1 }),
      ...Array.from({ length: 20 }, (_, i) => b.recordHop(hopInput(middle, agents[3 + (i % 2)] as string))),
    ];
    const settled = await Promise.allSettled(racing);
    for (const outcome of settled) {
      if (outcome.status === "rejected") expect(outcome.reason).toMatchObject({ code: "revoked" });
    }
    const tree = await b.taskTree(root.task);
    expect(tree.filter((row) => row.status === "live")).toEqual([]);
  });
});
