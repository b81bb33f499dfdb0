/**
 * The SQLite adapter's maintenance methods, which are not part of the `Store` port: `checkIntegrity`
 * (what tests and operators run after a crash) and `backup` (an online copy of the file).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomId } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { codeOf, countRecords, grant, hop, registerAgents, T0, tempDir } from "./helpers/graph-fixture.ts";

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;

beforeEach(() => {
  dir = tempDir();
  store = openSqliteStore({ path: join(dir.path, "baton.db") });
});

afterEach(async () => {
  await store.close();
  dir.cleanup();
});

describe("checkIntegrity", () => {
  test("reports nothing on a sound file", async () => {
    const [alice, bob] = await registerAgents(store, "alice", "bob");
    await hop(store, await grant(store, alice), bob);
    expect(await store.checkIntegrity()).toEqual([]);
  });

  test("reports a row whose foreign key points nowhere", async () => {
    const [alice] = await registerAgents(store, "alice");
    const root = await grant(store, alice);
    store.database.pragma("foreign_keys = OFF");
    store.database
      .prepare(
        `insert into tokens (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
         select ?, ?, 1, null, prf, hash, iat, exp, rvl, compact, recorded_at from tokens where did = ?`,
      )
      .run(randomId(), randomId(), root.did);
    const problems = await store.checkIntegrity();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tokens row \d+ refers to a missing row of delegations$/);
  });
});

describe("backup", () => {
  test("writes an owner-only copy holding every committed write, while the store stays open", async () => {
    const [alice, bob] = await registerAgents(store, "alice", "bob");
    const root = await grant(store, alice);
    const last = await hop(store, root, bob);
    const target = join(dir.path, "copy.db");
    await store.backup(target);
    if (process.platform !== "win32") expect((statSync(target).mode & 0o777).toString(8)).toBe("600");

    await store.revokeDelegation(last.did, { reason: "after the backup", at: T0 + 1 });
    const copy = openSqliteStore({ path: target });
    try {
      expect(await copy.checkIntegrity()).toEqual([]);
      expect((await copy.getDelegation(last.did))?.status).toBe("live");
      expect(await countRecords(copy)).toEqual({ tasks: 1, delegations: 2, tokens: 2, decisions: 0 });
      expect((await copy.listAgents()).map((agent) => agent.id)).toEqual([alice, bob]);
    } finally {
      await copy.close();
    }
    expect((await store.getDelegation(last.did))?.status).toBe("revoked");
  });

  test("refuses a target that exists with conflict, and leaves it as it was", async () => {
    const target = join(dir.path, "taken.db");
    writeFileSync(target, "not yours");
    expect(await codeOf(() => store.backup(target))).toBe("conflict");
    expect(readFileSync(target, "utf8")).toBe("not yours");
    expect(existsSync(`${target}-journal`)).toBe(false);
  });
});
