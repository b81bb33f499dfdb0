/**
 * Builds a database as an older build of this package would have left it: migrated only up to
 * migration `count` of the journal. Lets a test write data in an old schema and then open it with
 * the current code, which must upgrade it in place.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { MIGRATIONS_FOLDER } from "../../src/index.ts";

/** A copy of the migrations folder whose journal stops after the first `count` entries. */
export function migrationsUpTo(count: number): { folder: string; cleanup: () => void } {
  const folder = mkdtempSync(join(tmpdir(), "baton-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: unknown[] };
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, count) }));
  return { folder, cleanup: () => rmSync(folder, { recursive: true, force: true }) };
}

/** Creates `path` migrated to the first `count` migrations and returns an open raw connection. */
export function databaseAtMigration(path: string, count: number): Database.Database {
  const steps = migrationsUpTo(count);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const client = new Database(path);
    client.pragma("journal_mode = WAL");
    client.pragma("foreign_keys = ON");
    migrate(drizzle({ client }), { migrationsFolder: steps.folder });
    return client;
  } finally {
    steps.cleanup();
  }
}
