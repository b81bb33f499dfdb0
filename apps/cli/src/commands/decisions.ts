/** `baton decisions [--task|--agent|--did]`: the decision log, newest first. */
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { describeActor, describeReporter, isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable, printableOrEmpty } from "../printable.ts";
import { formatTable } from "../table.ts";
import { withSource } from "./with-source.ts";

export const decisions: Command = {
  name: "decisions",
  summary: "list decisions from the log, newest first, filtered by task, actor, delegation or path",
  usage: "[--task <id>] [--agent <id>] [--did <did>] [--path <did>] [--limit <n>] [--cursor <n>] [--oldest]",
  options: {
    task: { type: "string" },
    agent: { type: "string" },
    did: { type: "string" },
    path: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    oldest: { type: "boolean" },
  },
  help: [
    "Filters combine with AND. --agent is the actor (the agent that presented the chain); --did",
    "matches decisions about a delegation or made with it as the presented leaf; --path adds its",
    "ancestors and descendants. ACTOR says (unproven) when no valid proof showed the agent presented",
    "the chain; REPORTER is service, or audience:<id> for a tool server's report.",
    "A full page ends with the --cursor value for the next page.",
  ],
  async run(ctx) {
    if (ctx.args.positionals.length > 0)
      throw usageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
    const limit = ctx.integer("limit", 1, 1000) ?? 50;
    const cursor = ctx.integer("cursor", 0);
    const filter = {
      limit,
      ...(ctx.string("task") === undefined ? {} : { task: ctx.string("task") as string }),
      ...(ctx.string("agent") === undefined ? {} : { agent: ctx.string("agent") as string }),
      ...(ctx.string("did") === undefined ? {} : { did: ctx.string("did") as string }),
      ...(ctx.string("path") === undefined ? {} : { path: ctx.string("path") as string }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(ctx.args.values.oldest === true ? { order: "oldest" as const } : {}),
    };
    const page = await withSource(ctx, (source) => source.decisions(filter));
    if (ctx.json) {
      ctx.printJson(page);
      return EXIT_CODES.ok;
    }
    const { style } = ctx;
    const rows = page.items.map((d) => [
      String(d.id),
      isoTime(d.at),
      printable(d.kind),
      d.decision === "allow"
        ? style.green("allow")
        : d.decision === "deny"
          ? style.red("deny")
          : style.yellow(printable(d.decision)),
      printable(describeActor(d)),
      printable(describeReporter(d)),
      printableOrEmpty(d.audience),
      printableOrEmpty(d.action),
      printableOrEmpty(d.resource),
      printable(
        d.reasons
          .map((r) => (r.hop === null || r.hop === undefined ? r.code : `${r.code}@${r.hop}`))
          .join(","),
      ),
    ]);
    ctx.print(
      ...formatTable(
        ["ID", "AT", "KIND", "DECISION", "ACTOR", "REPORTER", "AUDIENCE", "ACTION", "RESOURCE", "REASONS"],
        rows,
      ),
    );
    if (page.next !== null) ctx.print(style.dim(`more: add --cursor ${page.next}`));
    return EXIT_CODES.ok;
  },
};
