/**
 * Report: decisions a tool server's verifier made offline, written to the log after the graph
 * has had its say (see {@link checkReport}). Each report is judged on its own: the good ones are
 * appended in one commit, each refused one says why.
 */
import type { DecisionInput, DelegationRecord } from "@baton/store/contract";
import type { Decision } from "@baton/verifier";
import { recorded, type UseCaseContext } from "../context.ts";
import { audienceReporter, callRecord, jsonDetail } from "../decision-records.ts";
import { checkReport } from "../report-checks.ts";
import { type ToolServerCaller, wrongAudienceMessage } from "./verify.ts";

/** One report, as the tool server's verifier sent it (validated shape). */
export interface DecisionReportEntry {
  /** When the tool server decided (seconds since the epoch). */
  readonly at: number;
  readonly audience: string;
  readonly method: string;
  readonly path: string;
  readonly pathTruncated?: boolean | undefined;
  readonly action?: string | undefined;
  readonly resource?: string | undefined;
  readonly argsDigest?: string | undefined;
  readonly decision: Decision;
}

/** A batch entry: a report to judge, or one the adapter could not even read. */
export type ReportEntry =
  | { readonly ok: true; readonly report: DecisionReportEntry }
  | { readonly ok: false; readonly code: "malformed"; readonly message: string };

/** Why the report at `index` of the batch was refused; `code` is stable. */
export interface ReportRefused {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/** How many reports were appended, and why each other one was refused (by index). */
export interface ReportOutcome {
  readonly accepted: number;
  readonly refused: readonly ReportRefused[];
}

/** Judges and appends a batch of reports on behalf of `caller`. */
export function report(
  ctx: UseCaseContext,
  caller: ToolServerCaller,
  entries: readonly ReportEntry[],
): Promise<ReportOutcome> {
  return recorded(ctx, async () => {
    const now = ctx.now();
    const refused: ReportRefused[] = [];
    const accepted: { index: number; input: DecisionInput }[] = [];
    for (const [index, entry] of entries.entries()) {
      if (!entry.ok) {
        refused.push({ index, code: entry.code, message: entry.message });
        continue;
      }
      const { report } = entry;
      if (caller.kind === "audience" && report.audience !== caller.audience) {
        refused.push({ index, code: "forbidden", message: wrongAudienceMessage(report.audience) });
        continue;
      }
      // The chain's records first, so the check itself stays a pure function of what they say.
      const records = new Map<string, DelegationRecord | undefined>();
      for (const hop of report.decision.chain) records.set(hop.did, await ctx.store.getDelegation(hop.did));
      const problem = checkReport(report.decision, report.audience, (did) => records.get(did));
      if (problem !== undefined) {
        refused.push({ index, ...problem });
        continue;
      }
      accepted.push({ index, input: reportRecord(report, now, caller) });
    }
    // Every accepted entry in one commit; the store's own checks can still refuse one alone.
    const outcomes = await ctx.appendEach(accepted.map((entry) => entry.input));
    for (const [i, outcome] of outcomes.entries()) {
      if (!outcome.ok) {
        refused.push({ index: accepted[i]?.index ?? -1, code: "malformed", message: outcome.error.message });
      }
    }
    if (refused.length > 0) {
      ctx.logger.warn({ refused: refused.length, reporter: caller }, "refused decision reports");
    }
    refused.sort((a, b) => a.index - b.index);
    return { accepted: entries.length - refused.length, refused };
  });
}

/** The log record of an accepted report: the log's clock orders rows; the tool server's goes in detail. */
function reportRecord(report: DecisionReportEntry, now: number, caller: ToolServerCaller): DecisionInput {
  return callRecord(report.decision, {
    at: now,
    kind: "report",
    reporter: audienceReporter(report.audience),
    audience: report.audience,
    ...(report.action === undefined ? {} : { action: report.action }),
    ...(report.resource === undefined ? {} : { resource: report.resource }),
    ...(report.argsDigest === undefined ? {} : { argsDigest: report.argsDigest }),
    detail: jsonDetail({
      decidedAt: report.at,
      method: report.method,
      path: report.path,
      ...(report.pathTruncated === true ? { pathTruncated: true } : {}),
      ...(caller.kind === "operator" ? { submittedBy: "operator" } : {}),
    }),
  });
}
