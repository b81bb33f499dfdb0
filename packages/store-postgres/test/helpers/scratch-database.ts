/**
 * Scratch databases for the tests, on the server `BATON_TEST_POSTGRES_URL` names (a role that may
 * CREATE DATABASE). Each test gets a fresh database cloned from a migrated template
 * (`CREATE DATABASE … TEMPLATE`, much faster than migrating each), and drops it after. The
 * template is named by a hash of the shipped migrations, built once under an advisory lock (test
 * processes run in parallel) and kept for later runs; a schema change gets a new one.
 * Without the variable the suites are skipped with a console message saying how to run them.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { describe, test } from "vitest";
import { MIGRATIONS_FOLDER, openPostgresStore } from "../../src/index.ts";

/** The server the PostgreSQL tests run against, if configured. */
export const TEST_POSTGRES_URL = process.env.BATON_TEST_POSTGRES_URL;

/** One scratch database. */
export interface ScratchDatabase {
  readonly url: string;
  /** Drops it, ending any connection still open on it (a killed writer's, say). */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

let admin: pg.Pool | undefined;
let template: Promise<string> | undefined;

function adminPool(): pg.Pool {
  if (TEST_POSTGRES_URL === undefined) throw new Error("BATON_TEST_POSTGRES_URL is not set");
  if (admin === undefined) {
    admin = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2 });
    // An idle connection the server dropped (the restart test) is replaced, not an unhandled error.
    admin.on("error", () => {});
  }
  return admin;
}

/** A short hash of every migration file and the journal: what the template's schema is. */
function migrationsHash(): string {
  const hash = createHash("sha256");
  for (const file of [
    "meta/_journal.json",
    ...readdirSync(MIGRATIONS_FOLDER)
      .filter((f) => f.endsWith(".sql"))
      .sort(),
  ]) {
    hash.update(file).update(readFileSync(`${MIGRATIONS_FOLDER}/${file}`));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The migrated template, built if no run has built it yet: under a temporary name first, renamed
 * once complete, so a run killed halfway never leaves a half-migrated template behind. Its feed
 * epoch is removed, so each clone gets its own at open.
 */
async function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    // Per role too: only the role that made a template (or a superuser) may clone it.
    const role = new URL(TEST_POSTGRES_URL as string).username.replace(/[^a-z0-9_]/gi, "_").slice(0, 16);
    const name = `baton_template_${role}_${migrationsHash()}`;
    const client = await adminPool().connect();
    try {
      await client.query("select pg_advisory_lock(hashtext($1))", [name]);
      const exists = await client.query("select 1 from pg_database where datname = $1", [name]);
      if (exists.rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`drop database if exists "${building}" with (force)`);
        await client.query(`create database "${building}"`);
        const store = await openPostgresStore(withDatabase(TEST_POSTGRES_URL as string, building));
        await store.pool.query("delete from settings where key = 'revocation_feed_epoch'");
        await store.close();
        await client.query(`alter database "${building}" rename to "${name}"`);
      }
    } finally {
      await client.query("select pg_advisory_unlock(hashtext($1))", [name]);
      client.release();
    }
    return name;
  })();
  return template;
}

/**
 * Drops a test database, ending what is still connected to it. An autovacuum worker may be busy
 * there; a role without `pg_signal_backend` cannot end it, so the drop is tried again shortly.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminPool().query(`drop database if exists "${name}" with (force)`);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A fresh, migrated, empty database. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const from = await migratedTemplate();
  const name = `baton_test_${randomBytes(6).toString("hex")}`;
  await adminPool().query(`create database "${name}" template "${from}"`);
  return {
    url: withDatabase(TEST_POSTGRES_URL as string, name),
    drop: () => dropDatabase(name),
  };
}

/** An empty database, not migrated: for the migration tests. */
export async function createEmptyDatabase(): Promise<ScratchDatabase> {
  const name = `baton_empty_${randomBytes(6).toString("hex")}`;
  await adminPool().query(`create database "${name}"`);
  return {
    url: withDatabase(TEST_POSTGRES_URL as string, name),
    drop: () => dropDatabase(name),
  };
}

/** Declares `suite` when a server is configured; otherwise a skipped placeholder and a console note. */
export function describeWithPostgres(name: string, suite: () => void): void {
  if (TEST_POSTGRES_URL !== undefined) {
    describe(name, suite);
    return;
  }
  console.warn(
    `skipping "${name}": set BATON_TEST_POSTGRES_URL to a PostgreSQL server URL (a role that may create databases) to run it; scripts/postgres-ci.sh starts one`,
  );
  describe.skip(name, () => {
    test("needs BATON_TEST_POSTGRES_URL", () => {});
  });
}
