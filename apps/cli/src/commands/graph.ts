/** `baton graph --task <id> --format mermaid|dot|json`. */
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { GRAPH_FORMATS, type GraphFormat, toDot, toGraphJson, toMermaid } from "../graph-formats.ts";
import { withSource } from "./with-source.ts";

export const graph: Command = {
  name: "graph",
  summary: "write a task's delegation graph as Mermaid, Graphviz DOT or JSON",
  usage: "--task <id> [--format mermaid|dot|json] [--db <file> | --url <url>]",
  options: { task: { type: "string" }, format: { type: "string" } },
  help: ["Default format: mermaid (paste into a Markdown file). `--json` is the same as `--format json`."],
  async run(ctx) {
    const task = ctx.required("task", "the task whose tree to draw");
    const format = (ctx.json ? "json" : (ctx.string("format") ?? "mermaid")) as GraphFormat;
    if (!GRAPH_FORMATS.includes(format))
      throw usageError(`--format must be one of ${GRAPH_FORMATS.join(", ")}`);
    const result = await withSource(ctx, (source) => source.taskGraph(task));
    if (format === "json") ctx.printJson(toGraphJson(result));
    else ctx.io.stdout.write(format === "dot" ? toDot(result) : toMermaid(result));
    return EXIT_CODES.ok;
  },
};
