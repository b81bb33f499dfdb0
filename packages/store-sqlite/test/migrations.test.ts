import { existsSync } from "node:fs";
import { isStoreError } from "@baton/store";
import { decisionHash, GENESIS_HASH, pendingMigrations as pendingOf } from "@baton/store/adapter-kit";
import { randomId } from "@baton/token";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { knownSchemaVersions, openSqliteStore, readMigrationJournal } from "../src/index.ts";

const pendingMigrations = (applied: readonly number[], journal: readonly { tag: string; when: number }[]) =>
  pendingOf(applied, journal, "@baton/store-sqlite");

import {
  agentKey,
  codeOf,
  decisionInput,
  grant,
  grantInput,
  hop,
  hopInput,
  registerAgents,
  T0,
  tempDir,
} from "./helpers/graph-fixture.ts";
import { databaseAtMigration, migrationsUpTo } from "./helpers/migration-steps.ts";

let dir: ReturnType<typeof tempDir>;
let path: string;

beforeEach(() => {
  dir = tempDir();
  path = `${dir.path}/nested/dir/baton.db`;
});

afterEach(() => dir.cleanup());

const tables = (db: Database.Database) =>
  (
    db.prepare("select name from sqlite_master where type = 'table' order by name").all() as {
      name: string;
    }[]
  ).map((t) => t.name);

const indexesOf = (db: Database.Database, table: string) =>
  (db.prepare("select name from pragma_index_list(?)").all(table) as { name: string }[]).map(
    (index) => index.name,
  );

/** The steps of SQLite's plan for `sql`, as EXPLAIN QUERY PLAN words them. */
const queryPlan = (db: Database.Database, sql: string, ...args: unknown[]) =>
  (db.prepare(`explain query plan ${sql}`).all(...args) as { detail: string }[]).map((step) => step.detail);

describe("opening a database", () => {
  test("creates the file and its directory on first use and applies every migration", async () => {
    const store = openSqliteStore({ path });
    expect(existsSync(path)).toBe(true);
    expect(await store.health()).toEqual({
      ok: true,
      journalMode: "wal",
      synchronous: "FULL",
      schemaVersion: knownSchemaVersions().at(-1),
    });
    expect(tables(store.database)).toEqual(
      expect.arrayContaining([
        "agents",
        "approvals",
        "audiences",
        "decisions",
        "delegations",
        "settings",
        "signing_keys",
        "tasks",
        "tokens",
      ]),
    );
    const applied = store.database.prepare("select count(*) as n from __drizzle_migrations").get() as {
      n: number;
    };
    expect(applied.n).toBe(readMigrationJournal().length);
    await store.close();
  });

  test("reopening is idempotent and keeps the data", async () => {
    const first = openSqliteStore({ path });
    const [alice, bob] = await registerAgents(first, "alice", "bob");
    const child = await hop(first, await grant(first, alice), bob);
    await first.appendDecision({ at: T0, kind: "verify", decision: "allow", did: child.did, reasons: [] });
    await first.close();

    for (let i = 0; i < 2; i++) {
      const again = openSqliteStore({ path });
      expect((await again.getDelegation(child.did))?.to).toBe(bob);
      expect(await again.verifyDecisionLog()).toMatchObject({ ok: true, rows: 1 });
      const applied = again.database.prepare("select count(*) as n from __drizzle_migrations").get() as {
        n: number;
      };
      expect(applied.n).toBe(readMigrationJournal().length);
      await again.close();
    }
  });

  test("two stores can open the same new file, one after the other, while the first is open", async () => {
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    await registerAgents(a, "alice");
    expect((await b.getAgent("agent:alice"))?.id).toBe("agent:alice");
    await a.close();
    await b.close();
  });

  test("accepts synchronous NORMAL and refuses other settings", async () => {
    const store = openSqliteStore({ path, synchronous: "NORMAL", busyTimeoutMs: 250 });
    expect((await store.health()).synchronous).toBe("NORMAL");
    expect(store.database.pragma("busy_timeout", { simple: true })).toBe(250);
    expect(store.database.pragma("foreign_keys", { simple: true })).toBe(1);
    await store.close();
    expect(await codeOf(() => openSqliteStore({ path, synchronous: "OFF" as never }))).toBe("invalid");
    expect(await codeOf(() => openSqliteStore({ path: "" }))).toBe("invalid");
  });
});

/** Journal position (1-based count of applied migrations) of the migration tagged `tag`. */
function countThrough(tag: string): number {
  const index = readMigrationJournal().findIndex((entry) => entry.tag === tag);
  expect(index).toBeGreaterThanOrEqual(0);
  return index + 1;
}

