/**
 * `CliError`: an expected failure of a command, with a stable machine-readable `code`, the exit
 * code it ends the command with, and a message that says what to do.
 */
import { BatonError } from "@baton/client";
import { KeyEncryptionError } from "@baton/service";
import { isStoreError } from "@baton/store";
import { EXIT_CODES, type ExitCode } from "./exit-codes.ts";

/** An expected command failure. `code` is stable; `message` is for people. */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    /** Stable code: `usage`, `unreachable`, `unauthorized`, `not_found`, a service or reason code … */
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    /** Reason codes given by the service for a refused chain, when there are any. */
    readonly reasons: readonly { hop: number | null; code: string; message: string }[] = [],
  ) {
    super(message);
  }

  /** What `--json` prints on stderr for this error. */
  toJSON(): { error: { code: string; message: string; exitCode: number; reasons?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        exitCode: this.exitCode,
        ...(this.reasons.length === 0 ? {} : { reasons: this.reasons }),
      },
    };
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError("usage", message, EXIT_CODES.usage);
}

/** Turns what a command threw into a {@link CliError}; undefined for bugs (unknown errors). */
export function toCliError(error: unknown, serviceUrl?: string): CliError | undefined {
  if (error instanceof CliError) return error;
  if (error instanceof BatonError) return fromBatonError(error, serviceUrl);
  if (error instanceof KeyEncryptionError) {
    const exit = error.code === "key_corrupt" ? EXIT_CODES.refused : EXIT_CODES.usage;
    return new CliError(error.code, error.message, exit);
  }
  if (isStoreError(error)) {
    const exit = error.code === "busy" ? EXIT_CODES.unavailable : EXIT_CODES.refused;
    return new CliError(error.code, `the database refused: ${error.message}`, exit);
  }
  return undefined;
}

function fromBatonError(error: BatonError, serviceUrl: string | undefined): CliError {
  const where = serviceUrl ?? "the service";
  if (error.code === "unreachable") {
    return new CliError(
      "unreachable",
      `could not reach the Baton service at ${where}: start it with \`baton serve\`, or point --url (or BATON_URL) at it`,
      EXIT_CODES.unavailable,
    );
  }
  if (error.status === 401 && error.code === "unauthorized") {
    return new CliError(
      "unauthorized",
      `${where} refused the operator token: set BATON_OPERATOR_TOKEN to the token the service printed on its first start (or was started with)`,
      EXIT_CODES.unavailable,
    );
  }
  if (error.status === 403 && error.code === "forbidden") {
    return new CliError("forbidden", `${where} refused: ${error.message}`, EXIT_CODES.unavailable);
  }
  if (error.status >= 500 || error.code === "busy") {
    return new CliError(
      error.code,
      `${where} failed (${error.status} ${error.code}): ${error.message}; try again, and check the service's log`,
      EXIT_CODES.unavailable,
    );
  }
  return new CliError(
    error.code,
    `refused: ${error.code}: ${error.message}`,
    EXIT_CODES.refused,
    error.reasons,
  );
}
