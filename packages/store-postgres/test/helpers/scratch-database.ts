/**
 * Scratch databases for the tests, on the server `BATON_TEST_POSTGRES_URL` names (a role that may
 * CREATE DATABASE). Each test gets a fresh database cloned from a template this process migrated
 * once (`CREATE DATABASE … TEMPLATE`, much faster than migrating each), and drops it after.
 * Without the variable the suites are skipped with a console message saying how to run them.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, test } from "vitest";
import { openPostgresStore } from "../../src/index.ts";

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
  admin ??= new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2 });
  return admin;
}

/** Migrates a template database once per test process; its feed epoch is removed so each clone gets its own. */
async function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `baton_template_${process.pid}_${randomBytes(3).toString("hex")}`;
    await adminPool().query(`create database "${name}"`);
    const store = await openPostgresStore(withDatabase(TEST_POSTGRES_URL as string, name));
    await store.pool.query("delete from settings where key = 'revocation_feed_epoch'");
    await store.close();
    process.once(
      "beforeExit",
      () => void adminPool().query(`drop database if exists "${name}" with (force)`),
    );
    return name;
  })();
  return template;
}

/** A fresh, migrated, empty database. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const from = await migratedTemplate();
  const name = `baton_test_${randomBytes(6).toString("hex")}`;
  await adminPool().query(`create database "${name}" template "${from}"`);
  return {
    url: withDatabase(TEST_POSTGRES_URL as string, name),
    drop: async () => {
      await adminPool().query(`drop database if exists "${name}" with (force)`);
    },
  };
}

/** An empty database, not migrated: for the migration tests. */
export async function createEmptyDatabase(): Promise<ScratchDatabase> {
  const name = `baton_empty_${randomBytes(6).toString("hex")}`;
  await adminPool().query(`create database "${name}"`);
  return {
    url: withDatabase(TEST_POSTGRES_URL as string, name),
    drop: async () => {
      await adminPool().query(`drop database if exists "${name}" with (force)`);
    },
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
