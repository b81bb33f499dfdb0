/**
 * The hot by-key reads (a chain's facts, an agent) are remembered while the database is unchanged,
 * and never past a change: by this connection, by another one, or undone by a rollback. A chain's
 * facts are read in the store's next turn, with the reads and writes of the requests that came
 * with it.
 */

import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { decisionInput, grant, hop, registerAgents, T0, tempDir } from "./helpers/graph-fixture.ts";

const dirs: ReturnType<typeof tempDir>[] = [];
const stores: SqliteStore[] = [];

function openAt(path: string): SqliteStore {
  const store = openSqliteStore({ path });
  stores.push(store);
  return store;
}

/** A store on a fresh file with alice → bob → carol, and the chain's dids. */
async function chainOnFile(): Promise<{ store: SqliteStore; path: string; dids: string[]; carol: string }> {
  const dir = tempDir();
  dirs.push(dir);
  const path = `${dir.path}/baton.db`;
  const store = openAt(path);
  const [alice, bob, carol] = await registerAgents(store, "alice", "bob", "carol");
  const root = await grant(store, alice);
  const toBob = await hop(store, root, bob);
  const toCarol = await hop(store, toBob, carol);
  return { store, path, dids: [root.did, toBob.did, toCarol.did], carol };
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

describe("remembered reads", () => {
  test("a chain's facts read twice with nothing written between are one answer, frozen", async () => {
    const { store, dids } = await chainOnFile();
    const first = await store.chainFacts(dids);
    const second = await store.chainFacts(dids);
    expect(second).toBe(first);
    expect(Object.isFrozen(first.links)).toBe(true);
    expect(Object.isFrozen(first.links[0])).toBe(true);
    expect(first.links.every((link) => link.live)).toBe(true);
  });

  test("any write by this store is seen by the next read, even one that touches none of the chain's rows", async () => {
    const { store, dids } = await chainOnFile();
    const first = await store.chainFacts(dids);
    await store.setSetting("unrelated", "value", T0);
    const afterUnrelated = await store.chainFacts(dids);
    expect(afterUnrelated).not.toBe(first);
    expect(afterUnrelated).toEqual(first);

    await store.revokeDelegation(dids[1] as string, { reason: "incident", at: T0 + 1 });
    const links = (await store.chainFacts(dids)).links;
    expect(links.map((link) => link.live)).toEqual([true, false, false]);
    expect(links[1]).toMatchObject({ live: false, problem: "revoked" });
  });

  test("a revocation committed through another connection to the same file is seen at once", async () => {
    const { store, path, dids } = await chainOnFile();
    expect((await store.chainFacts(dids)).links.every((link) => link.live)).toBe(true);
    const other = openAt(path);
    await other.revokeDelegation(dids[2] as string, { reason: "incident", at: T0 + 1 });
    const links = (await store.chainFacts(dids)).links;
    expect(links.map((link) => link.live)).toEqual([true, true, false]);
  });

  test("an agent disabled through another connection is seen at once", async () => {
    const { store, path, carol } = await chainOnFile();
    expect((await store.getAgent(carol))?.status).toBe("active");
    await openAt(path).disableAgent(carol, { reason: "compromised", at: T0 + 1 });
    expect((await store.getAgent(carol))?.status).toBe("disabled");
  });

  test("what a transaction read before rolling back is not remembered", async () => {
    const { store, dids } = await chainOnFile();
    const revokeInside = store.database.prepare(
      `update delegations set status = 'revoked', revoked_at = ?, revoke_reason = 'undone',
        revocation_seq = (select coalesce(max(revocation_seq), 0) + 1 from delegations) where did = ?`,
    );
    let readInside: Awaited<ReturnType<SqliteStore["chainFacts"]>> | undefined;
    const undone = store.database.transaction(() => {
      revokeInside.run(T0 + 1, dids[0]);
      // The store's read runs synchronously, inside this transaction, and sees the update.
      void store.chainFacts(dids).then((facts) => {
        readInside = facts;
      });
      throw new Error("roll back");
    });
    expect(() => undone()).toThrow("roll back");
    await Promise.resolve();
    expect(readInside?.links[0]?.live).toBe(false);
    expect((await store.chainFacts(dids)).links.every((link) => link.live)).toBe(true);
  });

  test("reads in one turn share one look at other connections' commits, and the next turn looks again", async () => {
    const { store, path, dids } = await chainOnFile();
    const other = new Database(path);
    try {
      const revokeLeaf = () =>
        other
          .prepare(
            `update delegations set status = 'revoked', revoked_at = ?, revoke_reason = 'incident',
              revocation_seq = (select coalesce(max(revocation_seq), 0) + 1 from delegations) where did = ?`,
          )
          .run(T0 + 1, dids[2]);
      // The first read opens the turn; the revocation commits while it is still open.
      const inTurn = await store.chainFacts(dids).then((first) => {
        revokeLeaf();
        return store.chainFacts(dids).then((second) => ({ first, second }));
      });
      expect(inTurn.second).toBe(inTurn.first);
      // Still in that turn here (promise jobs run before the turn closes): wait for it to close.
      await new Promise((resolve) => setImmediate(resolve));
      const nextTurn = await store.chainFacts(dids);
      expect(nextTurn.links.map((link) => link.live)).toEqual([true, true, false]);
    } finally {
      other.close();
    }
  });

  test("a decision asked for in a read's turn commits in that turn, before an immediate queued after the read", async () => {
    const { store, path, dids } = await chainOnFile();
    const other = new Database(path, { readonly: true });
    try {
      const count = () => (other.prepare("select count(*) as n from decisions").get() as { n: number }).n;
      const before = count();
      const appended = store.chainFacts(dids).then(() => store.appendDecision(decisionInput({ at: T0 + 1 })));
      const seenByImmediate = new Promise<number>((resolve) => setImmediate(() => resolve(count())));
      expect(await seenByImmediate).toBe(before + 1);
      await appended;
    } finally {
      other.close();
    }
  });

  test("a read asked for when the store closes is answered before the connection goes", async () => {
    const { store, dids } = await chainOnFile();
    const pending = store.chainFacts(dids);
    await store.close();
    expect((await pending).links.every((link) => link.live)).toBe(true);
  });
});