const columns = (db: Database.Database, table: string) =>
  (db.prepare(`select name from pragma_table_info('${table}')`).all() as { name: string }[]).map(
    (c) => c.name,
  );

/**
 * Writes a little of everything through raw SQL, as an old build would have: an agent, a task, its
 * root delegation and a logged decision. Returns the root's `did`.
 */
function writeOldRows(old: Database.Database): string {
  const key = agentKey();
  old
    .prepare("insert into agents (id, jwk, jkt, created_at) values (?, ?, ?, ?)")
    .run("agent:alice", JSON.stringify(key.jwk), key.jkt, T0);
  const did = randomId();
  old
    .prepare(
      "insert into tasks (id, intent, root_agent, root_did, opened_at) values ('t1', 'old task', 'agent:alice', ?, ?)",
    )
    .run(did, T0);
  old
    .prepare(
      `insert into delegations (did, root, task, depth, to_agent, cap, aud, mdp, exp, created_at)
       values (?, ?, 't1', 0, 'agent:alice', '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 3, ?, ?)`,
    )
    .run(did, did, T0 + 3600, T0);
  const row = {
    id: 1,
    at: T0,
    kind: "grant",
    decision: "allow",
    task: "t1",
    did,
    jti: null,
    agent: "agent:alice",
    audience: null,
    action: null,
    resource: null,
    reasons: "[]",
    detail: null,
    prevHash: GENESIS_HASH,
    format: 1,
    reporter: null,
    actorProven: null,
    argsDigest: null,
    chain: null,
  };
  old
    .prepare(
      `insert into decisions (id, at, kind, decision, task, did, agent, reasons, prev_hash, hash)
       values (@id, @at, @kind, @decision, @task, @did, @agent, @reasons, @prevHash, @hash)`,
    )
    .run({ ...row, hash: decisionHash(row) });
  return did;
}

