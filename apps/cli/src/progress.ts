/**
 * A progress bar for long work (auditing a large log), drawn on stderr and only on a TTY, so
 * piped output and `--json` stay clean.
 */
import type { OutputStream } from "./cli-io.ts";

/** Reports progress; `done()` clears the line. */
export interface Progress {
  update(done: number): void;
  done(): void;
}

const WIDTH = 30;

/** A progress bar towards `total` on `stream`, or a no-op when the stream is not a terminal. */
export function createProgress(stream: OutputStream, label: string, total: number): Progress {
  if (stream.isTTY !== true || total <= 0) return { update: () => {}, done: () => {} };
  let drawn = false;
  return {
    update(done) {
      const ratio = Math.min(1, done / total);
      const filled = Math.round(ratio * WIDTH);
      stream.write(
        `\r${label} [${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}% (${done}/${total})`,
      );
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\u001b[2K");
    },
  };
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A spinner with a label while a promise runs; silent when the stream is not a terminal. */
export async function withSpinner<T>(stream: OutputStream, label: string, work: Promise<T>): Promise<T> {
  if (stream.isTTY !== true) return work;
  let frame = 0;
  const timer = setInterval(() => {
    stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}`);
  }, 80);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    stream.write("\r\u001b[2K");
  }
}
