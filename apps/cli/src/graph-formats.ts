/**
 * A task's delegation graph as Mermaid, Graphviz DOT or JSON: one node per delegation (labelled
 * with its holder, status and capabilities), one edge per hop, from an `operator` node at the root.
 */
import type { DelegationRecord } from "@baton/store";
import { describeCapabilities } from "./describe.ts";
import type { TaskGraph } from "./investigation-source.ts";
import { printable } from "./printable.ts";

/** The formats `baton graph` writes. */
export const GRAPH_FORMATS = ["mermaid", "dot", "json"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

// Each part is escaped on its own: the newlines between them are the label's own line breaks.
function label(d: DelegationRecord): string {
  return `${printable(d.to)} (${printable(d.status)})\n${describeCapabilities(d.cap)}\naud: ${printable(d.aud.join(", "))}`;
}

function edges(graph: TaskGraph): { from: string | null; to: string }[] {
  const known = new Set(graph.delegations.map((d) => d.did));
  return graph.delegations.map((d) => ({
    from: d.parent !== null && known.has(d.parent) ? d.parent : null,
    to: d.did,
  }));
}

/** Mermaid flowchart text. Node ids are positional (`d0`, `d1` …) so no did needs escaping. */
export function toMermaid(graph: TaskGraph): string {
  const ids = new Map(graph.delegations.map((d, i) => [d.did, `d${i}`]));
  // Mermaid labels are quoted; a quote inside becomes an entity, a newline a <br/>.
  const text = (s: string) => s.replaceAll('"', "#quot;").replaceAll("\n", "<br/>");
  const lines = ["flowchart TD", `  operator(["operator"])`];
  for (const d of graph.delegations) lines.push(`  ${ids.get(d.did)}["${text(label(d))}"]`);
  for (const e of edges(graph))
    lines.push(`  ${e.from === null ? "operator" : ids.get(e.from)} --> ${ids.get(e.to)}`);
  const revoked = graph.delegations.filter((d) => d.status === "revoked").map((d) => ids.get(d.did));
  if (revoked.length > 0) {
    lines.push(
      "  classDef revoked stroke:#c00,stroke-dasharray:4 3,color:#900",
      `  class ${revoked.join(",")} revoked`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Graphviz DOT text. */
export function toDot(graph: TaskGraph): string {
  const quote = (s: string) =>
    `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
  const lines = [
    `digraph ${quote(`task ${printable(graph.task)}`)} {`,
    "  node [shape=box, fontname=monospace];",
    "  operator [shape=oval];",
  ];
  for (const d of graph.delegations) {
    lines.push(
      `  ${quote(printable(d.did))} [label=${quote(label(d))}${d.status === "revoked" ? ", style=dashed, color=red" : ""}];`,
    );
  }
  for (const e of edges(graph))
    lines.push(`  ${e.from === null ? "operator" : quote(printable(e.from))} -> ${quote(printable(e.to))};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** The graph as data: every delegation record, and the edges between them. */
export function toGraphJson(graph: TaskGraph): {
  task: string;
  nodes: readonly DelegationRecord[];
  edges: { from: string | null; to: string }[];
} {
  return { task: graph.task, nodes: graph.delegations, edges: edges(graph) };
}
