export { MIGRATIONS_FOLDER, type MigrationEntry, readMigrationJournal } from "./migrations.ts";
export {
  isPostgresUrl,
  knownSchemaVersions,
  openPostgresStore,
  PostgresStore,
  type PostgresStoreHealth,
  type PostgresStoreOptions,
} from "./postgres-store.ts";
export { type SeedGraphOptions, type SeedGraphResult, seedPostgresGraph } from "./seed-graph.ts";
