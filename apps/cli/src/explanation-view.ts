/**
 * The human view of an explanation (`baton explain`): the question, the one-sentence answer,
 * then each hop with the parent capability covering each of its own, its time checks, its
 * revocation state at that moment and, for a refusal, every failed check with its evidence.
 */
import type { Explanation, FailedCheck, HopProof } from "@baton/core";
import { describeActor, describeDecisionOutcome, isoTime } from "./describe.ts";
import { printable } from "./printable.ts";
import type { Style } from "./style.ts";

function failedLines(check: FailedCheck, style: Style): string[] {
  const lines = [`${style.red("✗")} ${style.bold(printable(check.code))}: ${printable(check.message)}`];
  if (check.claim !== null) lines.push(`    claim: ${printable(check.claim)}`);
  if (check.evidence !== null) lines.push(`    evidence: ${printable(JSON.stringify(check.evidence))}`);
  if (check.policies.length > 0) lines.push(`    policies: ${printable(check.policies.join(", "))}`);
  return lines;
}

const mark = (ok: boolean, style: Style) => (ok ? style.green("✓") : style.red("✗"));

function hopLines(hop: HopProof, style: Style): string[] {
  const who = `${printable(hop.holder ?? "unknown holder")} ${style.dim(`from ${printable(hop.from ?? "operator")}`)}`;
  const lines = [
    `${style.bold(`hop ${hop.hop}`)} ${who}  ${hop.ok ? style.green("passed") : style.red("failed")}${hop.did === null ? "" : style.dim(`  did ${printable(hop.did)}${hop.version === null ? "" : ` v${hop.version}`}`)}`,
  ];
  for (const coverage of hop.coverage)
    lines.push(`  ${mark(coverage.ok, style)} ${printable(coverage.text)}`);
  for (const time of hop.times) lines.push(`  ${mark(time.ok, style)} ${printable(time.text)}`);
  if (hop.revocation !== null)
    lines.push(`  ${mark(hop.revocation.state !== "revoked", style)} ${printable(hop.revocation.text)}`);
  if (hop.did !== null && hop.coverage.length === 0 && hop.times.length === 0)
    lines.push(`  ${style.yellow("?")} the graph does not know this delegation`);
  for (const check of hop.failed) lines.push(...failedLines(check, style).map((line) => `  ${line}`));
  return lines;
}

/** Renders `explanation` as lines. */
export function renderExplanation(explanation: Explanation, style: Style): string[] {
  const { decision } = explanation;
  const what = [decision.kind, decision.action, decision.resource === null ? null : `on ${decision.resource}`]
    .filter((part) => part !== null)
    .join(" ");
  const lines = [
    style.bold(explanation.question),
    `decision ${decision.id}: ${describeDecisionOutcome(decision.decision, style)} ${printable(what)} ${style.dim(`actor ${printable(describeActor(decision))} · ${isoTime(decision.at)}`)}`,
    printable(explanation.summary),
    "",
  ];
  for (const hop of explanation.hops) lines.push(...hopLines(hop, style));
  if (explanation.chainFailures.length > 0) {
    lines.push(style.bold("checks not tied to a hop"));
    for (const check of explanation.chainFailures)
      lines.push(...failedLines(check, style).map((l) => `  ${l}`));
  }
  lines.push(`policy: ${printable(explanation.policyText)}`);
  if (explanation.task !== null)
    lines.push(
      style.dim(
        `task ${printable(explanation.task.id)} is ${printable(explanation.task.status)}${explanation.task.closedAt === null ? "" : ` since ${isoTime(explanation.task.closedAt)}`}`,
      ),
    );
  return lines;
}
