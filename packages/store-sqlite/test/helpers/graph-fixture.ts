/**
 * Builders for the SQLite adapter's own tests: the conformance suite's fixtures, and a temporary
 * directory for database files.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export * from "@baton/store/conformance/fixtures";

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), "baton-store-"));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
