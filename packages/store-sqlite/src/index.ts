export { MIGRATIONS_FOLDER, type MigrationEntry, readMigrationJournal } from "./migrations.ts";
export { type SeedGraphOptions, type SeedGraphResult, seedGraph } from "./seed-graph.ts";
export {
  knownSchemaVersions,
  openSqliteStore,
  SqliteStore,
  type SqliteStoreHealth,
  type SqliteStoreOptions,
} from "./sqlite-store.ts";
