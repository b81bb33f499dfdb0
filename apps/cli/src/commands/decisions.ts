/** `baton decisions [--task|--agent|--did|--search] [--format]`: the decision log, newest first, or exported. */
import { EXPORT_FORMATS, type ExportFormat, exportDecisions } from "@baton/core";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { describeActor, describeReporter, isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable, printableJson, printableOrEmpty } from "../printable.ts";
import { formatTable } from "../table.ts";
import { withSource } from "./with-source.ts";

export const decisions: Command = {
  name: "decisions",
  summary:
    "list, search or export decisions from the log, newest first, filtered by task, actor, delegation or path",
  usage:
    "[--task <id>] [--agent <id>] [--did <did>] [--path <did>] [--search <query>] [--format jsonl|csv] [--limit <n>] [--cursor <n>] [--oldest]",
  options: {
    task: { type: "string" },
    agent: { type: "string" },
    did: { type: "string" },
    path: { type: "string" },
    search: { type: "string" },
    format: { type: "string" },
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
    "--search takes the inspector's search: words, and qualifiers agent:<id> code:<code> did:<did>",
    "action:<act> decision:allow|deny|step_up since:<time> until:<time> (a time is ISO 8601, epoch",
    "seconds, or an age such as 15m, 2h, 7d; `*` matches anything; quote values with spaces). It",
    "combines with --task only; write agent: and did: in the search.",
    "--format jsonl|csv writes every matching decision (oldest first, up to 10000) as JSON Lines or",
    "CSV instead of a table; CSV cells that would start a formula are prefixed with '.",
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
    const search = ctx.string("search");
    const format = ctx.string("format");
    if (format !== undefined && !(EXPORT_FORMATS as readonly string[]).includes(format))
      throw usageError(`--format must be ${EXPORT_FORMATS.join(" or ")}, got ${JSON.stringify(format)}`);
    if (search !== undefined || format !== undefined) {
      if (filter.agent !== undefined || filter.did !== undefined || filter.path !== undefined)
        throw usageError(
          "--search and --format combine with --task only: write agent:<id> or did:<did> in --search",
        );
    }
    const task = ctx.string("task");
    if (format !== undefined) {
      const all = await withSource(ctx, (source) =>
        source.searchAll({ q: search ?? "", ...(task === undefined ? {} : { task }) }),
      );
      const file = exportDecisions(all, format as ExportFormat);
      // JSON Lines keeps its meaning with escapes; a CSV is escaped only when it lands on a terminal.
      ctx.io.stdout.write(
        format === "jsonl"
          ? printableJson(file)
          : ctx.io.stdout.isTTY === true
            ? file.replace(/[^\r\n]+/g, printable)
            : file,
      );
      return EXIT_CODES.ok;
    }
    const page = await withSource(ctx, (source) =>
      search === undefined
        ? source.decisions(filter)
        : source.search({
            q: search,
            limit,
            ...(task === undefined ? {} : { task }),
            ...(cursor === undefined ? {} : { cursor }),
            ...(ctx.args.values.oldest === true ? { order: "oldest" as const } : {}),
          }),
    );
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
