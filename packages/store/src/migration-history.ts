/**
 * Whether an adapter may migrate a database: its applied migrations must be a prefix of the
 * journal the adapter ships. Written once; each adapter reads its own journal and history.
 */
import { StoreError } from "./store-error.ts";

/** One migration of an adapter's journal. */
export interface MigrationEntry {
  /** File name without `.sql`, e.g. `0000_initial`. */
  readonly tag: string;
  /** Creation time in milliseconds: what drizzle records as `created_at` once applied. */
  readonly when: number;
}

/**
 * The journal entries still to apply, given the `created_at` of each applied migration (oldest
 * first). A migration newer than any shipped is `schema_too_new`; an unknown or skipped one is
 * `schema_mismatch`: the database was made by another build of `adapter` (its package name).
 */
export function pendingMigrations(
  applied: readonly number[],
  journal: readonly MigrationEntry[],
  adapter: string,
): MigrationEntry[] {
  const known = new Set(journal.map((entry) => entry.when));
  const newestKnown = journal.at(-1)?.when ?? 0;
  for (const createdAt of applied) {
    if (known.has(createdAt)) continue;
    if (createdAt > newestKnown) {
      throw new StoreError(
        "schema_too_new",
        `the database was migrated by a newer version of ${adapter} (migration of ${new Date(createdAt).toISOString()}); ` +
          "run a version of Baton at least that new, or restore a backup made for this one",
      );
    }
    throw new StoreError(
      "schema_mismatch",
      `the database has a migration (${new Date(createdAt).toISOString()}) this code does not ship; ` +
        `it was created by a different build of ${adapter}`,
    );
  }
  const appliedSet = new Set(applied);
  const lastApplied = applied.at(-1) ?? Number.NEGATIVE_INFINITY;
  const skipped = journal.find((entry) => entry.when < lastApplied && !appliedSet.has(entry.when));
  if (skipped !== undefined) {
    // drizzle would never apply it: it only runs migrations newer than the last one recorded.
    throw new StoreError(
      "schema_mismatch",
      `the database skipped migration ${skipped.tag}; it was created by a different build of ${adapter}`,
    );
  }
  return journal.filter((entry) => entry.when > lastApplied);
}
