/** Box-drawing trees for human output (`baton trace`, the demo). */

/** One node: its label line, detail lines shown under it, and its children. */
export interface TreeNode {
  readonly label: string;
  readonly details?: readonly string[];
  readonly children?: readonly TreeNode[];
}

/** Renders a forest as lines with `├─`/`└─` connectors; details sit under their node's label. */
export function renderTree(roots: readonly TreeNode[], indent = ""): string[] {
  const lines: string[] = [];
  for (const [index, node] of roots.entries()) {
    const last = index === roots.length - 1;
    lines.push(`${indent}${last ? "└─ " : "├─ "}${node.label}`);
    const inner = `${indent}${last ? "   " : "│  "}`;
    const hasChildren = (node.children?.length ?? 0) > 0;
    for (const detail of node.details ?? []) lines.push(`${inner}${hasChildren ? "│ " : "  "}${detail}`);
    if (hasChildren) lines.push(...renderTree(node.children ?? [], inner));
  }
  return lines;
}
