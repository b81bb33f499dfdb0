/**
 * What a command may touch of the outside world, passed in so that tests run commands in-process
 * with captured output, their own environment and a controllable clock.
 */

/** A place to write text: process.stdout, or a buffer in tests. */
export interface OutputStream {
  write(text: string): unknown;
  /** True on an interactive terminal: colour, spinners and progress bars only then. */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The command's surroundings. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (for `baton inspect -`). */
  readonly readStdin?: () => Promise<string>;
  /** True when standard input is an interactive terminal (nothing was piped in). */
  readonly stdinIsTTY?: boolean;
  readonly fetch?: typeof fetch;
  /** Seconds since the epoch. Default: the system clock. */
  readonly clock?: () => number;
  /** Aborting it stops long-running commands (`serve`, `demo --inspect`). Default: SIGINT or SIGTERM. */
  readonly signal?: AbortSignal;
  /** Directory relative paths are resolved against. Default: process.cwd(). */
  readonly cwd?: string;
}

/** The real process's streams, environment and signals. */
export function processIo(): CliIo {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort("SIGINT"));
  process.once("SIGTERM", () => controller.abort("SIGTERM"));
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString("utf8");
    },
    stdinIsTTY: process.stdin.isTTY === true,
    signal: controller.signal,
    cwd: process.cwd(),
  };
}
