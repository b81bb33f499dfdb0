/**
 * Applying the committed drizzle-kit migrations at open. drizzle's `migrate()` applies every
 * migration newer than the last one recorded and silently ignores anything it does not know, so
 * before calling it the store compares the database's record with the journal shipped here: a
 * database migrated by newer code is refused (`schema_too_new`) rather than half-understood.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type MigrationEntry, pendingMigrations } from "@baton/store/adapter-kit";

export type { MigrationEntry };

import type Database from "better-sqlite3";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";

/** The migrations this code ships: `packages/store/drizzle/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle/", import.meta.url));

/** drizzle's bookkeeping table (its default name). */
const MIGRATIONS_TABLE = "__drizzle_migrations";

/** Reads the migration journal of `folder`, in order. */
export function readMigrationJournal(folder: string = MIGRATIONS_FOLDER): MigrationEntry[] {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, "utf8")) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/** The `created_at` of every migration recorded in the database, oldest first. */
export function appliedMigrations(client: Database.Database): number[] {
  const table = client
    .prepare("select 1 from sqlite_master where type = 'table' and name = ?")
    .get(MIGRATIONS_TABLE);
  if (table === undefined) return [];
  const rows = client
    .prepare(`select created_at as createdAt from "${MIGRATIONS_TABLE}" order by created_at`)
    .all() as { createdAt: number | string }[];
  return rows.map((row) => Number(row.createdAt));
}

/**
 * Brings the database up to the newest migration in `folder` and returns that migration's tag.
 * Safe when two processes open the same new file at once: the loser's migrate fails on tables
 * that now exist, and it then finds nothing pending.
 */
export function migrateDatabase(
  db: BetterSQLite3Database<Record<string, unknown>>,
  client: Database.Database,
  folder: string = MIGRATIONS_FOLDER,
): string {
  const journal = readMigrationJournal(folder);
  const pending = pendingMigrations(appliedMigrations(client), journal, "@baton/store-sqlite");
  if (pending.length > 0) {
    try {
      migrate(db, { migrationsFolder: folder });
    } catch (error) {
      if (pendingMigrations(appliedMigrations(client), journal, "@baton/store-sqlite").length > 0)
        throw error;
    }
  }
  return schemaVersion(client, journal);
}

/** Tag of the newest migration the database has applied, or `none`. */
export function schemaVersion(client: Database.Database, journal: readonly MigrationEntry[]): string {
  const last = appliedMigrations(client).at(-1);
  return journal.find((entry) => entry.when === last)?.tag ?? "none";
}
