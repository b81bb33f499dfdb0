/** `baton revoke --did|--agent|--task`: cascade revocation through the service. */
import type { RevocationTarget } from "@baton/client";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable } from "../printable.ts";

export const revoke: Command = {
  name: "revoke",
  summary: "revoke a delegation and its subtree, everything an agent holds or made, or a whole task",
  usage: "(--did <did> | --agent <id> | --task <id>) [--reason <text>]",
  options: {
    did: { type: "string" },
    agent: { type: "string" },
    task: { type: "string" },
    reason: { type: "string" },
  },
  help: ["--agent revokes but leaves the agent registered; `baton agents disable` also shuts it out."],
  async run(ctx) {
    ctx.refuseDatabaseWrite("revoke");
    const given = (["did", "agent", "task"] as const).filter((name) => ctx.string(name) !== undefined);
    if (given.length !== 1) throw usageError("give exactly one of --did, --agent or --task");
    const kind = given[0] as "did" | "agent" | "task";
    const target = { [kind]: ctx.string(kind) } as unknown as RevocationTarget;
    const result = await ctx.operator().revoke(target, ctx.string("reason") ?? "revoked with baton revoke");
    if (ctx.json) ctx.printJson(result);
    else
      ctx.print(
        `revoked ${result.revoked.length} delegation(s)`,
        ...result.revoked.map((did) => `  ${printable(did)}`),
      );
    return EXIT_CODES.ok;
  },
};
