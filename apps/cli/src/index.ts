export { CliError } from "./cli-error.ts";
export type { CliIo, OutputStream } from "./cli-io.ts";
export { processIo } from "./cli-io.ts";
export type { DemoOutcome, DemoSummary } from "./demo/demo-scenario.ts";
export { EXIT_CODES, type ExitCode } from "./exit-codes.ts";
export { run, usage } from "./run.ts";
