/** The SQLite adapter against the store's conformance suite, on a real database file per test. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describeStoreConformance } from "@baton/store/conformance";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { tempDir } from "./helpers/graph-fixture.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WRITE_LOOP = fileURLToPath(new URL("./fixtures/write-loop.ts", import.meta.url));

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
    // `--import tsx` resolves from the working directory: run from the repo root, where tsx lives.
    startWriter: () =>
      spawn(process.execPath, ["--conditions=source", "--import", "tsx", WRITE_LOOP, path], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    dispose: async () => {
      for (const store of opened) await store.close();
      dir.cleanup();
    },
  };
});
