/**
 * Decisions as files an investigator takes elsewhere (issue 22): JSON Lines (one record per
 * line, every field) and CSV (one row per decision, the fields a spreadsheet needs). The CSV is
 * safe to open in a spreadsheet: a cell that would start with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is prefixed with `'`, so no stored text is ever run as a formula.
 */
import type { DecisionRecord } from "@baton/store/contract";

/** The export formats, as `format=` and `--format` name them. */
export const EXPORT_FORMATS = ["jsonl", "csv"] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The media type of each format. */
export const EXPORT_MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = {
  jsonl: "application/jsonl; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

/** One JSON record per line, each line ending in `\n`. */
export function decisionsAsJsonLines(decisions: readonly DecisionRecord[]): string {
  return decisions.map((decision) => `${JSON.stringify(decision)}\n`).join("");
}

const CSV_COLUMNS = [
  "id",
  "at",
  "kind",
  "decision",
  "task",
  "did",
  "actor",
  "actor_proven",
  "reporter",
  "audience",
  "action",
  "resource",
  "reason_codes",
  "reason_messages",
  "hash",
] as const;

/** A cell a spreadsheet shows as text: formula starters defused, quoted when it must be. */
export function csvCell(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused;
}

function csvRow(decision: DecisionRecord): string[] {
  return [
    String(decision.id),
    new Date(decision.at * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    decision.kind,
    decision.decision,
    decision.task ?? "",
    decision.did ?? "",
    decision.agent ?? "",
    decision.actorProven === null ? "" : String(decision.actorProven),
    decision.reporter ?? "service",
    decision.audience ?? "",
    decision.action ?? "",
    decision.resource ?? "",
    decision.reasons.map((reason) => reason.code).join(" "),
    decision.reasons.map((reason) => reason.message).join(" | "),
    decision.hash,
  ];
}

/** A header row, then one row per decision; lines end in `\r\n` (RFC 4180). */
export function decisionsAsCsv(decisions: readonly DecisionRecord[]): string {
  return [CSV_COLUMNS, ...decisions.map(csvRow)].map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}

/** The decisions in `format`. */
export function exportDecisions(decisions: readonly DecisionRecord[], format: ExportFormat): string {
  return format === "csv" ? decisionsAsCsv(decisions) : decisionsAsJsonLines(decisions);
}
