/**
 * What narrowed from a parent hop to its child, in words: one wording of {@link compareHop}'s
 * changes for the CLI (`inspect`, the demo) and the inspector (`GET /v1/tasks/{id}` sends it with
 * each hop). Plain text; a terminal view escapes it as it escapes everything else it prints.
 */
import type { Capability } from "@baton/token";
import type { HopChange } from "./narrowing.ts";

/** `repo.issues.* on repo:acme/web/**` (with limits as JSON when there are any). */
export function capabilityText(cap: Capability): string {
  return `${cap.act} on ${cap.res}${cap.lim === undefined ? "" : ` limited by ${JSON.stringify(cap.lim)}`}`;
}

/** A duration in seconds as `1h 5m`, `10m`, `45s`. */
export function durationText(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 === 0 ? "" : ` ${s % 60}s`}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${m === 0 ? "" : ` ${m}m`}`;
}

/** One change in words: `repo.* on repo:acme/** → repo.issues.* on repo:acme/web/**`. */
export function hopChangeText(change: HopChange): string {
  switch (change.what) {
    case "cap":
      if (change.change === "not_covered")
        return `${capabilityText(change.child)} is NOT covered by the parent`;
      if (change.change === "narrowed")
        return `${capabilityText(change.parent)} → ${capabilityText(change.child)}`;
      return `dropped ${capabilityText(change.parent)}`;
    case "aud":
      return change.change === "removed"
        ? `audiences dropped: ${change.audiences.join(", ")}`
        : `audiences ADDED: ${change.audiences.join(", ")}`;
    case "exp":
    case "rvl": {
      const name = change.what === "exp" ? "expires" : "revalidate-by";
      if (change.change === "unchanged") return `${name} unchanged`;
      if (change.change === "earlier") return `${name} ${durationText(change.seconds)} earlier`;
      return `${name} ${durationText(change.seconds)} LATER than the parent's`;
    }
    case "mdp":
      return `may delegate ${change.parent} → ${change.child} more`;
  }
}

/** One change as the CLI and the inspector show it. `widening` marks what a verifier refuses. */
export interface NarrowingLine {
  readonly what: HopChange["what"];
  readonly text: string;
  readonly widening: boolean;
}

/** Every change in words, in {@link compareHop}'s order. */
export function narrowingLines(changes: readonly HopChange[]): NarrowingLine[] {
  return changes.map((change) => ({
    what: change.what,
    text: hopChangeText(change),
    widening: change.widening,
  }));
}