describe("upgrading from an older version", () => {
  test("upgrades a database at the first migration in place, keeping its rows and chain", async () => {
    const journal = readMigrationJournal();
    expect(journal.length).toBeGreaterThanOrEqual(2);
    const old = databaseAtMigration(path, countThrough("0000_initial"));
    const did = writeOldRows(old);
    // The first schema lets a decision be deleted; the upgraded one must not.
    expect(tables(old)).toContain("decisions");
    old.close();

    const store = openSqliteStore({ path });
    expect((await store.health()).schemaVersion).toBe(journal.at(-1)?.tag);
    expect(await store.getDelegation(did)).toMatchObject({ task: "t1", status: "live" });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 1 });
    expect(() => store.database.prepare("delete from decisions").run()).toThrow(/append-only/);
    await store.revokeDelegation(did, { reason: "after upgrade", at: T0 + 1 });
    expect((await store.chainStatus([did]))[0]).toMatchObject({ live: false, problem: "revoked" });
    await store.close();
  });

  test("upgrades a database at 0001 (before task hours) in place: old tasks keep their rows with no hours", async () => {
    const old = databaseAtMigration(path, countThrough("0001_integrity_triggers"));
    expect(columns(old, "tasks")).not.toContain("hours");
    const did = writeOldRows(old);
    old.close();

    const store = openSqliteStore({ path });
    expect((await store.health()).schemaVersion).toBe(readMigrationJournal().at(-1)?.tag);
    expect(columns(store.database, "tasks")).toContain("hours");
    expect(await store.getTask("t1")).toMatchObject({
      id: "t1",
      intent: "old task",
      rootAgent: "agent:alice",
      rootDid: did,
      status: "open",
      openedAt: T0,
      hours: null,
    });
    expect(await store.listTasks()).toEqual([
      expect.objectContaining({ id: "t1", hours: null, liveDelegations: 1 }),
    ]);
    expect(await store.getDelegation(did)).toMatchObject({ task: "t1", status: "live" });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 1 });
    // The triggers 0001 added survive the upgrade.
    expect(() => store.database.prepare("delete from decisions").run()).toThrow(/append-only/);

    // And the upgraded file takes grants that declare hours.
    const [bob] = await registerAgents(store, "bob");
    const input = grantInput(bob);
    const hours = { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" };
    await store.recordGrant({
      ...input,
      delegation: { ...input.delegation, task: { ...input.delegation.task, hours } },
    });
    await store.close();
    const reopened = openSqliteStore({ path });
    expect((await reopened.getTask(input.delegation.task.id))?.hours).toEqual(hours);
    expect((await reopened.getTask("t1"))?.hours).toBeNull();
    await reopened.close();
  });

  test("upgrades a database at 0003 (before status lists): every delegation gets an entry, revoked ones read as set", async () => {
    const old = databaseAtMigration(path, countThrough("0003_decision_actor"));
    const root = writeOldRows(old);
    // Two hops below the root, created later; the second already revoked.
    const [live, revoked] = [randomId(), randomId()];
    for (const [did, at] of [
      [live, T0 + 1],
      [revoked, T0 + 2],
    ] as const) {
      old
        .prepare(
          `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
           values (?, ?, ?, 't1', 1, 'agent:alice', 'agent:alice', '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 2, ?, ?)`,
        )
        .run(did, root, root, T0 + 3600, at);
    }
    old
      .prepare("update delegations set status = 'revoked', revoked_at = ?, revocation_seq = 1 where did = ?")
      .run(T0 + 3, revoked);
    old.close();

    const store = openSqliteStore({ path });
    expect((await store.getDelegation(root))?.statusEntry).toEqual({ list: 0, index: 0 });
    expect((await store.getDelegation(live))?.statusEntry).toEqual({ list: 0, index: 1 });
    expect((await store.getDelegation(revoked))?.statusEntry).toEqual({ list: 0, index: 2 });
    const bits = await store.statusListBits(0);
    expect(bits?.allocated).toBe(3);
    expect(bits?.bytes[0]).toBe(0b100);
    // The revocation-is-final trigger was put back, and entries cannot move.
    expect(() =>
      store.database.prepare("update delegations set intent = 'x' where did = ?").run(revoked),
    ).toThrow(/revoked delegation cannot change/);
    expect(() =>
      store.database.prepare("update delegations set status_index = 9 where did = ?").run(live),
    ).toThrow(/keeps its status list entry/);
    // New reservations continue after the migrated entries.
    expect(await store.reserveStatusEntries(2, T0 + 4)).toEqual({ list: 0, first: 3, count: 2 });
    await store.revokeDelegation(live, { reason: "after upgrade", at: T0 + 5 });
    expect((await store.statusListBits(0))?.bytes[0]).toBe(0b110);
    await store.close();
  });

  test("upgrades a database at 0004 (before the live-children indexes): the index holds its live rows, and a blast radius walks them", async () => {
    const old = databaseAtMigration(path, countThrough("0004_status_lists"));
    const root = writeOldRows(old);
    const key = agentKey();
    old
      .prepare("insert into agents (id, jwk, jkt, created_at) values ('agent:bob', ?, ?, ?)")
      .run(JSON.stringify(key.jwk), key.jkt, T0);
    // Below alice's root: a live hop to bob, and a revoked one with a live hop below it.
    const [live, revoked, belowRevoked] = [randomId(), randomId(), randomId()];
    const insertHop = old.prepare(
      `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
       values (?, ?, ?, 't1', ?, ?, 'agent:bob', '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 1, ?, ?)`,
    );
    insertHop.run(live, root, root, 1, "agent:alice", T0 + 3600, T0 + 1);
    insertHop.run(revoked, root, root, 1, "agent:alice", T0 + 3600, T0 + 2);
    insertHop.run(belowRevoked, revoked, root, 2, "agent:bob", T0 + 3600, T0 + 3);
    old
      .prepare("update delegations set status = 'revoked', revoked_at = ?, revocation_seq = 1 where did = ?")
      .run(T0 + 4, revoked);
    old.close();

    const store = openSqliteStore({ path });
    const indexed = store.database
      .prepare(
        `select d.did as did from delegations d indexed by delegations_live_child_nodes_idx
         where d.parent_node = (select node from delegations where did = ?) and d.status = 'live'`,
      )
      .all(root) as { did: string }[];
    expect(indexed).toEqual([{ did: live }]);
    const radius = await store.blastRadius("agent:alice");
    expect(radius.held.map((d) => d.did)).toEqual([root]);
    expect(radius.reachable.map((d) => d.did)).toEqual([live]);
    await store.close();
  });

  test("upgrades a database at 0005 (before graph nodes): every row, revoked ones too, is numbered with its parent's number, and new rows follow", async () => {
    const old = databaseAtMigration(path, countThrough("0005_live_children"));
    const root = writeOldRows(old);
    const key = agentKey();
    old
      .prepare("insert into agents (id, jwk, jkt, created_at) values ('agent:bob', ?, ?, ?)")
      .run(JSON.stringify(key.jwk), key.jkt, T0);
    const [live, revoked, belowLive] = [randomId(), randomId(), randomId()];
    const insertHop = old.prepare(
      `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
       values (?, ?, ?, 't1', ?, ?, 'agent:bob', '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 1, ?, ?)`,
    );
    insertHop.run(live, root, root, 1, "agent:alice", T0 + 3600, T0 + 1);
    insertHop.run(revoked, root, root, 1, "agent:alice", T0 + 3600, T0 + 2);
    insertHop.run(belowLive, live, root, 2, "agent:bob", T0 + 3600, T0 + 3);
    old
      .prepare("update delegations set status = 'revoked', revoked_at = ?, revocation_seq = 1 where did = ?")
      .run(T0 + 4, revoked);
    old.close();

    const store = openSqliteStore({ path });
    const rows = store.database
      .prepare(
        `select d.did as did, d.node as node, d.parent_node as parentNode, p.node as parentsNode
         from delegations d left join delegations p on p.did = d.parent order by d.node`,
      )
      .all() as { did: string; node: number | null; parentNode: number | null; parentsNode: number | null }[];
    expect(rows.map((r) => r.did)).toEqual([root, live, revoked, belowLive]);
    expect(new Set(rows.map((r) => r.node)).size).toBe(4);
    for (const row of rows) {
      expect(row.node).not.toBeNull();
      expect(row.parentNode).toBe(row.parentsNode);
    }
    // The revoked row stays final, and the walk finds the live rows below alice's root.
    expect(() =>
      store.database.prepare("update delegations set revoke_reason = 'x' where did = ?").run(revoked),
    ).toThrow(/revoked delegation cannot change/);
    const radius = await store.blastRadius("agent:alice");
    expect(radius.held.map((d) => d.did)).toEqual([root]);
    expect(radius.reachable.map((d) => d.did).sort()).toEqual([live, belowLive].sort());
    // A grant recorded after the upgrade is numbered after every old row.
    const next = await grant(store, "agent:bob");
    const nextNode = store.database
      .prepare("select node from delegations where did = ?")
      .pluck()
      .get(next.did);
    expect(nextNode).toBe(Math.max(...rows.map((r) => r.node as number)) + 1);
    await store.close();
  });

  test("upgrades a database at 0006 (with an index on token hashes alone): drops it, and a hop's parent token is still found by did and hash", async () => {
    const old = databaseAtMigration(path, countThrough("0006_graph_nodes"));
    expect(indexesOf(old, "tokens")).toContain("tokens_hash_idx");
    old.close();

    const store = openSqliteStore({ path });
    expect(indexesOf(store.database, "tokens")).not.toContain("tokens_hash_idx");
    const plan = queryPlan(
      store.database,
      "select 1 as one from tokens where did = ? and hash = ? limit 1",
      "d",
      "h",
    );
    expect(plan).toEqual([
      expect.stringMatching(/^SEARCH tokens USING INDEX tokens_did_version_idx \(did=\?\)/),
    ]);
    const [alice, bob, carol] = await registerAgents(store, "alice", "bob", "carol");
    const root = await grant(store, alice);
    const toBob = await hop(store, root, bob);
    expect((await store.chainFacts([root.did, toBob.did])).links.every((link) => link.live)).toBe(true);
    // A hop naming as its parent's token one the parent never had is still refused.
    const input = hopInput(toBob, carol);
    const forged = { ...input, token: { ...input.token, prf: root.jti.padEnd(43, "A") } };
    expect(await codeOf(() => store.recordHop(forged))).toBe("invalid");
    await store.close();
  });

  test("upgrades a database at 0007 (with an index on decisions' did): drops it, and decisions are still found by did through the trace index", async () => {
    const old = databaseAtMigration(path, countThrough("0007_tokens_without_hash_index"));
    const did = writeOldRows(old);
    // Filed as the store at 0007 files it: under its own did in the trace index.
    old.prepare("insert into decision_dids (did, decision_id) values (?, 1)").run(did);
    expect(indexesOf(old, "decisions")).toContain("decisions_did_idx");
    old.close();

    const store = openSqliteStore({ path });
    expect(indexesOf(store.database, "decisions")).not.toContain("decisions_did_idx");
    const plan = queryPlan(
      store.database,
      "select id from decisions where id in (select decision_id from decision_dids where did = ?) order by id desc limit 10",
      "d",
    );
    expect(plan).toContainEqual(
      expect.stringMatching(
        /^SEARCH decision_dids USING COVERING INDEX sqlite_autoindex_decision_dids_1 \(did=\?\)/,
      ),
    );
    expect(plan.filter((step) => /^SCAN decision_dids/.test(step))).toEqual([]);
    expect((await store.queryDecisions({ did, limit: 10 })).items.map((item) => item.id)).toEqual([1]);
    // A decision logged after the upgrade is found under its did and its chain's leaf alike.
    const [carol] = await registerAgents(store, "carol");
    const root = await grant(store, carol);
    const appended = await store.appendDecision(
      decisionInput({
        did: root.did,
        chain: [{ did, sub: carol, verified: true }],
      }),
    );
    expect((await store.queryDecisions({ did: root.did, limit: 10 })).items.map((item) => item.id)).toEqual([
      appended.id,
    ]);
    expect((await store.queryDecisions({ did, limit: 10 })).items.map((item) => item.id)).toEqual([
      appended.id,
      1,
    ]);
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true });
    await store.close();
  });

  test("refuses a database migrated by newer code, and leaves it untouched", async () => {
    await openSqliteStore({ path }).close();
    const raw = new Database(path);
    const newest = readMigrationJournal().at(-1)?.when ?? 0;
    raw
      .prepare("insert into __drizzle_migrations (hash, created_at) values ('future', ?)")
      .run(newest + 86_400_000);
    raw.exec("create table from_the_future (x integer)");
    raw.close();

    let caught: unknown;
    try {
      openSqliteStore({ path });
    } catch (error) {
      caught = error;
    }
    expect(isStoreError(caught, "schema_too_new")).toBe(true);
    const after = new Database(path, { readonly: true });
    expect(tables(after)).toContain("from_the_future");
    expect((after.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number }).n).toBe(
      readMigrationJournal().length + 1,
    );
    after.close();
  });

  test("refuses a database with a migration history this build does not know", async () => {
    await openSqliteStore({ path }).close();
    const raw = new Database(path);
    raw.prepare("insert into __drizzle_migrations (hash, created_at) values ('other-branch', 1)").run();
    raw.close();
    expect(await codeOf(() => openSqliteStore({ path }))).toBe("schema_mismatch");
  });
});

