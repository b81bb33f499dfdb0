/** `baton tasks complete|list`. */
import type { TaskSummary } from "@baton/store";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable } from "../printable.ts";
import { formatTable } from "../table.ts";

export const tasksComplete: Command = {
  name: "tasks complete",
  summary: "close a task and revoke everything issued under it",
  usage: "<task-id>",
  options: {},
  async run(ctx) {
    ctx.refuseDatabaseWrite("tasks complete");
    const [task, ...rest] = ctx.args.positionals;
    if (task === undefined || rest.length > 0) throw usageError("give exactly one task id");
    const result = await ctx.operator().completeTask(task);
    if (ctx.json) ctx.printJson(result);
    else ctx.print(`completed ${printable(task)}; revoked ${result.revoked} delegation(s)`);
    return EXIT_CODES.ok;
  },
};

export const tasksList: Command = {
  name: "tasks list",
  summary: "list tasks with the size of their trees",
  usage: "[--status open|completed|revoked] [--limit <n>]",
  options: { status: { type: "string" }, limit: { type: "string" } },
  async run(ctx) {
    const status = ctx.string("status");
    if (status !== undefined && !["open", "completed", "revoked"].includes(status)) {
      throw usageError("--status must be open, completed or revoked");
    }
    const limit = ctx.integer("limit", 1, 1000) ?? 100;
    let tasks: readonly TaskSummary[];
    if (ctx.usesDatabase()) {
      const store = await ctx.openDatabase();
      try {
        tasks = await store.listTasks({
          limit,
          ...(status === undefined ? {} : { status: status as "open" }),
        });
      } finally {
        await store.close();
      }
    } else {
      const query = new URLSearchParams({
        limit: String(limit),
        ...(status === undefined ? {} : { status }),
      });
      tasks = (await ctx.operator().request<{ items: TaskSummary[] }>("GET", `/v1/tasks?${query}`)).items;
    }
    if (ctx.json) {
      ctx.printJson({ items: tasks });
      return EXIT_CODES.ok;
    }
    ctx.print(
      ...formatTable(
        ["TASK", "STATUS", "ROOT AGENT", "LIVE", "REVOKED", "OPENED", "INTENT"],
        tasks.map((t) => [
          printable(t.id),
          printable(t.status),
          printable(t.rootAgent),
          String(t.liveDelegations),
          String(t.revokedDelegations),
          isoTime(t.openedAt),
          printable(t.intent),
        ]),
      ),
    );
    return EXIT_CODES.ok;
  },
};
