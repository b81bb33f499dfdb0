/**
 * The PostgreSQL adapter against the store's conformance suite, on a fresh database per test.
 * `reopen` is a second pool on the same database (as a second service instance has), and the
 * crash writer is a child process on it. Skipped without BATON_TEST_POSTGRES_URL.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describeStoreConformance } from "@baton/store/conformance";
import { openPostgresStore, type PostgresStore } from "../src/index.ts";
import { createScratchDatabase, describeWithPostgres } from "./helpers/scratch-database.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WRITE_LOOP = fileURLToPath(new URL("./fixtures/write-loop.ts", import.meta.url));

describeWithPostgres("PostgresStore on a real server", () => {
  describeStoreConformance("PostgresStore", async () => {
    const database = await createScratchDatabase();
    const opened: PostgresStore[] = [await openPostgresStore(database.url, { maxConnections: 4 })];
    return {
      store: opened[0] as PostgresStore,
      reopen: async () => {
        const again = await openPostgresStore(database.url, { maxConnections: 4 });
        opened.push(again);
        return again;
      },
      // `--import tsx` resolves from the working directory: run from the repo root, where tsx lives.
      startWriter: () =>
        spawn(process.execPath, ["--conditions=source", "--import", "tsx", WRITE_LOOP, database.url], {
          cwd: REPO_ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        }),
      dispose: async () => {
        for (const store of opened) await store.close();
        await database.drop();
      },
    };
  });
});