describe("pendingMigrations", () => {
  const journal = [
    { tag: "0000_a", when: 100 },
    { tag: "0001_b", when: 200 },
    { tag: "0002_c", when: 300 },
  ];

  test("lists what is left after the last applied migration", () => {
    expect(pendingMigrations([], journal).map((m) => m.tag)).toEqual(["0000_a", "0001_b", "0002_c"]);
    expect(pendingMigrations([100], journal).map((m) => m.tag)).toEqual(["0001_b", "0002_c"]);
    expect(pendingMigrations([100, 200, 300], journal)).toEqual([]);
  });

  test("refuses a skipped migration, an unknown one and a newer one", async () => {
    expect(await codeOf(() => pendingMigrations([100, 300], journal))).toBe("schema_mismatch");
    expect(await codeOf(() => pendingMigrations([100, 150], journal))).toBe("schema_mismatch");
    expect(await codeOf(() => pendingMigrations([100, 200, 300, 400], journal))).toBe("schema_too_new");
  });

  test("the helper's truncated journal really stops early", () => {
    const steps = migrationsUpTo(1);
    try {
      expect(readMigrationJournal(steps.folder)).toHaveLength(1);
    } finally {
      steps.cleanup();
    }
  });
});

describe("signing keys written before RFC 9864", () => {
  /** @see issue 17: a store file from before holds public JWKs saying alg EdDSA. */
  test("reads a signing key stored with alg EdDSA as Ed25519, keeping its kid", async () => {
    const { jwk } = agentKey();
    const kid = "a-full-43-character-thumbprint-kid-of-old-k";
    const oldShape = { ...jwk, kid, alg: "EdDSA", use: "sig" } as const;
    const store = openSqliteStore({ path });
    await store.addSigningKey({
      kid,
      publicJwk: { ...oldShape, alg: "Ed25519" },
      privateKeyPkcs8: Buffer.alloc(48, 1).toString("base64"),
      createdAt: T0,
    });
    await store.close();
    const raw = new Database(path);
    raw.prepare("update signing_keys set public_jwk = ? where kid = ?").run(JSON.stringify(oldShape), kid);
    raw.close();

    const reopened = openSqliteStore({ path });
    try {
      expect((await reopened.activeSigningKey())?.publicJwk).toEqual({ ...oldShape, alg: "Ed25519" });
      expect((await reopened.listSigningKeys()).map((key) => [key.kid, key.publicJwk.alg])).toEqual([
        [kid, "Ed25519"],
      ]);
    } finally {
      await reopened.close();
    }
  });
});
