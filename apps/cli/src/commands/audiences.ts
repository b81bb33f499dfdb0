/** `baton audiences add`: register a tool server's audience and show its secret once. */
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";

export const audiencesAdd: Command = {
  name: "audiences add",
  summary: "register a tool server's audience (grants may name it in --aud); prints its secret once",
  usage: "<audience> [--name <text>]",
  options: { name: { type: "string" } },
  help: [
    "The secret is the tool server's bearer token for /v1/verify and /v1/decisions. The service keeps",
    "only its hash: it is printed this once and cannot be shown again.",
  ],
  async run(ctx) {
    ctx.refuseDatabaseWrite("audiences add");
    const [id, ...rest] = ctx.args.positionals;
    if (id === undefined || rest.length > 0)
      throw usageError("give exactly one audience name, e.g. repo-tool");
    const name = ctx.string("name");
    const registered = await ctx.operator().registerAudience({ id, ...(name === undefined ? {} : { name }) });
    if (ctx.json) ctx.printJson(registered);
    else
      ctx.print(
        `registered audience ${registered.id}`,
        `secret (shown once; the tool server's bearer token): ${registered.secret}`,
      );
    return EXIT_CODES.ok;
  },
};
