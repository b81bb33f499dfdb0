/**
 * How to run `baton` again from where the user is, for the commands a message suggests: there is
 * no global `baton` on a fresh machine, but `node <path to bin/baton.js>` always works.
 */
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/baton.js", import.meta.url));

/** `node apps/cli/bin/baton.js` from the repository root; an absolute path from elsewhere. */
export function batonCommand(cwd: string = process.cwd()): string {
  const shown = relative(cwd, BIN);
  return `node ${shown.startsWith("..") || isAbsolute(shown) ? BIN : shown}`;
}
