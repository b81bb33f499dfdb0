import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore, seedGraph } from "../src/index.ts";
import { grant, hop, type Issued, registerAgents, T0 } from "./helpers/graph-fixture.ts";

let store: SqliteStore;
let alice: string;
let bob: string;
let carol: string;
let dave: string;

beforeEach(async () => {
  store = openSqliteStore({ path: ":memory:" });
  [alice, bob, carol, dave] = await registerAgents(store, "alice", "bob", "carol", "dave");
});

afterEach(async () => store.close());

/** alice → bob → carol, and alice → dave, in one task. */
async function smallTree(): Promise<{ root: Issued; toBob: Issued; toCarol: Issued; toDave: Issued }> {
  const root = await grant(store, alice);
  const toBob = await hop(store, root, bob);
  const toCarol = await hop(store, toBob, carol);
  const toDave = await hop(store, root, dave);
  return { root, toBob, toCarol, toDave };
}

describe("revocation on a seeded graph", () => {
  test("cascades over a 10,000-delegation subtree in one call", async () => {
    const graph = seedGraph(store, {
      delegations: 10_000,
      fanout: 10,
      decay: 1,
      maxDepth: 8,
      maxTaskSize: 10_000,
      seed: 4,
    });
    expect(graph.largestTask.size).toBe(10_000);
    const result = await store.revokeDelegation(graph.largestTask.rootDid, { reason: "incident", at: T0 });
    expect(result.revoked).toHaveLength(10_000);
    expect(new Set(result.revoked).size).toBe(10_000);
    const live = store.database
      .prepare("select count(*) as n from delegations where status = 'live'")
      .get() as { n: number };
    expect(live.n).toBe(0);
    const feed = await store.revocationsSince(0, 10_000);
    expect(feed.items.map((item) => item.did)).toEqual(result.revoked);
    expect(feed.items.map((item) => item.seq)).toEqual(result.revoked.map((_, i) => i + 1));
  });
});

describe("chainStatus on legacy state", () => {
  test("reports a closed task or a disabled agent even where a row was not revoked", async () => {
    const { root, toBob } = await smallTree();
    // Simulate state written by an older build that closed a task without revoking its tree.
    store.database
      .prepare("update tasks set status = 'completed', closed_at = ? where id = ?")
      .run(T0 + 9, root.task);
    expect((await store.chainStatus([toBob.did]))[0]).toMatchObject({
      live: false,
      problem: "task_closed",
      since: T0 + 9,
    });
    store.database.prepare("update tasks set status = 'open' where id = ?").run(root.task);
    store.database
      .prepare("update agents set status = 'disabled', disabled_at = ? where id = ?")
      .run(T0 + 7, bob);
    expect((await store.chainStatus([toBob.did]))[0]).toMatchObject({
      live: false,
      problem: "agent_disabled",
      since: T0 + 7,
    });
  });
});
