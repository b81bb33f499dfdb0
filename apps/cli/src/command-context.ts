/**
 * What every command gets: its parsed arguments, output helpers, the clock, and where the data
 * is (a running service over HTTP, or a database file opened directly).
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BatonOperator } from "@baton/client";
import { type AnyStore, isPostgresUrl, openStore } from "@baton/service";
import { CliError, usageError } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { EXIT_CODES } from "./exit-codes.ts";
import { printableJson, printableLine } from "./printable.ts";
import { colourWanted, createStyle, type Style } from "./style.ts";

/** The default service URL when neither --url nor BATON_URL is given. */
export const DEFAULT_SERVICE_URL = "http://127.0.0.1:8787";

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  url: { type: "string" },
  db: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "no-color": { type: "boolean" },
} as const;

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

/** Parsed arguments: option values by name, and the positionals. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
  readonly positionals: readonly string[];
}

/** Parses a command's arguments strictly; unknown or malformed options are usage errors. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // node's messages span lines ("…ambiguous.\nDid you forget…\nTo specify… use '--did=-XYZ'"):
    // one line, so the hint is not escaped away by the printable filter.
    throw usageError(
      message
        .replace(/\. To specify a positional argument.*$/s, "")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.length > 0)
        .join(" "),
    );
  }
}

/** Everything a command runs with. */
export class CommandContext {
  readonly style: Style;
  readonly json: boolean;

  constructor(
    readonly io: CliIo,
    readonly args: ParsedArgs,
  ) {
    this.json = args.values.json === true;
    this.style = createStyle(colourWanted(io.stdout, io.env, args.values["no-color"] === true));
  }

  /** Seconds since the epoch. */
  now(): number {
    return this.io.clock?.() ?? Math.floor(Date.now() / 1000);
  }

  /**
   * Writes one line (or several) to stdout. Views escape what they print from the graph or a
   * token with `printable`; anything non-printable still left (other than the styles' colours) is
   * escaped here too, so no line can drive the terminal.
   */
  print(...lines: string[]): void {
    for (const line of lines) this.io.stdout.write(`${printableLine(line)}\n`);
  }

  /** Writes a value as JSON to stdout (for `--json`), non-printable characters as `\uXXXX`. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${printableJson(JSON.stringify(value, null, 2))}\n`);
  }

  /** A string option, or undefined. */
  string(name: string): string | undefined {
    const value = this.args.values[name];
    return typeof value === "string" ? value : undefined;
  }

  /** A repeatable string option (empty when absent). */
  strings(name: string): string[] {
    const value = this.args.values[name];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  }

  /** A string option that must be present. */
  required(name: string, what: string): string {
    const value = this.string(name);
    if (value === undefined || value === "") throw usageError(`--${name} is required: ${what}`);
    return value;
  }

  /** A positive integer option, or undefined. */
  integer(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw usageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return Number(value);
  }

  /** A path resolved against the working directory. */
  path(path: string): string {
    return isAbsolute(path) ? path : resolve(this.io.cwd ?? process.cwd(), path);
  }

  /** The service URL: --url, then BATON_URL, then the default. */
  serviceUrl(): string {
    const url = this.string("url") ?? this.io.env.BATON_URL ?? DEFAULT_SERVICE_URL;
    if (!/^https?:\/\/[^\s]+$/.test(url))
      throw usageError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
    return url.replace(/\/+$/, "");
  }

  /** True when the command should read a database file rather than call the service. */
  usesDatabase(): boolean {
    return this.string("db") !== undefined;
  }

  /**
   * An operator client for the service. The token comes from BATON_OPERATOR_TOKEN only: a flag
   * would show it to every local user through `ps`.
   */
  operator(): BatonOperator {
    const token = this.io.env.BATON_OPERATOR_TOKEN;
    if (token === undefined || token === "") {
      throw new CliError(
        "missing_token",
        "set BATON_OPERATOR_TOKEN to the operator token the service printed on its first start (it is never a flag)",
        EXIT_CODES.unavailable,
      );
    }
    return new BatonOperator({
      serviceUrl: this.serviceUrl(),
      token,
      ...(this.io.fetch === undefined ? {} : { fetch: this.io.fetch }),
    });
  }

  /** The --db location: a `postgres://` URL as given, or the file path resolved against the working directory. */
  databaseLocation(): string {
    const given = this.string("db");
    if (given === undefined) {
      throw usageError("--db is required: the service's SQLite file or its postgres:// URL");
    }
    return isPostgresUrl(given) ? given : this.path(given);
  }

  /**
   * Opens the --db database: a SQLite file, which must exist (a typo must not create an empty
   * database), or a PostgreSQL URL.
   */
  async openDatabase(): Promise<AnyStore> {
    const location = this.databaseLocation();
    if (!isPostgresUrl(location) && !existsSync(location)) {
      throw new CliError("not_found", `no database at ${location}: check --db`, EXIT_CODES.usage);
    }
    return openStore(location);
  }

  /** Refuses a write in --db mode: the database file is for read-only investigation. */
  refuseDatabaseWrite(command: string): void {
    if (this.usesDatabase()) {
      throw usageError(
        `\`baton ${command}\` changes the graph and runs against the service (--url or BATON_URL); --db is for read-only investigation`,
      );
    }
  }
}
