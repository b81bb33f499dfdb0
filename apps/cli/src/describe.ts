/** How capabilities, times and outcomes read in human output. */
import { capabilityText, decisionHop, durationText } from "@baton/core";
import type { DecisionRecord } from "@baton/store";
import type { Capability } from "@baton/token";
import { printable } from "./printable.ts";
import type { Style } from "./style.ts";

/** `repo.issues.* on repo:acme/web/**` (with limits as JSON when there are any). */
export function describeCapability(cap: Capability): string {
  return printable(capabilityText(cap));
}

/** Capabilities joined with `; `. */
export function describeCapabilities(caps: readonly Capability[]): string {
  return caps.map(describeCapability).join("; ");
}

/** A duration in seconds as `1h 5m`, `10m`, `45s`. */
export function describeDuration(seconds: number): string {
  return durationText(seconds);
}

/** An absolute time as ISO-8601 to the second (UTC). */
export function isoTime(at: number): string {
  return new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A time relative to `now`: `in 10m` or `5m ago`. */
export function relativeTime(at: number, now: number): string {
  return at >= now ? `in ${describeDuration(at - now)}` : `${describeDuration(now - at)} ago`;
}

/** The first 8 characters of an id, for tables and trees (`--json` always gives the whole id). */
export function shortId(id: string): string {
  return id.length <= 10 ? id : `${id.slice(0, 8)}…`;
}

/** Who acted, for a decision row: the agent (marked when its proof did not prove it), or the operator. */
export function describeActor(decision: DecisionRecord): string {
  if (decision.agent !== null) {
    if (decision.format === 1) return `${decision.agent} (legacy row)`;
    return decision.actorProven === true ? decision.agent : `${decision.agent} (unproven)`;
  }
  const by = (decision.detail as { by?: unknown } | null)?.by;
  return by === "operator" ? "operator" : "-";
}

/** Who decided and wrote a decision row: `service`, or the reporting tool server's audience. */
export function describeReporter(decision: DecisionRecord): string {
  return decision.reporter ?? "service";
}

/** The delegation a decision row belongs under (one rule, in @baton/core). */
export { decisionHop };

/** `allow`, `deny` or `step_up`, coloured. */
export function describeDecisionOutcome(outcome: string, style: Style): string {
  if (outcome === "allow") return style.green("allow");
  if (outcome === "deny") return style.red("deny");
  return style.yellow(printable(outcome));
}
