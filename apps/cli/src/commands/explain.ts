/** `baton explain <decision-id>`: why a logged decision was allowed, or where its chain failed. */
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { renderExplanation } from "../explanation-view.ts";
import { withSource } from "./with-source.ts";

export const explain: Command = {
  name: "explain",
  summary: "say why a decision was allowed (the proof, hop by hop) or denied (the first failing hop)",
  usage: "<decision-id> [--db <file> | --url <url>]",
  options: {},
  help: [
    "The decision id is the ID column of `baton decisions` (or the inspector's timeline). For an",
    "allow: each hop's capabilities with the parent capability covering them, its times against",
    "their bounds, whether it was revoked at that moment, and the policy that permitted the call.",
    "For a deny or step_up: the hops up to the first failing one, every check that failed there",
    "with its claim and evidence, and the checks not tied to a hop. --json gives the explanation",
    "as the service's GET /v1/decisions/{id}/explanation returns it.",
  ],
  async run(ctx) {
    const [given, ...rest] = ctx.args.positionals;
    if (given === undefined || rest.length > 0) throw usageError("give exactly one decision id");
    if (!/^\d{1,15}$/.test(given) || Number(given) < 1)
      throw usageError(`a decision id is a positive integer, got ${JSON.stringify(given)}`);
    const explanation = await withSource(ctx, (source) => source.explain(Number(given)));
    if (ctx.json) ctx.printJson(explanation);
    else ctx.print(...renderExplanation(explanation, ctx.style));
    return EXIT_CODES.ok;
  },
};
