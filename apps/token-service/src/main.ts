/**
 * The token service entry point: `baton-token-service [options]` (bin/) or
 * `node --conditions=source --import tsx apps/token-service/src/main.ts [options]`.
 * Reads the configuration from the environment and flags, starts the server, and shuts down
 * gracefully on SIGINT or SIGTERM.
 */
import { ConfigError, configUsage, loadConfig, startServer } from "@baton/service";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`Usage: baton-token-service [options]\n\n${configUsage()}\n`);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`baton: invalid configuration: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`baton: invalid configuration: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`baton: ${signal} received, finishing in-flight requests\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`baton: could not start: ${message}\n`);
  process.exit(1);
});
