/** Aligned text tables for human output. */
import { visibleLength } from "./style.ts";

/**
 * Formats rows under a header as aligned columns (two spaces apart, the last column unpadded).
 * Cells may hold colour codes; widths are measured without them.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + " ".repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
