/** The connection's page cache: 64 MiB unless the opener says otherwise. */
import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { tempDir } from "./helpers/graph-fixture.ts";

const dirs: ReturnType<typeof tempDir>[] = [];
const stores: SqliteStore[] = [];

function open(cacheMiB?: number): SqliteStore {
  const dir = tempDir();
  dirs.push(dir);
  const store = openSqliteStore({
    path: `${dir.path}/baton.db`,
    ...(cacheMiB === undefined ? {} : { cacheMiB }),
  });
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

describe("the page cache", () => {
  test("gives a connection 64 MiB by default", () => {
    expect(open().database.pragma("cache_size", { simple: true })).toBe(-64 * 1024);
  });

  test("takes the size the opener asks for, and 0 keeps SQLite's default", () => {
    expect(open(8).database.pragma("cache_size", { simple: true })).toBe(-8 * 1024);
    const plain = new Database(":memory:");
    const buildDefault = plain.pragma("cache_size", { simple: true });
    plain.close();
    expect(buildDefault).not.toBe(-64 * 1024);
    expect(open(0).database.pragma("cache_size", { simple: true })).toBe(buildDefault);
  });

  test("refuses a size that is not a whole number of MiB up to 64 GiB", () => {
    const dir = tempDir();
    dirs.push(dir);
    for (const bad of [-1, 1.5, "64", 65_537]) {
      expect(() => openSqliteStore({ path: `${dir.path}/x.db`, cacheMiB: bad as never })).toThrow(/cacheMiB/);
    }
  });
});
