/**
 * The CLI's --db readers on a PostgreSQL URL (issue 19): `audit verify` recomputes the chain from
 * the server's rows, catches an edit made behind the store's back and a deleted tail, and a reader
 * such as `agents list` answers from the same database. Skipped without BATON_TEST_POSTGRES_URL.
 */
import { agentKey } from "@baton/store/conformance";
import { openPostgresStore } from "@baton/store-postgres";
import { afterEach, beforeEach, expect, test } from "vitest";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "../../../packages/store-postgres/test/helpers/scratch-database.ts";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton } from "./helpers.ts";

describeWithPostgres("--db with a postgres:// URL", () => {
  let database: ScratchDatabase;
  beforeEach(async () => {
    database = await createScratchDatabase();
    const store = await openPostgresStore(database.url);
    await store.registerAgent({ id: "agent:planner", ...agentKey(), at: 1_767_225_600 });
    for (let i = 0; i < 5; i++) {
      await store.appendDecision({ at: 1_767_225_600 + i, kind: "verify", decision: "allow", reasons: [] });
    }
    await store.close();
  });
  afterEach(async () => database.drop());

  async function tamper(sql: string): Promise<void> {
    const store = await openPostgresStore(database.url);
    try {
      // Someone who owns the database can switch the append-only trigger off; the chain still tells.
      await store.pool.query("alter table decisions disable trigger decisions_append_only");
      await store.pool.query(sql);
    } finally {
      await store.close();
    }
  }

  test("audit verify passes an intact log and agents list reads the same database", async () => {
    const audit = await baton(["audit", "verify", "--db", database.url, "--json"]);
    expect(audit.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true, rows: 5 });
    const agents = await baton(["agents", "list", "--db", database.url, "--json"]);
    expect(agents.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(agents.stdout).items.map((agent: { id: string }) => agent.id)).toEqual([
      "agent:planner",
    ]);
  });

  test("audit verify reports a row edited behind the store's back", async () => {
    await tamper("update decisions set decision = 'deny' where id = 3");
    const result = await baton(["audit", "verify", "--db", database.url, "--json"]);
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      problem: "hash_mismatch",
    });
  });

  test("audit verify reports a deleted tail as truncated", async () => {
    await tamper("delete from decisions where id >= 4");
    const result = await baton(["audit", "verify", "--db", database.url, "--json"]);
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, firstBrokenId: 4, problem: "truncated" });
  });
});
