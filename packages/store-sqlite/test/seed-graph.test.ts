import { type Capability, capsCover, sha256Base64url } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore, seedGraph } from "../src/index.ts";
import { hop, type Issued, registerAgents, T0 } from "./helpers/graph-fixture.ts";

let store: SqliteStore;

beforeEach(() => {
  store = openSqliteStore({ path: ":memory:" });
});

afterEach(async () => store.close());

const digest = (s: SqliteStore) =>
  s.database
    .prepare(
      "select group_concat(did || ':' || coalesce(parent, '') || ':' || to_agent, ',') as all_rows from (select * from delegations order by rowid)",
    )
    .get() as { all_rows: string };

describe("seedGraph", () => {
  test("writes exactly the requested number of delegations, each with a token", () => {
    const result = seedGraph(store, { delegations: 10_000, seed: 1 });
    expect(result.delegations).toBe(10_000);
    expect(result.tokens).toBe(10_000);
    const count = (table: string) =>
      (store.database.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    expect(count("delegations")).toBe(10_000);
    expect(count("tokens")).toBe(10_000);
    expect(count("tasks")).toBe(result.tasks);
    expect(result.roots).toHaveLength(result.tasks);
  });

  test("is deterministic for a seed and differs across seeds", async () => {
    seedGraph(store, { delegations: 2000, seed: 7 });
    const again = openSqliteStore({ path: ":memory:" });
    const other = openSqliteStore({ path: ":memory:" });
    try {
      seedGraph(again, { delegations: 2000, seed: 7 });
      seedGraph(other, { delegations: 2000, seed: 8 });
      expect(digest(again)).toEqual(digest(store));
      expect(digest(other)).not.toEqual(digest(store));
    } finally {
      await again.close();
      await other.close();
    }
  });

  test("fans out widely near the root and thins out with depth", () => {
    const result = seedGraph(store, { delegations: 20_000, fanout: 4, maxDepth: 6, seed: 3 });
    const byDepth = store.database
      .prepare("select depth, count(*) as n from delegations group by depth order by depth")
      .all() as { depth: number; n: number }[];
    expect(byDepth[0]?.n).toBe(result.tasks);
    expect(result.deepest).toBeLessThanOrEqual(6);
    expect(result.deepest).toBeGreaterThanOrEqual(4);
    const children = store.database
      .prepare(
        `select p.depth as depth, avg(c.n) as mean from delegations p
         join (select parent, count(*) as n from delegations where parent is not null group by parent) c on c.parent = p.did
         group by p.depth order by p.depth`,
      )
      .all() as { depth: number; mean: number }[];
    expect(children[0]?.mean ?? 0).toBeGreaterThan(children.at(-1)?.mean ?? 0);
  });

  test("keeps the store's invariants on every edge", () => {
    seedGraph(store, { delegations: 5000, seed: 11 });
    expect(store.database.pragma("foreign_key_check")).toEqual([]);
    expect(store.database.pragma("integrity_check", { simple: true })).toBe("ok");
    const edges = store.database
      .prepare(
        `select c.cap as childCap, p.cap as parentCap, c.mdp as childMdp, p.mdp as parentMdp, c.from_agent as "from",
                p.to_agent as parentTo, c.depth as depth, p.depth as parentDepth, c.task as task, p.task as parentTask,
                ct.prf as prf, pt.compact as parentCompact
         from delegations c join delegations p on p.did = c.parent
         join tokens ct on ct.did = c.did join tokens pt on pt.did = p.did`,
      )
      .all() as {
      childCap: string;
      parentCap: string;
      childMdp: number;
      parentMdp: number;
      from: string;
      parentTo: string;
      depth: number;
      parentDepth: number;
      task: string;
      parentTask: string;
      prf: string;
      parentCompact: string;
    }[];
    expect(edges.length).toBeGreaterThan(4000);
    for (const e of edges) {
      expect(
        capsCover(JSON.parse(e.parentCap) as Capability[], JSON.parse(e.childCap) as Capability[]),
      ).toEqual([]);
      expect(e.childMdp).toBeLessThanOrEqual(e.parentMdp - 1);
      expect(e.from).toBe(e.parentTo);
      expect(e.depth).toBe(e.parentDepth + 1);
      expect(e.task).toBe(e.parentTask);
      expect(e.prf).toBe(sha256Base64url(e.parentCompact));
    }
    const cycles = store.database
      .prepare(
        `with recursive up(start, did, parent, holder) as (
           select did, did, parent, to_agent from delegations
           union all
           select up.start, d.did, d.parent, d.to_agent from delegations d join up on d.did = up.parent
         )
         select start, holder, count(*) as n from up group by start, holder having n > 1 limit 1`,
      )
      .all();
    expect(cycles).toEqual([]);
  });

  test("builds a graph the store's own methods extend and walk", async () => {
    const result = seedGraph(store, { delegations: 3000, seed: 5, at: T0 });
    const [outsider] = await registerAgents(store, "outsider");
    const rootDid = result.roots[0] ?? "";
    const root = await store.getDelegation(rootDid);
    const token = await store.latestToken(rootDid);
    if (root === undefined || token === undefined) throw new Error("seeded root missing");
    const parent: Issued = { ...root, jti: token.jti, compact: token.compact };
    const added = await hop(store, parent, outsider, { at: T0 });
    expect((await store.ancestors(added.did)).map((d) => d.did)).toEqual([rootDid]);
    expect((await store.descendants(rootDid)).map((d) => d.did)).toContain(added.did);
    expect((await store.revokeTask(root.task, { reason: "x", at: T0 })).revoked.length).toBe(
      (await store.taskTree(root.task)).length,
    );
  });

  test("appends a verifiable decision chain when asked", async () => {
    seedGraph(store, { delegations: 500, decisions: 2000, seed: 2 });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 2000 });
    await store.appendDecision({ at: T0, kind: "verify", decision: "allow", reasons: [] });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 2001 });
  });

  test("keeps every index after a seed large enough to rebuild them", () => {
    const before = store.database
      .prepare("select name, sql from sqlite_master where type = 'index' order by name")
      .all();
    seedGraph(store, { delegations: 12_000, seed: 6 });
    const after = store.database
      .prepare("select name, sql from sqlite_master where type = 'index' order by name")
      .all();
    expect(after).toEqual(before);
    expect(store.database.pragma("foreign_keys", { simple: true })).toBe(1);
  });
});
