/**
 * `baton serve`: the token service, with the same settings as its own entry point (flags and
 * BATON_* variables; `baton serve --help` lists them). Runs until SIGINT or SIGTERM.
 */
import { ConfigError, configUsage, loadConfig, startServer } from "@baton/service";
import { CliError } from "../cli-error.ts";
import type { CliIo } from "../cli-io.ts";
import { EXIT_CODES } from "../exit-codes.ts";

/** Usage of `baton serve`: the service's own settings table. */
export function serveUsage(): string {
  return `usage: baton serve [--db <file>] [--port <n>] [--host <addr>] [options]\n\n${configUsage()}`;
}

/** Runs the service until `io.signal` aborts. Not a {@link Command}: its flags are the service's own. */
export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${serveUsage()}\n`);
    return EXIT_CODES.ok;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env, argv);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError("usage", `invalid configuration: ${error.message}`, EXIT_CODES.usage);
    throw error;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, {
      print: (line) => io.stdout.write(`${line}\n`),
      ...(io.clock === undefined ? {} : { clock: io.clock }),
    });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError("usage", `invalid configuration: ${error.message}`, EXIT_CODES.usage);
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new CliError(
        "unavailable",
        `cannot listen on ${config.host}:${config.port} (${code}): pick another --port`,
        EXIT_CODES.unavailable,
      );
    }
    throw error;
  }
  await new Promise<void>((resolve) => {
    if (io.signal === undefined || io.signal.aborted) return resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  io.stderr.write("baton: stopping, finishing in-flight requests\n");
  await server.close();
  return EXIT_CODES.ok;
}
