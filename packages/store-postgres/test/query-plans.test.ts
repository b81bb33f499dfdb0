/**
 * The statements a hop, a verify and the graph walks run reach rows by key lookups, whatever the
 * planner believes about the tables: on a new database (empty, never analyzed, where a cached
 * generic plan would otherwise scan tables that keep growing) and on an analyzed one (where a
 * recursive CTE's size is guessed at ten times its start). Each is prepared with a generic plan, as
 * the store's connections plan every statement, and its plan is read with EXPLAIN. And that plan
 * is the one used: made once per connection, not again at every call.
 */
import { randomDelegationId } from "@baton/token";
import { expect, test } from "vitest";
import { ANCESTORS, DESCENDANTS, LOCK_PATH, RADIUS } from "../src/graph-walks.ts";
import { openPostgresStore, type PostgresStore, seedPostgresGraph } from "../src/index.ts";
import { HOP_FACTS, HOP_RECORD, LINK_STATUS, LINK_STATUS_AND_AGENT } from "../src/pg-context.ts";
import { createScratchDatabase, describeWithPostgres } from "./helpers/scratch-database.ts";

const STATEMENTS: Record<string, { text: string; args: (did: string, agent: string) => unknown[] }> = {
  "the hop's path lock": { text: LOCK_PATH.text, args: (did) => [did] },
  "the hop's facts": {
    text: HOP_FACTS.text,
    args: (did, agent) => ["new-did", "new-jti", did, "hash", agent, "task", 1, 7, [agent]],
  },
  "the hop in one statement": {
    text: HOP_RECORD.text,
    args: (did, agent) => [
      ...["new-did", "new-jti", did, "hash", agent, "task", 1, 7, [agent]],
      ...[
        "new-did",
        did,
        "task",
        1,
        agent,
        agent,
        null,
        "[]",
        "[]",
        0,
        2_000_000_000,
        null,
        1_800_000_000,
        1,
        7,
      ],
      ...["new-jti", "hash", "token-hash", 1_800_000_000, 2_000_000_000, 1_800_003_600, "a.b.c"],
    ],
  },
  "a chain's link statuses": { text: LINK_STATUS.text, args: (did) => [[did]] },
  "a hop's chain and its receiving agent": {
    text: LINK_STATUS_AND_AGENT.text,
    args: (did, agent) => [[did], agent],
  },
  ancestors: { text: ANCESTORS, args: (did) => [did] },
  descendants: { text: DESCENDANTS, args: (did) => [did, 1_000_000, true] },
  "the blast radius": { text: RADIUS, args: (_did, agent) => [agent] },
};

/** Every scan of a whole table of `tables`, or hash join, in `statement`'s generic plan. */
async function tableScans(
  store: PostgresStore,
  tables: readonly string[],
  statement: string,
  args: unknown[],
): Promise<string[]> {
  const scan = new RegExp(`Seq Scan on (${tables.join("|")})\\b|Hash Join`);
  const client = await store.pool.connect();
  try {
    await client.query("begin");
    await client.query("set local plan_cache_mode = force_generic_plan");
    await client.query(`prepare planned as ${statement}`);
    const literal = (arg: unknown): string =>
      Array.isArray(arg)
        ? `array[${arg.map(literal).join(", ")}]::text[]`
        : typeof arg === "string"
          ? client.escapeLiteral(arg)
          : String(arg);
    const { rows } = await client.query<{ "QUERY PLAN": string }>(
      `explain execute planned(${args.map(literal).join(", ")})`,
    );
    return rows.map((row) => row["QUERY PLAN"].trim()).filter((line) => scan.test(line));
  } finally {
    await client.query("rollback").catch(() => {});
    await client.query("deallocate planned").catch(() => {});
    client.release();
  }
}

/** Every table these statements read that grows with use. */
const ALL_TABLES = ["delegations", "tokens", "tasks", "agents"];

describeWithPostgres("query plans on PostgreSQL", () => {
  test("stay key lookups on a new database and on an analyzed one", async () => {
    const database = await createScratchDatabase();
    const store = await openPostgresStore(database.url, { maxConnections: 1 });
    try {
      const fresh: Record<string, string[]> = {};
      for (const [name, { text, args }] of Object.entries(STATEMENTS)) {
        fresh[name] = await tableScans(store, ALL_TABLES, text, args("did", "agent"));
      }
      expect(fresh).toEqual(Object.fromEntries(Object.keys(STATEMENTS).map((name) => [name, []])));

      const graph = await seedPostgresGraph(store, { delegations: 3_000, seed: 21, tokens: false });
      await store.pool.query("analyze");
      const { rows } = await store.pool.query<{ did: string }>(
        "select did from delegations where depth = 2 limit 1",
      );
      const did = rows[0]?.did as string;
      const analyzed: Record<string, string[]> = {};
      for (const [name, { text, args }] of Object.entries(STATEMENTS)) {
        // Known to hold 3,000 rows now; the few tasks and agents fit a page, which a scan reads best.
        analyzed[name] = await tableScans(store, ["delegations"], text, args(did, graph.agents[0] as string));
      }
      expect(analyzed).toEqual(Object.fromEntries(Object.keys(STATEMENTS).map((name) => [name, []])));
    } finally {
      await store.close();
      await database.drop();
    }
  }, 60_000);

  test("plans the link-status read once per connection, not at every call", async () => {
    const database = await createScratchDatabase();
    const store = await openPostgresStore(database.url, { maxConnections: 1 });
    try {
      // Lists of 1 to 3 dids, as chains are: under PostgreSQL's default each call is planned anew.
      for (let call = 0; call < 10; call++) {
        await store.chainStatus(Array.from({ length: 1 + (call % 3) }, () => randomDelegationId()));
      }
      const { rows } = await store.pool.query<{ generic: number; custom: number }>(
        `select generic_plans::int as generic, custom_plans::int as custom
           from pg_prepared_statements where name = $1`,
        [LINK_STATUS.name],
      );
      expect(rows).toEqual([{ generic: 10, custom: 0 }]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
