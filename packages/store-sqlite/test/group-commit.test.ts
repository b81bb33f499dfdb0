/**
 * Group commit: writes asked for in the same turn of the event loop share one transaction and one
 * commit, each in its own savepoint, and none is answered before that commit.
 */

import { agentKey, decisionInput as decision } from "@baton/store/conformance/fixtures";
import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { registerAgents, T0, tempDir } from "./helpers/graph-fixture.ts";

const dirs: ReturnType<typeof tempDir>[] = [];
const stores: SqliteStore[] = [];

function open(groupCommit?: boolean): { store: SqliteStore; path: string } {
  const dir = tempDir();
  dirs.push(dir);
  const path = `${dir.path}/baton.db`;
  const store = openSqliteStore({ path, ...(groupCommit === undefined ? {} : { groupCommit }) });
  stores.push(store);
  return { store, path };
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

/** Frames in the WAL: every commit appends the pages it changed, so N commits write far more. */
function walFrames(store: SqliteStore): number {
  const [row] = store.database.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
  return row?.log ?? 0;
}

async function framesFor(groupCommit: boolean): Promise<number> {
  const { store } = open(groupCommit);
  store.database.pragma("wal_checkpoint(TRUNCATE)");
  const before = walFrames(store);
  await Promise.all(Array.from({ length: 40 }, (_, i) => store.appendDecision(decision({ at: T0 + i }))));
  return walFrames(store) - before;
}

describe("group commit", () => {
  test("writes asked for together share one commit: a fraction of the WAL frames of one commit each", async () => {
    const grouped = await framesFor(true);
    const oneByOne = await framesFor(false);
    expect(oneByOne).toBeGreaterThanOrEqual(40);
    expect(grouped * 5).toBeLessThan(oneByOne);
  });

  test("keeps the hash chain whole across a shared commit", async () => {
    const { store } = open();
    const records = await Promise.all(
      Array.from({ length: 25 }, (_, i) => store.appendDecision(decision({ at: T0 + i }))),
    );
    expect(records.map((record) => record.id)).toEqual(records.map((_, i) => i + 1));
    expect((await store.verifyDecisionLog()).ok).toBe(true);
  });

  test("answers no write before its commit: another connection sees it by the time it resolves, not before", async () => {
    const { store, path } = open();
    const other = new Database(path, { readonly: true });
    try {
      const count = () => (other.prepare("select count(*) as n from decisions").get() as { n: number }).n;
      const pending = Promise.all([1, 2, 3].map((i) => store.appendDecision(decision({ at: T0 + i }))));
      expect(count()).toBe(0);
      await pending;
      expect(count()).toBe(3);
    } finally {
      other.close();
    }
  });

  test("a refused write is undone alone; the others in its commit are kept and answered", async () => {
    const { store } = open();
    await registerAgents(store, "alice");
    const outcomes = await Promise.allSettled([
      store.appendDecision(decision({ at: T0 + 1 })),
      // The same id again: refused inside the shared transaction, after the first write ran.
      store.registerAgent({ id: "agent:alice", ...agentKey(), at: T0 + 2 }),
      store.appendDecision(decision({ at: T0 + 3 })),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const page = await store.queryDecisions({ limit: 100, order: "oldest" });
    expect(page.items.map((record) => record.at)).toEqual(expect.arrayContaining([T0 + 1, T0 + 3]));
    expect((await store.verifyDecisionLog()).ok).toBe(true);
  });

  test("close commits and answers the writes already asked for", async () => {
    const { store, path } = open();
    const pending = store.appendDecision(decision({ at: T0 + 7 }));
    await store.close();
    await expect(pending).resolves.toMatchObject({ at: T0 + 7 });
    const reopened = openSqliteStore({ path });
    stores.push(reopened);
    const page = await reopened.queryDecisions({ limit: 10, order: "oldest" });
    expect(page.items.map((record) => record.at)).toContain(T0 + 7);
  });

  test("refuses a groupCommit option that is not a boolean", () => {
    const dir = tempDir();
    dirs.push(dir);
    expect(() => openSqliteStore({ path: `${dir.path}/x.db`, groupCommit: "yes" as never })).toThrow(
      /groupCommit/,
    );
  });

  test("keeps the hash chain whole when a write that appended decisions is undone in the middle of a shared commit", async () => {
    const { store } = open();
    // Any decision about action "explode" fails inside SQLite, after the ones before it in its write.
    store.database.exec(`create temp trigger explode before insert on decisions when new.action = 'explode'
      begin select raise(abort, 'exploded'); end`);
    const [first, undone, last] = await Promise.allSettled([
      store.appendDecision(decision({ at: T0 + 1 })),
      // One write: its first decision is appended, then the second fails and undoes both.
      store.appendDecisions([decision({ at: T0 + 2 }), decision({ at: T0 + 3, action: "explode" })]),
      store.appendDecision(decision({ at: T0 + 4 })),
    ]);
    expect(first.status).toBe("fulfilled");
    expect(undone.status).toBe("rejected");
    expect(last.status).toBe("fulfilled");
    const [a, c] = [first, last].map(
      (outcome) => (outcome as PromiseFulfilledResult<{ id: number; hash: string; prevHash: string }>).value,
    );
    expect(c?.id).toBe((a?.id ?? 0) + 1);
    expect(c?.prevHash).toBe(a?.hash);
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true });
  });
});
