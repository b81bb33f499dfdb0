/**
 * The `baton` process entry: runs the command line with the real process's streams and
 * environment, and exits with the command's exit code (see exit-codes.ts).
 */
import { processIo } from "./cli-io.ts";
import { run } from "./run.ts";

const code = await run(process.argv.slice(2), processIo());
process.exit(code);
