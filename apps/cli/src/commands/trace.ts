/** `baton trace <did>`: ancestors and descendants of a delegation, with the decisions under each hop. */
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { renderTrace } from "../trace-view.ts";
import { withSource } from "./with-source.ts";

export const trace: Command = {
  name: "trace",
  summary: "show a delegation's ancestors and descendants as a tree, with the decisions under each hop",
  usage: "(<did> | --did=<did>) [--db <file> | --url <url>] [--decisions <n>]",
  options: { did: { type: "string" }, decisions: { type: "string" } },
  help: [
    "A did may begin with `-`; pass it as --did=<did> (or after --) so it is not read as an option.",
    "--decisions sets how many decisions are listed under each hop (default 8).",
  ],
  async run(ctx) {
    const given = ctx.string("did");
    const [did, ...rest] = given === undefined ? ctx.args.positionals : [given, ...ctx.args.positionals];
    if (did === undefined || rest.length > 0) throw usageError("give exactly one delegation id (did)");
    const perHop = ctx.integer("decisions", 0, 1000) ?? 8;
    const result = await withSource(ctx, (source) => source.trace(did));
    if (ctx.json) ctx.printJson(result);
    else ctx.print(...renderTrace(result, { now: ctx.now(), style: ctx.style, decisionsPerHop: perHop }));
    return EXIT_CODES.ok;
  },
};
