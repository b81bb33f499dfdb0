/**
 * The SQLite blast radius beyond the shared contract: what it does with a graph issuance would
 * refuse (written here with raw SQL, as only a bug or a hand edit could), and how it walks.
 */
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect } from "vitest";
import { DELEGATION_COLUMNS, type DelegationRow, toDelegationRecord } from "../src/delegation-rows.ts";
import { BLAST_RADIUS } from "../src/graph-walks.ts";
import { openSqliteStore, type SqliteStore, seedGraph } from "../src/index.ts";
import { grant, hop, referenceBlastRadius, registerAgents, T0 } from "./helpers/graph-fixture.ts";

let store: SqliteStore;
let alice: string;
let bob: string;
let carol: string;

beforeEach(async () => {
  store = openSqliteStore({ path: ":memory:" });
  [alice, bob, carol] = await registerAgents(store, "alice", "bob", "carol");
});

afterEach(async () => store.close());

/** Inserts a live hop below `parent` past issuance's checks, and returns its did. */
function rawHop(parent: string, from: string, to: string): string {
  const above = store.database
    .prepare<[string], { root: string; task: string; depth: number }>(
      "select root, task, depth from delegations where did = ?",
    )
    .get(parent);
  if (above === undefined) throw new Error(`no delegation ${parent}`);
  const did = `raw-${parent.slice(0, 8)}-${to.slice(-5)}`;
  store.database
    .prepare(
      `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
       values (?, ?, ?, ?, ?, ?, ?, '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 1, ?, ?)`,
    )
    .run(did, parent, above.root, above.task, above.depth + 1, from, to, T0 + 3600, T0);
  return did;
}

describe("blastRadius on SQLite", () => {
  test.prop([fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.nat(), { maxLength: 8 })], {
    numRuns: 15,
  })(
    "agrees with a walk over every row, on any seeded graph with some subtrees revoked",
    async (seed, picks) => {
      const fresh = openSqliteStore({ path: ":memory:" });
      try {
        const graph = seedGraph(fresh, { delegations: 300, seed, agents: 8, maxTaskSize: 60, tokens: false });
        const allRows = () =>
          fresh.database
            .prepare<[], DelegationRow>(`select ${DELEGATION_COLUMNS} from delegations d`)
            .all()
            .map(toDelegationRecord);
        const dids = allRows().map((row) => row.did);
        for (const pick of picks) {
          const did = dids[pick % dids.length] as string;
          if ((await fresh.getDelegation(did))?.status === "live") {
            await fresh.revokeDelegation(did, { reason: "property", at: 1_700_000_100 });
          }
        }
        const rows = allRows();
        for (const agent of graph.agents) {
          expect(await fresh.blastRadius(agent)).toEqual(referenceBlastRadius(rows, agent));
        }
      } finally {
        await fresh.close();
      }
    },
  );

  test("reaches a row below two delegations the agent holds once, and lists both as held", async () => {
    // alice ── bob ── alice (nested: issuance refuses it as a cycle) ── carol
    const root = await grant(store, alice);
    const toBob = await hop(store, root, bob);
    const nested = rawHop(toBob.did, bob, alice);
    const below = rawHop(nested, alice, carol);

    const radius = await store.blastRadius(alice);
    expect(radius.held.map((d) => d.did)).toEqual([root.did, nested]);
    expect(radius.reachable.map((d) => d.did)).toEqual([toBob.did, below]);
    expect(radius.agents).toEqual([bob, carol].sort());
  });

  test("starts from delegations_live_held_idx and walks delegations_live_child_nodes_idx alone, by integer keys, fetching rows by rowid", () => {
    const plan = (
      store.database.prepare(`explain query plan ${BLAST_RADIUS}`).all({ agent: alice }) as {
        detail: string;
      }[]
    ).map((step) => step.detail);
    expect(plan).toContain("SEARCH delegations USING COVERING INDEX delegations_live_held_idx (to_agent=?)");
    expect(plan).toContain("SEARCH d USING COVERING INDEX delegations_live_child_nodes_idx (parent_node=?)");
    expect(plan).toContain("SEARCH d USING INTEGER PRIMARY KEY (rowid=?)");
  });

  describe("graph nodes (migration 0006)", () => {
    const nodeOf = (did: string) =>
      store.database
        .prepare<[string], { node: number | null; parentNode: number | null }>(
          "select node, parent_node as parentNode from delegations where did = ?",
        )
        .get(did);

    test("a row inserted without its numbers, as an ordinary SQLite client would, is numbered at once below its parent", async () => {
      const root = await grant(store, alice);
      const raw = rawHop(root.did, alice, bob);
      expect(nodeOf(raw)?.node).toBe((nodeOf(root.did)?.node as number) + 1);
      expect(nodeOf(raw)?.parentNode).toBe(nodeOf(root.did)?.node);
      expect((await store.blastRadius(alice)).reachable.map((d) => d.did)).toEqual([raw]);
    });

    test("refuses a row that names another parent_node than its parent's, and keeps a row's numbers fixed", async () => {
      const root = await grant(store, alice);
      const other = await grant(store, bob);
      const insert = store.database.prepare(
        `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at, node, parent_node)
         values ('forged', ?, ?, ?, 1, ?, ?, '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 1, ?, ?, 999, ?)`,
      );
      expect(() =>
        insert.run(root.did, root.did, root.task, alice, carol, T0 + 3600, T0, nodeOf(other.did)?.node),
      ).toThrow(/parent_node must be the parent's node/);
      expect(() =>
        store.database.prepare("update delegations set parent_node = 7 where did = ?").run(root.did),
      ).toThrow(/keeps its node/);
      expect(() =>
        store.database.prepare("update delegations set node = node + 100 where did = ?").run(root.did),
      ).toThrow(/keeps its node/);
    });

    test("a VACUUM changes no blast radius", async () => {
      const root = await grant(store, alice);
      const toBob = await hop(store, root, bob);
      await hop(store, toBob, carol);
      const before = await Promise.all([alice, bob, carol].map((agent) => store.blastRadius(agent)));
      store.database.exec("vacuum");
      expect(await Promise.all([alice, bob, carol].map((agent) => store.blastRadius(agent)))).toEqual(before);
    });

    test("a seed large enough to rebuild the indexes numbers every row under its parent", async () => {
      const fresh = openSqliteStore({ path: ":memory:" });
      try {
        const graph = seedGraph(fresh, { delegations: 10_000, seed: 5, tokens: false });
        const mismatched = fresh.database
          .prepare(
            `select count(*) from delegations d left join delegations p on p.did = d.parent
             where d.node is null or d.parent_node is not p.node`,
          )
          .pluck()
          .get();
        expect(mismatched).toBe(0);
        const rows = fresh.database
          .prepare<[], DelegationRow>(`select ${DELEGATION_COLUMNS} from delegations d`)
          .all()
          .map(toDelegationRecord);
        for (const agent of graph.agents.slice(0, 5)) {
          expect(await fresh.blastRadius(agent)).toEqual(referenceBlastRadius(rows, agent));
        }
      } finally {
        await fresh.close();
      }
    });
  });
});
