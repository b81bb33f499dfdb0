/** `baton grant`: a root grant to a planner agent for a new task. */

import { BatonError } from "@baton/client";
import { parseCapabilityArguments } from "../capability-arguments.ts";
import { CliError, usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable } from "../printable.ts";
import { batonCommand } from "../self-command.ts";

/** The service refused audiences nobody registered: say which command registers each. */
function unknownAudience(requested: readonly string[], detail: string, cwd: string | undefined): CliError {
  // The service quotes each unregistered audience in its message.
  const missing = requested.filter((aud) => detail.includes(JSON.stringify(aud)));
  const names = missing.length > 0 ? missing : ["NAME"];
  const commands = names.map((name) => `\`${batonCommand(cwd)} audiences add ${name}\``).join(", ");
  return new CliError(
    "unknown_audience",
    `refused: unknown_audience: the service has no ${names.length === 1 ? "audience" : "audiences"} ${names.join(", ")}: register ${names.length === 1 ? "it" : "each"} with ${commands} (the tool server needs the secret it prints), then grant again`,
    EXIT_CODES.refused,
  );
}

export const grant: Command = {
  name: "grant",
  summary: "grant a root delegation to an agent for a new task",
  usage:
    "--agent <id> --intent <text> --cap <action=resource>… --aud <audience>… [--task <id>] [--ttl <s>] [--rvi <s>] [--mdp <n>] [--caps-json <json>]",
  options: {
    agent: { type: "string" },
    intent: { type: "string" },
    task: { type: "string" },
    cap: { type: "string", multiple: true },
    "caps-json": { type: "string" },
    aud: { type: "string", multiple: true },
    ttl: { type: "string" },
    rvi: { type: "string" },
    mdp: { type: "string" },
  },
  help: [
    "Prints the root chain: hand it to the agent (BatonAgent's `chain`). --json prints did, jti, task and chain.",
  ],
  async run(ctx) {
    ctx.refuseDatabaseWrite("grant");
    if (ctx.args.positionals.length > 0)
      throw usageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
    const agent = ctx.required("agent", "the agent that receives the grant");
    const intent = ctx.required("intent", "what the task is for, in a sentence");
    const cap = parseCapabilityArguments(ctx.strings("cap"), ctx.string("caps-json"));
    const aud = ctx.strings("aud");
    if (aud.length === 0)
      throw usageError("--aud is required: the tool servers (audiences) the grant may be used at");
    const task = ctx.string("task");
    const ttl = ctx.integer("ttl", 1);
    const rvi = ctx.integer("rvi", 1);
    const mdp = ctx.integer("mdp", 0, 64);
    const issued = await ctx
      .operator()
      .grant({
        agent,
        task: { intent, ...(task === undefined ? {} : { id: task }) },
        cap,
        aud,
        ...(ttl === undefined ? {} : { ttl }),
        ...(rvi === undefined ? {} : { rvi }),
        ...(mdp === undefined ? {} : { mdp }),
      })
      .catch((error: unknown) => {
        throw error instanceof BatonError && error.code === "unknown_audience"
          ? unknownAudience(aud, error.message, ctx.io.cwd)
          : error;
      });
    if (ctx.json) ctx.printJson(issued);
    else
      ctx.print(
        `granted ${printable(issued.did)} to ${printable(agent)} for task ${printable(issued.task)}`,
        `chain: ${printable(issued.chain)}`,
      );
    return EXIT_CODES.ok;
  },
};
