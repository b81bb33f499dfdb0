/**
 * Group commit on PostgreSQL (issue 21): the writes asked for together share one transaction and
 * one commit, each in its own savepoint, and none is answered before that commit. Which
 * transaction wrote a decision is seen through a trigger that records `txid_current()` (the
 * top-level transaction, savepoints included) for every row appended.
 */
import { checkAppendDecisionInput, StoreError } from "@baton/store/adapter-kit";
import { decisionInput, registerAgents } from "@baton/store/conformance";
import pg from "pg";
import { afterEach, beforeEach, expect, test } from "vitest";
import * as decisionLog from "../src/decision-log.ts";
import { openPostgresStore, type PostgresStore } from "../src/index.ts";
import { findAgent, insertDecision, PgContext } from "../src/pg-context.ts";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "./helpers/scratch-database.ts";

/** Set to false to watch every test below fail: each depends on writes sharing a commit. */
const GROUPED = true;

describeWithPostgres("PostgresStore group commit", () => {
  let database: ScratchDatabase;
  let store: PostgresStore;
  let ctx: PgContext;
  /** A connection of its own: what another instance or a reader sees. */
  let other: pg.Client;

  beforeEach(async () => {
    database = await createScratchDatabase();
    store = await openPostgresStore(database.url, { groupCommit: GROUPED });
    ctx = new PgContext(store.pool, GROUPED);
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
    await other.query(`
      create table decision_xacts (decision_id bigint primary key, xact bigint not null);
      create function record_decision_xact() returns trigger language plpgsql as $$
        begin insert into decision_xacts values (new.id, txid_current()); return new; end $$;
      create trigger decision_xact after insert on decisions
        for each row execute function record_decision_xact();`);
  });
  afterEach(async () => {
    await other.end();
    await store.close();
    await database.drop();
  });

  /** How many transactions wrote the decisions, and how many rows another connection sees. */
  async function seenByOthers(): Promise<{ rows: number; transactions: number }> {
    const { rows } = await other.query<{ rows: string; transactions: string }>(
      "select count(*) as rows, count(distinct xact) as transactions from decision_xacts",
    );
    return { rows: Number(rows[0]?.rows), transactions: Number(rows[0]?.transactions) };
  }

  test("commits decisions appended together in one transaction", async () => {
    const records = await Promise.all(
      Array.from({ length: 8 }, (_, i) => decisionLog.appendDecision(ctx, decisionInput({ at: 1000 + i }))),
    );
    expect(records.map((record) => record.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await seenByOthers()).toEqual({ rows: 8, transactions: 1 });
  });

  test("keeps the hash chain whole across a shared commit", async () => {
    const first = await decisionLog.appendDecision(ctx, decisionInput());
    const batch = await Promise.all(
      Array.from({ length: 20 }, () => decisionLog.appendDecision(ctx, decisionInput())),
    );
    expect(await seenByOthers()).toEqual({ rows: 21, transactions: 2 });
    let previous = first;
    for (const record of batch) {
      expect(record.prevHash).toBe(previous.hash);
      previous = record;
    }
    expect(await store.verifyDecisionLog()).toEqual({ ok: true, rows: 21, headHash: previous.hash });
  });

  test("answers a batch whose writes are all refused before their first statement, and the next batch commits", async () => {
    const refuse = (code: "conflict" | "invalid") =>
      ctx.write(async () => {
        throw new StoreError(code, "refused before any statement");
      });
    const outcomes = await Promise.allSettled([refuse("conflict"), refuse("invalid")]);
    expect(outcomes).toMatchObject([
      { status: "rejected", reason: { code: "conflict" } },
      { status: "rejected", reason: { code: "invalid" } },
    ]);
    // Nothing began, so nothing was committed, and the connection went back to the pool clean.
    const after = await decisionLog.appendDecision(ctx, decisionInput({ agent: "agent:after" }));
    expect(after).toMatchObject({ id: 1, agent: "agent:after" });
    expect(await seenByOthers()).toEqual({ rows: 1, transactions: 1 });
  });

  test("undoes a refused write alone and commits the others of its batch", async () => {
    const refused = ctx.write(async (tx) => {
      // Appends first, then refuses: the append must not survive.
      await insertDecision(tx, checkAppendDecisionInput(decisionInput({ agent: "agent:refused" })));
      throw new StoreError("conflict", "refused on purpose, after writing");
    });
    const [before, , after] = await Promise.allSettled([
      decisionLog.appendDecision(ctx, decisionInput({ agent: "agent:before" })),
      refused,
      decisionLog.appendDecision(ctx, decisionInput({ agent: "agent:after" })),
    ]);
    await expect(refused).rejects.toMatchObject({ code: "conflict" });
    expect(before).toMatchObject({ status: "fulfilled", value: { id: 1, agent: "agent:before" } });
    expect(after).toMatchObject({ status: "fulfilled", value: { id: 2, agent: "agent:after" } });
    const log = await store.queryDecisions({ order: "oldest", limit: 10 });
    expect(log.items.map((record) => record.agent)).toEqual(["agent:before", "agent:after"]);
    expect((await store.verifyDecisionLog()).ok).toBe(true);
    expect(await seenByOthers()).toEqual({ rows: 2, transactions: 1 });
  });

  test("undoes a refused write between two that run statements alone, and commits the other two", async () => {
    await registerAgents(store, "reader");
    const readsThenAppends = (agent: string) =>
      ctx.write(async (tx) => {
        await findAgent(tx, "agent:reader", "for share");
        tx.appendAtCommit(checkAppendDecisionInput(decisionInput({ agent })));
      });
    const refused = ctx.write(async (tx) => {
      await findAgent(tx, "agent:reader", "for share");
      await insertDecision(tx, checkAppendDecisionInput(decisionInput({ agent: "agent:refused" })));
      throw new StoreError("conflict", "refused on purpose, after writing");
    });
    const outcomes = await Promise.allSettled([
      readsThenAppends("agent:before"),
      refused,
      readsThenAppends("agent:after"),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const log = await store.queryDecisions({ order: "oldest", limit: 10 });
    expect(log.items.map((record) => record.agent)).toEqual(["agent:before", "agent:after"]);
    expect((await store.verifyDecisionLog()).ok).toBe(true);
    expect(await seenByOthers()).toEqual({ rows: 2, transactions: 1 });
  });

  test("deals many writes that run statements over batches side by side, each with its own commit, the chain whole", async () => {
    await registerAgents(store, "reader");
    const sideBySide = new PgContext(store.pool, GROUPED, 4);
    const writes = Array.from({ length: 32 }, (_, i) =>
      sideBySide.write(async (tx) => {
        await findAgent(tx, "agent:reader", "for share");
        return tx.appendAtCommit(checkAppendDecisionInput(decisionInput({ at: 1000 + i })));
      }),
    );
    const appended = await Promise.all(writes);
    // 32 writes, at least 8 per batch, on 4 free connections: 4 transactions.
    expect(await seenByOthers()).toEqual({ rows: 32, transactions: 4 });
    expect(new Set(appended.map((entry) => entry.record?.id)).size).toBe(32);
    expect((await store.verifyDecisionLog()).ok).toBe(true);
  });

  test("keeps appends asked for together in one commit even when batches may run side by side", async () => {
    const sideBySide = new PgContext(store.pool, GROUPED, 4);
    await Promise.all(
      Array.from({ length: 32 }, () => decisionLog.appendDecision(sideBySide, decisionInput())),
    );
    expect(await seenByOthers()).toEqual({ rows: 32, transactions: 1 });
  });

  test("holds appends asked for while other appends commit, and commits them together next", async () => {
    const sideBySide = new PgContext(store.pool, GROUPED, 4);
    // Another connection holds the log head, so the first batch cannot commit until it lets go.
    await other.query("begin");
    await other.query("select last_id from decision_log_head for update");
    const first = Promise.all(
      Array.from({ length: 4 }, () => decisionLog.appendDecision(sideBySide, decisionInput())),
    );
    const later: Promise<unknown>[] = [];
    for (let turn = 0; turn < 3; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      later.push(...Array.from({ length: 4 }, () => decisionLog.appendDecision(sideBySide, decisionInput())));
    }
    await other.query("commit");
    await Promise.all([first, ...later]);
    // Three batches started while the first waited would each have queued behind it on the head.
    expect(await seenByOthers()).toEqual({ rows: 16, transactions: 2 });
    expect((await store.verifyDecisionLog()).ok).toBe(true);
  });

  test("answers no write of a batch, and shows none to another connection, before the batch commits", async () => {
    let firstAnswered = false;
    const first = decisionLog.appendDecision(ctx, decisionInput()).then((record) => {
      firstAnswered = true;
      return record;
    });
    // Runs after the first write: in the same transaction when grouped, after its commit when not.
    const second = ctx.write(async (tx) => {
      await insertDecision(tx, checkAppendDecisionInput(decisionInput()));
      const { rows } = await other.query<{ n: string }>("select count(*) as n from decisions");
      return { visibleToOthers: Number(rows[0]?.n), firstAnswered };
    });
    expect(await second).toEqual({ visibleToOthers: 0, firstAnswered: false });
    await first;
    expect(await seenByOthers()).toEqual({ rows: 2, transactions: 1 });
  });

  test("close commits the writes still queued and answers them", async () => {
    const appends = Array.from({ length: 10 }, () => store.appendDecision(decisionInput()));
    await store.close();
    const records = await Promise.all(appends);
    expect(records.map((record) => record.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await seenByOthers()).toEqual({ rows: 10, transactions: 1 });
  });

  test("moves a later write that would wait for a lock to the next batch once the batch holds locks", async () => {
    await registerAgents(store, "held", "free");
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query("begin");
      await holder.query("select 1 from agents where id = 'agent:held' for update");
      let firstAnswered = false;
      // Locks a row: from here on the batch holds locks, and must not wait for another.
      const first = ctx
        .write(async (tx) => {
          await findAgent(tx, "agent:free", "for share");
          tx.appendAtCommit(checkAppendDecisionInput(decisionInput()));
        })
        .then(() => {
          firstAnswered = true;
        });
      const blocked = ctx.write(async (tx) => {
        await findAgent(tx, "agent:held", "for share");
        return insertDecision(tx, checkAppendDecisionInput(decisionInput()));
      });
      await first;
      // The first write was answered while the lock the second waits for is still held.
      expect(firstAnswered).toBe(true);
      await holder.query("commit");
      expect((await blocked).id).toBe(2);
      const { rows } = await other.query<{ n: string }>(
        "select count(distinct xact) as n from decision_xacts where decision_id in (1, 2)",
      );
      expect(Number(rows[0]?.n)).toBe(2);
    } finally {
      await holder.end();
    }
  });
});
