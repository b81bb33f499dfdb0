/** `baton demo`: the narrated end-to-end scenario (or, with --offline, the in-memory walkthrough). */
import type { Command } from "../command.ts";
import { runDemoScenario } from "../demo/demo-scenario.ts";
import { runMcpDemoScenario } from "../demo/mcp-scenario.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { runInMemoryDemo } from "../in-memory-demo.ts";

export const demo: Command = {
  name: "demo",
  summary: "play the whole story on real HTTP in seconds: grant, hops, refusals, revocation, trace, audit",
  usage: "[--db <new-file>] [--inspect] [--offline] [--mcp] [--json]",
  options: { inspect: { type: "boolean" }, offline: { type: "boolean" }, mcp: { type: "boolean" } },
  help: [
    "Starts the token service in-process on a fresh SQLite file (default ./.baton/demo-<time>.db),",
    "two tool servers with the verifier middleware, and three agents with their own keys.",
    "--inspect keeps the service running afterwards (until Ctrl-C) and prints its URL and operator token.",
    "--offline mints and checks a chain in memory instead, without a service or a database.",
    "--mcp plays the MCP scene: an MCP SDK client calling tools through an MCP server behind @baton/mcp.",
    "Exit code 1 if any outcome is not what Baton should decide.",
  ],
  async run(ctx) {
    if (ctx.args.values.offline === true) {
      const failures = await runInMemoryDemo((line) => ctx.print(line), ctx.now());
      return failures === 0 ? EXIT_CODES.ok : EXIT_CODES.failed;
    }
    if (ctx.args.values.mcp === true) return runMcpDemoScenario(ctx);
    return runDemoScenario(ctx);
  },
};
