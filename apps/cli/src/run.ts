/**
 * `run(argv, io)`: the whole `baton` command line as a function. It finds the command, parses
 * its arguments, runs it, and turns every expected failure into a message on stderr and an exit
 * code (exit-codes.ts), so tests drive the CLI in-process and the bin only wires up the process.
 */

import { readFileSync } from "node:fs";
import { CliError, toCliError } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import type { Command } from "./command.ts";
import { CommandContext, parseCommandArgs } from "./command-context.ts";
import { COMMANDS } from "./commands/index.ts";
import { runServe } from "./commands/serve.ts";
import { EXIT_CODES } from "./exit-codes.ts";
import { printable, printableJson } from "./printable.ts";

const GLOBAL_HELP = [
  "options for every command:",
  "  --url <url>     the token service (default BATON_URL, then http://127.0.0.1:8787)",
  "  --db <file|url> read the service's database directly: its SQLite file or its postgres:// URL",
  "                  (read-only investigation, audit verify, keys rotate)",
  "  --json          machine-readable output on stdout; errors as JSON on stderr",
  "  --no-color      no ANSI colours (also off when NO_COLOR is set or stdout is not a terminal)",
  "environment: BATON_OPERATOR_TOKEN (the operator token; never a flag), BATON_URL",
  "exit codes: 0 ok, 1 denied / audit broken / demo outcome wrong, 2 usage, 3 service unreachable or",
  "            token refused, 4 refused by the service or database, 5 internal error",
];

/** The version of the `@baton/cli` package, from its package.json. */
export function batonVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

/** The top-level help text. */
export function usage(): string {
  const rows: [string, string][] = [
    ["serve", "run the token service (flags and BATON_* settings as the service; serve --help)"],
    ...COMMANDS.map((c): [string, string] => [c.name, c.summary]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    "usage: baton <command> [options]",
    "",
    "commands:",
    ...rows.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    "",
    ...GLOBAL_HELP,
    "",
    "`baton <command> --help` shows a command's options; `baton --version` prints the version.",
  ].join("\n");
}

function commandUsage(command: Command): string {
  return [
    `usage: baton ${command.name} ${command.usage}`,
    "",
    command.summary,
    ...(command.help ?? []),
    "",
    ...GLOBAL_HELP,
  ].join("\n");
}

function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  const [first, second] = argv;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two !== undefined) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  return one === undefined ? undefined : { command: one, rest: argv.slice(1) };
}

function report(io: CliIo, json: boolean, error: CliError): number {
  // Messages may quote what a service or a token said: escaped like every view's output.
  if (json) io.stderr.write(`${printableJson(JSON.stringify(error.toJSON()))}\n`);
  else {
    io.stderr.write(`baton: ${printable(error.message)}\n`);
    for (const reason of error.reasons) {
      io.stderr.write(
        `  ${printable(reason.code)}${reason.hop === null ? "" : ` at hop ${reason.hop}`}: ${printable(reason.message)}\n`,
      );
    }
  }
  return error.exitCode;
}

/**
 * Runs `baton` with the arguments after the program name. Resolves to the exit code; never
 * throws for expected failures (bad arguments, unreachable service, refusals).
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes("--json");
  const [first] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    const topic = first === "help" && argv[1] !== undefined ? findCommand(argv.slice(1)) : undefined;
    io.stdout.write(`${topic === undefined ? usage() : commandUsage(topic.command)}\n`);
    return EXIT_CODES.ok;
  }
  if (first === "--version" || first === "-V" || first === "version") {
    const version = batonVersion();
    io.stdout.write(json ? `${JSON.stringify({ version })}\n` : `baton ${version}\n`);
    return EXIT_CODES.ok;
  }
  let serviceUrl: string | undefined;
  try {
    if (first === "serve") return await runServe(argv.slice(1), io);
    const found = findCommand(argv);
    if (found === undefined) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
      throw new CliError(
        "usage",
        group.length > 0
          ? `\`baton ${first}\` needs a subcommand: ${group.join(", ")}`
          : `unknown command ${JSON.stringify(first)}: see \`baton help\``,
        EXIT_CODES.usage,
      );
    }
    const args = parseCommandArgs(found.rest, found.command.options);
    if (args.values.help === true) {
      io.stdout.write(`${commandUsage(found.command)}\n`);
      return EXIT_CODES.ok;
    }
    const ctx = new CommandContext(io, args);
    if (!ctx.usesDatabase()) serviceUrl = ctx.string("url") ?? io.env.BATON_URL;
    return await found.command.run(ctx);
  } catch (error) {
    const known = toCliError(error, serviceUrl);
    if (known !== undefined) return report(io, json, known);
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`baton: internal error (a bug; please report it with this output):\n${detail}\n`);
    return EXIT_CODES.internal;
  }
}
