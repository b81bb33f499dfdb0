/** The SQLite adapter against the store's conformance suite, on a real database file per test. */
import { describeStoreConformance } from "@baton/store/conformance";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { tempDir } from "./helpers/graph-fixture.ts";

describeStoreConformance("SqliteStore", async () => {
  const dir = tempDir();
  const path = `${dir.path}/baton.db`;
  const opened: SqliteStore[] = [openSqliteStore({ path })];
  return {
    store: opened[0] as SqliteStore,
    reopen: async () => {
      const again = openSqliteStore({ path });
      opened.push(again);
      return again;
    },
    dispose: async () => {
      for (const store of opened) await store.close();
      dir.cleanup();
    },
  };
});
