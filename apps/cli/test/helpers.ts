/**
 * Test helpers: run the CLI in-process with captured output, and start a real token service on
 * 127.0.0.1 port 0 with a SQLite file in a temporary directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import type { CliIo } from "../src/cli-io.ts";
import { run } from "../src/run.ts";

/** An operator token for tests (24+ printable characters). */
export const OPERATOR_TOKEN = "cli-test-operator-token-0123456789";

/** What a CLI run printed and how it ended. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `baton <argv>` in-process. */
export async function baton(
  argv: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    stdin?: string;
    /** Standard input is a terminal: nothing may be read from it. */
    stdinIsTTY?: boolean;
    clock?: () => number;
  } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    ...(options.stdin === undefined ? {} : { readStdin: async () => options.stdin as string }),
    ...(options.stdinIsTTY === true
      ? {
          stdinIsTTY: true,
          readStdin: () => Promise.reject(new Error("read a terminal: it would wait for a paste")),
        }
      : {}),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the token service on a fresh database in `dir`. */
export function startService(dir: string): Promise<RunningServer> {
  const config = loadConfig(
    { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
    ["--port", "0"],
  );
  return startServer(config, { print: () => {} });
}
