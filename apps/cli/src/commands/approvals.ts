/** `baton approvals list|approve|deny`: step-up approvals. */
import type { ApprovalRecord } from "@baton/store";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import type { CommandContext } from "../command-context.ts";
import { isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { serviceSource, storeSource } from "../investigation-source.ts";
import { printable } from "../printable.ts";
import { formatTable } from "../table.ts";

const STATUSES = ["pending", "approved", "denied"] as const;

export const approvalsList: Command = {
  name: "approvals list",
  summary: "list step-up approval requests",
  usage: "[--status pending|approved|denied]",
  options: { status: { type: "string" } },
  async run(ctx) {
    const status = ctx.string("status");
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
      throw usageError("--status must be pending, approved or denied");
    }
    const wanted = status as ApprovalRecord["status"] | undefined;
    let items: readonly ApprovalRecord[];
    if (ctx.usesDatabase()) {
      const store = await ctx.openDatabase();
      try {
        items = await storeSource(store).approvals(wanted);
      } finally {
        await store.close();
      }
    } else {
      items = await serviceSource(ctx.operator()).approvals(wanted);
    }
    if (ctx.json) {
      ctx.printJson({ items });
      return EXIT_CODES.ok;
    }
    ctx.print(
      ...formatTable(
        ["APPROVAL", "STATUS", "AGENT", "ACTION", "RESOURCE", "EXPIRES", "REASON"],
        items.map((a) => [
          printable(a.id),
          printable(a.status),
          printable(a.agent),
          printable(a.action),
          printable(a.resource),
          isoTime(a.expiresAt),
          printable(a.reason),
        ]),
      ),
    );
    return EXIT_CODES.ok;
  },
};

function decide(decision: "approve" | "deny"): Command {
  return {
    name: `approvals ${decision}`,
    summary: `${decision} a pending step-up approval`,
    usage: "<approval-id>",
    options: {},
    async run(ctx: CommandContext) {
      ctx.refuseDatabaseWrite(`approvals ${decision}`);
      const [id, ...rest] = ctx.args.positionals;
      if (id === undefined || rest.length > 0) throw usageError("give exactly one approval id");
      const result = await ctx.operator().decideApproval(id, decision);
      if (ctx.json) ctx.printJson(result);
      else ctx.print(`${decision === "approve" ? "approved" : "denied"} ${printable(id)}`);
      return EXIT_CODES.ok;
    },
  };
}

export const approvalsApprove = decide("approve");
export const approvalsDeny = decide("deny");
