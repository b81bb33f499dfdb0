/**
 * The results file: one section per figure group, each a table plus notes and the targets it is
 * judged against, rendered as Markdown for people and kept as JSON for tools.
 */
import { cpus, freemem, loadavg, platform, release, totalmem } from "node:os";

/** A target and whether this run met it (undefined: not measured in this run). */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** One section of the results. */
export interface Section {
  readonly id: string;
  readonly title: string;
  /** What the figures are, in a sentence or two. */
  readonly intro: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
  readonly targets: readonly TargetCheck[];
  /** Raw numbers for the JSON file. */
  readonly data: unknown;
}

/** The machine and runtime a run was taken on. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** Everything one run produced. */
export interface RunReport {
  readonly date: string;
  readonly mode: "full" | "quick";
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  readonly command: string;
  /** The PostgreSQL server measured beside SQLite, if any: its version and URL (password hidden). */
  readonly postgres?: string | undefined;
  readonly sections: readonly Section[];
  readonly skipped: readonly string[];
}

function escapeCell(cell: string): string {
  return cell.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [
    `| ${headers.map(escapeCell).join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`),
  ];
  return lines.join("\n");
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "met" : "**MISSED**";
}

/** Renders the report as Markdown. */
export function renderMarkdown(report: RunReport): string {
  const m = report.machine;
  const out: string[] = [
    "# Baton benchmark results",
    "",
    `- Date: ${report.date}`,
    `- Mode: ${report.mode}${report.mode === "quick" ? " (smoke test: few samples, small sizes; not for comparison)" : ""}`,
    `- Machine: ${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB} GiB RAM (${m.freeMemoryGiB} GiB free at start), ${m.platform}`,
    `- Node: ${m.node}`,
    `- Load average (1/5/15 min): ${m.loadAverage.join(" / ")} at start, ${report.loadAverageAtEnd.join(" / ")} at end`,
    `- Command: \`${report.command}\`, ${report.durationSeconds.toFixed(0)} s`,
    ...(report.postgres === undefined ? [] : [`- PostgreSQL: ${report.postgres}`]),
    "",
    "Times are per operation. median and p99 are over individual samples; IQR is the 25th–75th",
    "percentile range; ops/s is operations per second at the mean cost on one core. See",
    "`bench/README.md` for what each figure measures and how.",
    "",
  ];
  const targets = report.sections.flatMap((s) => s.targets.map((t) => ({ section: s.title, ...t })));
  if (targets.length > 0) {
    out.push("## Targets", "");
    out.push(
      table(
        ["section", "target", "measured", "verdict"],
        targets.map((t) => [t.section, t.target, t.measured, verdict(t.met)]),
      ),
      "",
    );
  }
  if (report.skipped.length > 0) {
    out.push("## Not run", "", ...report.skipped.map((s) => `- ${s}`), "");
  }
  for (const section of report.sections) {
    out.push(`## ${section.title}`, "", section.intro, "");
    if (section.rows.length > 0) out.push(table(section.headers, section.rows), "");
    for (const note of section.notes) out.push(`- ${note}`);
    if (section.notes.length > 0) out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
