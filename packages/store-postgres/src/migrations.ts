/**
 * Applying the committed drizzle-kit migrations at open. drizzle's `migrate()` applies every
 * migration newer than the last one recorded and silently ignores anything it does not know, so
 * before calling it the store compares the database's record with the journal shipped here: a
 * database migrated by newer code is refused (`schema_too_new`), one with a history this code
 * does not know (`schema_mismatch`). Instances starting together on a fresh database take turns
 * under a session advisory lock, so exactly one of them applies the migrations.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type MigrationEntry, pendingMigrations } from "@baton/store/adapter-kit";

export type { MigrationEntry };

import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type pg from "pg";

/** The migrations this code ships: `packages/store-postgres/drizzle/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle/", import.meta.url));

/** drizzle's bookkeeping table (its default schema and name). */
const MIGRATIONS_TABLE = `"drizzle"."__drizzle_migrations"`;

/** The advisory lock key instances migrate under (an arbitrary constant: "baton" in ASCII). */
const MIGRATION_LOCK = 0x626174_6f6e;

/** Reads the migration journal of `folder`, in order. */
export function readMigrationJournal(folder: string = MIGRATIONS_FOLDER): MigrationEntry[] {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, "utf8")) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/** The `created_at` of every migration recorded in the database, oldest first. */
export async function appliedMigrations(client: pg.ClientBase): Promise<number[]> {
  const table = await client.query<{ name: string | null }>("select to_regclass($1)::text as name", [
    MIGRATIONS_TABLE,
  ]);
  if (table.rows[0]?.name == null) return [];
  const rows = await client.query<{ createdAt: string | number }>(
    `select created_at as "createdAt" from ${MIGRATIONS_TABLE} order by created_at`,
  );
  return rows.rows.map((row) => Number(row.createdAt));
}

/**
 * Brings the database up to the newest migration in `folder` and returns that migration's tag,
 * holding the migration advisory lock throughout so concurrent openers take turns.
 */
export async function migrateDatabase(pool: pg.Pool, folder: string = MIGRATIONS_FOLDER): Promise<string> {
  const journal = readMigrationJournal(folder);
  const client = await pool.connect();
  // A connection dropped while held would otherwise emit an unhandled error; the query fails anyway.
  const onError = () => {};
  client.on("error", onError);
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      const pending = pendingMigrations(await appliedMigrations(client), journal, "@baton/store-postgres");
      if (pending.length > 0) await migrate(drizzle({ client }), { migrationsFolder: folder });
      const last = (await appliedMigrations(client)).at(-1);
      return journal.find((entry) => entry.when === last)?.tag ?? "none";
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.off("error", onError);
    client.release();
  }
}
