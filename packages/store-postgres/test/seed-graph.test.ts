/**
 * `seedPostgresGraph`: the generated graph (the same rows `seedGraph` writes into SQLite for a
 * seed), written in batches in one transaction, with the schema intact afterwards.
 */
import { generateSeedGraph, type SeedDelegationRow } from "@baton/store/adapter-kit";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openPostgresStore, type PostgresStore, seedPostgresGraph } from "../src/index.ts";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "./helpers/scratch-database.ts";

const ignore = () => {};

/** Every delegation the generator makes for `options`, as `did:parent:to` in creation order. */
function generatedEdges(options: Parameters<typeof generateSeedGraph>[0]): string[] {
  const edges: string[] = [];
  generateSeedGraph(options, {
    agent: ignore,
    task: ignore,
    token: ignore,
    decision: ignore,
    delegation: (d: SeedDelegationRow) => edges.push(`${d.did}:${d.parent ?? ""}:${d.to}`),
  });
  return edges;
}

describeWithPostgres("seedPostgresGraph", () => {
  let database: ScratchDatabase;
  let store: PostgresStore;

  beforeEach(async () => {
    database = await createScratchDatabase();
    store = await openPostgresStore(database.url, { maxConnections: 2 });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const count = async (table: string) =>
    Number((await store.pool.query(`select count(*) as n from ${table}`)).rows[0].n);

  test("writes exactly the generated graph for a seed, each delegation with a token", async () => {
    const options = { delegations: 12_000, seed: 7 };
    const result = await seedPostgresGraph(store, options);
    expect(result).toMatchObject({ delegations: 12_000, tokens: 12_000 });
    expect(await count("delegations")).toBe(12_000);
    expect(await count("tokens")).toBe(12_000);
    expect(await count("tasks")).toBe(result.tasks);
    // created_at is the same for every row, so the generation order is recovered from the tree itself.
    const stored = (
      await store.pool.query<{ edge: string }>(
        "select did || ':' || coalesce(parent, '') || ':' || to_agent as edge from delegations",
      )
    ).rows.map((row) => row.edge);
    expect(stored.sort()).toEqual(generatedEdges(options).sort());
  });

  test("keeps every index and foreign key after a seed large enough to rebuild them", async () => {
    const schema = async () => ({
      indexes: (
        await store.pool.query(
          "select indexname, indexdef from pg_indexes where schemaname = 'public' order by 1",
        )
      ).rows,
      constraints: (
        await store.pool.query(
          "select conname, pg_get_constraintdef(oid) as def from pg_constraint where connamespace = 'public'::regnamespace order by 1",
        )
      ).rows,
    });
    const before = await schema();
    await seedPostgresGraph(store, { delegations: 10_000, seed: 6 });
    expect(await schema()).toEqual(before);
  });

  test("builds a graph the store's own methods walk and revoke", async () => {
    const result = await seedPostgresGraph(store, { delegations: 3000, seed: 5 });
    const rootDid = result.largestTask.rootDid;
    const tree = await store.taskTree(result.largestTask.id);
    expect(tree).toHaveLength(result.largestTask.size);
    expect(await store.descendants(rootDid)).toHaveLength(result.largestTask.size - 1);
    const leaf = tree.at(-1);
    expect((await store.ancestors(leaf?.did ?? "")).at(0)?.did).toBe(rootDid);
    expect((await store.revokeDelegation(rootDid, { reason: "x", at: 1_700_000_100 })).revoked).toHaveLength(
      result.largestTask.size,
    );
  });

  test("appends a decision chain that verifies and that later appends extend", async () => {
    await seedPostgresGraph(store, { delegations: 500, decisions: 2000, seed: 2 });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 2000 });
    await store.appendDecision({ at: 1_700_000_100, kind: "verify", decision: "allow", reasons: [] });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 2001 });
  });
});
