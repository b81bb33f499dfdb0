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
import { StoreError } from "@baton/store/adapter-kit";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type pg from "pg";

/** The migrations this code ships: `packages/store-postgres/drizzle/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle/", import.meta.url));

/** drizzle's bookkeeping table (its default schema and name). */
const MIGRATIONS_TABLE = `"drizzle"."__drizzle_migrations"`;

/** The advisory lock key instances migrate under (an arbitrary constant: "baton" in ASCII). */
const MIGRATION_LOCK = 0x626174_6f6e;

/** One entry of drizzle-kit's `meta/_journal.json`. */
export interface MigrationEntry {
  /** File name without `.sql`, e.g. `0000_initial`. */
  readonly tag: string;
  /** Creation time in milliseconds: what drizzle records as `created_at` once applied. */
  readonly when: number;
}

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
 * Compares what the database has applied with `journal`, and returns the migrations still to
 * apply. Throws `schema_too_new` when the database has a migration newer than any known here, and
 * `schema_mismatch` when its history is not a prefix of this journal (an unknown or skipped one).
 */
export function pendingMigrations(
  applied: readonly number[],
  journal: readonly MigrationEntry[],
): MigrationEntry[] {
  const known = new Set(journal.map((entry) => entry.when));
  const newestKnown = journal.at(-1)?.when ?? 0;
  for (const createdAt of applied) {
    if (known.has(createdAt)) continue;
    if (createdAt > newestKnown) {
      throw new StoreError(
        "schema_too_new",
        `the database was migrated by a newer version of @baton/store-postgres (migration of ${new Date(createdAt).toISOString()}); ` +
          "run a version of Baton at least that new, or restore a backup made for this one",
      );
    }
    throw new StoreError(
      "schema_mismatch",
      `the database has a migration (${new Date(createdAt).toISOString()}) this code does not ship; ` +
        "it was created by a different build of @baton/store-postgres",
    );
  }
  const appliedSet = new Set(applied);
  const lastApplied = applied.at(-1) ?? Number.NEGATIVE_INFINITY;
  const skipped = journal.find((entry) => entry.when < lastApplied && !appliedSet.has(entry.when));
  if (skipped !== undefined) {
    // drizzle would never apply it: it only runs migrations newer than the last one recorded.
    throw new StoreError(
      "schema_mismatch",
      `the database skipped migration ${skipped.tag}; it was created by a different build of @baton/store-postgres`,
    );
  }
  return journal.filter((entry) => entry.when > lastApplied);
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
      const pending = pendingMigrations(await appliedMigrations(client), journal);
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
