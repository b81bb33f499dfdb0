/**
 * Seeds a SQLite store with a generated delegation graph, for tests and `bench/`. The graph itself
 * (deterministic for a seed, the same on every backend) comes from `generateSeedGraph` in
 * `@baton/store/adapter-kit`; this writes its rows with raw prepared statements in one
 * transaction: a million delegations (and their tokens) is one commit, not a million.
 */
import { generateSeedGraph, type SeedGraphOptions, type SeedGraphResult } from "@baton/store/adapter-kit";
import type { SqliteStore } from "./sqlite-store.ts";

export type { SeedGraphOptions, SeedGraphResult };

/**
 * Writes a generated graph into `store` in one transaction and says what it wrote. Meant for tests
 * and benchmarks: it trusts itself and bypasses the boundary checks of the `Store` methods.
 *
 * @example
 * const store = openSqliteStore({ path: ":memory:" });
 * const graph = seedGraph(store, { delegations: 10_000, seed: 42 });
 * await store.descendants(graph.roots[0] ?? "");
 */
export function seedGraph(store: SqliteStore, options: SeedGraphOptions): SeedGraphResult {
  const client = store.database;
  const insertAgent = client.prepare(
    "insert or ignore into agents (id, jwk, jkt, name, owner, created_at) values (?, ?, ?, ?, 'seed', ?)",
  );
  const insertTask = client.prepare(
    "insert into tasks (id, intent, root_agent, root_did, opened_at) values (?, ?, ?, ?, ?)",
  );
  // Numbered here (migration 0006) rather than by the insert's max(node) + 1, which would scan the
  // table while its node index is dropped; the parent's node is read by primary key.
  const insertDelegation = client.prepare(`insert into delegations
    (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, rvi, created_at, node, parent_node)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 3600, ?, ?, (select node from delegations where did = ?))`);
  const maxNode = client.prepare<[], { n: number | null }>("select max(node) as n from delegations");
  let lastNode = 0;
  const insertToken = client.prepare(`insert into tokens
    (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
    values (?, ?, 1, null, ?, ?, ?, ?, ?, ?, ?)`);
  const insertDecision = client.prepare(`insert into decisions
    (id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons, detail, prev_hash, hash,
      format, reporter)
    values (?, ?, 'verify', ?, null, ?, null, null, ?, ?, ?, ?, null, ?, ?, 2, 'service')`);
  const insertDecisionDid = client.prepare(
    "insert or ignore into decision_dids (did, decision_id) values (?, ?)",
  );
  const decisionHead = client.prepare<[], { id: number; hash: string }>(
    "select id, hash from decisions order by id desc limit 1",
  );

  // Building a secondary index once from sorted data is several times cheaper than updating it
  // row by row with random keys, so a seed that dominates the tables drops those indexes and
  // recreates them from their own stored definitions (the schema ends up byte-for-byte the same).
  const existing = client.prepare<[], { n: number }>("select count(*) as n from delegations").get()?.n ?? 0;
  const rebuildIndexes = options.delegations >= 10_000 && options.delegations >= existing;
  const cacheSize = client.pragma("cache_size", { simple: true });
  const foreignKeys = client.pragma("foreign_keys", { simple: true });
  // A bigger page cache keeps the random-key B-tree inserts of a large seed in memory.
  client.pragma("cache_size = -2097152");
  // Each row references only rows this generator wrote just before it (or pool agents it wrote or
  // found), so the per-row foreign-key lookups, a sixth of the cost, prove nothing here. The pragma
  // is a no-op inside a caller's transaction, where the checks simply stay on.
  client.pragma("foreign_keys = OFF");
  try {
    return client
      .transaction(() => {
        lastNode = maxNode.get()?.n ?? 0;
        const indexes = rebuildIndexes
          ? client
              .prepare<[], { name: string; sql: string }>(
                `select name, sql from sqlite_master where type = 'index' and sql is not null
                 and tbl_name in ('delegations', 'tokens', 'decisions') order by name`,
              )
              .all()
          : [];
        for (const index of indexes) client.exec(`drop index "${index.name}"`);
        const result = generateSeedGraph(
          options,
          {
            agent: (a) => insertAgent.run(a.id, a.jwk, a.jkt, a.name, a.at),
            task: (t) => insertTask.run(t.id, t.intent, t.rootAgent, t.rootDid, t.at),
            delegation: (d) =>
              insertDelegation.run(
                d.did,
                d.parent,
                d.root,
                d.task,
                d.depth,
                d.from,
                d.to,
                d.cap,
                d.aud,
                d.mdp,
                d.exp,
                d.at,
                ++lastNode,
                d.parent,
              ),
            token: (t) => insertToken.run(t.jti, t.did, t.prf, t.hash, t.iat, t.exp, t.rvl, t.compact, t.iat),
            decision: (d) => {
              insertDecision.run(
                d.id,
                d.at,
                d.decision,
                d.did,
                d.audience,
                d.action,
                d.resource,
                d.reasons,
                d.prevHash,
                d.hash,
              );
              if (d.did !== null) insertDecisionDid.run(d.did, d.id);
            },
          },
          decisionHead.get(),
        );
        for (const index of indexes) client.exec(index.sql);
        return result;
      })
      .immediate();
  } finally {
    client.pragma(`cache_size = ${Number(cacheSize)}`);
    client.pragma(`foreign_keys = ${Number(foreignKeys) === 1 ? "ON" : "OFF"}`);
  }
}
