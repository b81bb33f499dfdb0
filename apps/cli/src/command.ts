/** The shape of one `baton` command, as the dispatcher and the help text see it. */
import type { CommandContext } from "./command-context.ts";

/** Option declarations in node:util parseArgs form. */
export type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

/** One command: `baton <name> …`. */
export interface Command {
  /** One or two words: `trace`, `agents add`. */
  readonly name: string;
  /** One line for `baton help`. */
  readonly summary: string;
  /** The arguments after the name, for `baton <name> --help`. */
  readonly usage: string;
  readonly options: OptionSpec;
  /** More lines for `baton <name> --help`. */
  readonly help?: readonly string[];
  /** Runs the command; resolves to its exit code. Expected failures throw a CliError. */
  run(ctx: CommandContext): Promise<number>;
}
