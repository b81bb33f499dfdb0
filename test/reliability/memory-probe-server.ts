/**
 * The token service started exactly as `main.ts` starts it, plus an IPC channel the load suite
 * uses to ask for the process's memory after a full garbage collection (run with --expose-gc).
 * Not a test file: `test/reliability/load.test.ts` forks it.
 */
import { loadConfig, startServer } from "@baton/service";

const server = await startServer(loadConfig(process.env, []));

process.on("message", (message) => {
  if (message !== "memory") return;
  (globalThis as { gc?: () => void }).gc?.();
  process.send?.({ memory: process.memoryUsage() });
});
process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
