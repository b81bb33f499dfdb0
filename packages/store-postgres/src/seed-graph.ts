/**
 * Seeds a PostgreSQL store with a generated delegation graph, for tests and `bench/`: the same
 * deterministic graph for a seed as `seedGraph` writes into SQLite (both take their rows from
 * `seedGraphRows` in `@baton/store/adapter-kit`). Rows go in as multi-row `INSERT … SELECT FROM
 * unnest(…)` statements of a few thousand rows each (one parameter per column, not per value),
 * all in one transaction: a million delegations and their tokens is one commit.
 */
import {
  type SeedGraphOptions,
  type SeedGraphResult,
  type SeedRow,
  seedGraphRows,
} from "@baton/store/adapter-kit";
import type pg from "pg";
import type { PostgresStore } from "./postgres-store.ts";

export type { SeedGraphOptions, SeedGraphResult };

/** Rows per statement: big enough to amortize a round trip, small enough to keep memory flat. */
const BATCH = 5000;

const INSERTS = {
  agent: {
    columns: 5,
    sql: `insert into agents (id, jwk, jkt, name, owner, created_at)
      select id, jwk, jkt, name, 'seed', at from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
        as r(id, jwk, jkt, name, at)
      on conflict (id) do nothing`,
  },
  task: {
    columns: 5,
    sql: `insert into tasks (id, intent, root_agent, root_did, opened_at)
      select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
  },
  delegation: {
    columns: 12,
    sql: `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, rvi, created_at)
      select did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, 3600, at
      from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
        $9::text[], $10::int[], $11::bigint[], $12::bigint[])
        as r(did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, at)`,
  },
  token: {
    columns: 8,
    sql: `insert into tokens (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
      select jti, did, 1, null, prf, hash, iat, exp, rvl, compact, iat
      from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[])
        as r(jti, did, prf, hash, iat, exp, rvl, compact)`,
  },
  decision: {
    columns: 10,
    sql: `with added as (
        insert into decisions (id, at, kind, decision, did, audience, action, resource, reasons, prev_hash, hash,
          format, reporter)
        select id, at, 'verify', decision, did, audience, action, resource, reasons, prev_hash, hash, 2, 'service'
        from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
          $8::text[], $9::text[], $10::text[])
          as r(id, at, decision, did, audience, action, resource, reasons, prev_hash, hash)
        returning id, did
      )
      insert into decision_dids (did, decision_id) select did, id from added where did is not null
      on conflict do nothing`,
  },
} as const;

type Kind = keyof typeof INSERTS;
/** Flushed in this order, so every foreign key points at a row already written. */
const ORDER: readonly Kind[] = ["agent", "task", "delegation", "token", "decision"];

function columnsOf(item: SeedRow): unknown[] {
  switch (item.kind) {
    case "agent": {
      const r = item.row;
      return [r.id, r.jwk, r.jkt, r.name, r.at];
    }
    case "task": {
      const r = item.row;
      return [r.id, r.intent, r.rootAgent, r.rootDid, r.at];
    }
    case "delegation": {
      const r = item.row;
      return [r.did, r.parent, r.root, r.task, r.depth, r.from, r.to, r.cap, r.aud, r.mdp, r.exp, r.at];
    }
    case "token": {
      const r = item.row;
      return [r.jti, r.did, r.prf, r.hash, r.iat, r.exp, r.rvl, r.compact];
    }
    case "decision": {
      const r = item.row;
      return [r.id, r.at, r.decision, r.did, r.audience, r.action, r.resource, r.reasons, r.prevHash, r.hash];
    }
  }
}

/**
 * Definitions of the secondary indexes and foreign keys on the tables a large seed fills, which it
 * drops and recreates: one sorted build (and one validating join) is several times cheaper than
 * maintaining them row by row with random keys. Primary keys stay (the foreign keys need them).
 */
async function droppableDefinitions(client: pg.PoolClient) {
  const tables = ["delegations", "tokens", "decisions", "decision_dids"];
  const indexes = await client.query<{ name: string; definition: string }>(
    `select i.indexname as name, i.indexdef as definition from pg_indexes i
     where i.schemaname = current_schema() and i.tablename = any($1::text[])
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname)
     order by i.indexname`,
    [tables],
  );
  const foreignKeys = await client.query<{ table: string; name: string; definition: string }>(
    `select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as definition
     from pg_constraint c
     where c.contype = 'f' and c.connamespace = current_schema()::regnamespace
       and c.conrelid::regclass::text = any($1::text[])
     order by c.conname`,
    [tables],
  );
  return { indexes: indexes.rows, foreignKeys: foreignKeys.rows };
}

/**
 * Writes a generated graph into `store` in one transaction and says what it wrote. Meant for tests
 * and benchmarks: it trusts itself and bypasses the boundary checks of the `Store` methods. The
 * tables are analyzed afterwards, so the planner knows their new sizes at once.
 *
 * @example
 * const store = await openPostgresStore(url);
 * const graph = await seedPostgresGraph(store, { delegations: 100_000, seed: 8 });
 * await store.descendants(graph.roots[0] ?? "");
 */
export async function seedPostgresGraph(
  store: PostgresStore,
  options: SeedGraphOptions,
): Promise<SeedGraphResult> {
  const client = await store.pool.connect();
  try {
    await client.query("begin");
    await client.query("set local maintenance_work_mem = '256MB'");
    const existing = Number(
      (await client.query<{ n: string }>("select count(*) as n from delegations")).rows[0]?.n ?? 0,
    );
    const rebuild = options.delegations >= 10_000 && options.delegations >= existing;
    const dropped = rebuild ? await droppableDefinitions(client) : { indexes: [], foreignKeys: [] };
    for (const fk of dropped.foreignKeys) {
      await client.query(`alter table "${fk.table}" drop constraint "${fk.name}"`);
    }
    for (const index of dropped.indexes) await client.query(`drop index "${index.name}"`);

    const head = (
      await client.query<{ id: number; hash: string }>(
        `select last_id::int as id, last_hash as hash from decision_log_head where singleton = 1 for update`,
      )
    ).rows[0];
    const pending = new Map<Kind, unknown[][]>(ORDER.map((kind) => [kind, []]));
    let buffered = 0;
    const flush = async () => {
      for (const kind of ORDER) {
        const rows = pending.get(kind) ?? [];
        if (rows.length === 0) continue;
        const columns = Array.from({ length: INSERTS[kind].columns }, (_, i) => rows.map((row) => row[i]));
        await client.query(INSERTS[kind].sql, columns);
        pending.set(kind, []);
      }
      buffered = 0;
    };

    const rows = seedGraphRows(options, head);
    let result: SeedGraphResult;
    for (;;) {
      const next = rows.next();
      if (next.done === true) {
        result = next.value;
        break;
      }
      pending.get(next.value.kind)?.push(columnsOf(next.value));
      if (++buffered >= BATCH) await flush();
    }
    await flush();
    if (result.decisions > 0) {
      await client.query(
        `update decision_log_head set last_id = d.id, last_hash = d.hash
         from (select id, hash from decisions order by id desc limit 1) d where singleton = 1`,
      );
    }

    for (const index of dropped.indexes) await client.query(index.definition);
    for (const fk of dropped.foreignKeys) {
      await client.query(`alter table "${fk.table}" add constraint "${fk.name}" ${fk.definition}`);
    }
    await client.query("commit");
    await client.query("analyze agents, tasks, delegations, tokens, decisions, decision_dids");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
