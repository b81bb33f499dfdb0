/** How capabilities, times and outcomes read in human output. */
import type { DecisionRecord } from "@baton/store";
import type { Capability } from "@baton/token";

/** `repo.issues.* on repo:acme/web/**` (with limits as JSON when there are any). */
export function describeCapability(cap: Capability): string {
  return `${cap.act} on ${cap.res}${cap.lim === undefined ? "" : ` limited by ${JSON.stringify(cap.lim)}`}`;
}

/** Capabilities joined with `; `. */
export function describeCapabilities(caps: readonly Capability[]): string {
  return caps.map(describeCapability).join("; ");
}

/** A duration in seconds as `1h 5m`, `10m`, `45s`. */
export function describeDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 === 0 ? "" : ` ${s % 60}s`}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${m === 0 ? "" : ` ${m}m`}`;
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

/**
 * The delegation a decision row belongs under in a tree: its subject `did`, else the leaf of the
 * chain it presented (a refused chain's decision belongs to the hop that presented it).
 */
export function decisionHop(decision: DecisionRecord): string | null {
  return decision.did ?? decision.chain?.at(-1)?.did ?? null;
}
