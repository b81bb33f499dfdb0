/**
 * What narrowed from a parent hop to its child (DESIGN.md, "Re-authorizing a chain", step 7):
 * capabilities removed or narrowed, audiences dropped, lifetime and revalidation time shortened,
 * depth spent. Pure and structured, so the inspector (`GET /v1/tasks/{id}`) and the CLI
 * (`inspect`, the demo, which put it into words) share one comparison. Anything that widened is
 * reported too, marked as a widening: a verifier refuses it, and an investigator needs to see it.
 */
import { type Capability, covers } from "@baton/token";

/** The attenuable terms of a hop, as a token's claims or a stored delegation carry them. */
export interface HopTerms {
  readonly cap: readonly Capability[];
  readonly aud: readonly string[];
  readonly exp: number;
  /** Revalidate-by; compared only when both sides have one (a stored delegation does not). */
  readonly rvl?: number;
  readonly mdp: number;
}

/** One difference between a parent and its child. `widening` marks what a verifier refuses. */
export type HopChange =
  | {
      readonly what: "cap";
      readonly change: "removed";
      readonly parent: Capability;
      readonly widening: false;
    }
  | {
      readonly what: "cap";
      readonly change: "narrowed";
      readonly parent: Capability;
      readonly child: Capability;
      readonly widening: false;
    }
  | {
      readonly what: "cap";
      readonly change: "not_covered";
      readonly child: Capability;
      readonly widening: true;
    }
  | {
      readonly what: "aud";
      readonly change: "removed" | "added";
      readonly audiences: readonly string[];
      readonly widening: boolean;
    }
  | {
      readonly what: "exp" | "rvl";
      readonly change: "unchanged" | "earlier" | "later";
      /** How much earlier or later than the parent's, in seconds (0 when unchanged). */
      readonly seconds: number;
      readonly widening: boolean;
    }
  | {
      readonly what: "mdp";
      readonly change: "spent";
      readonly parent: number;
      readonly child: number;
      readonly widening: boolean;
    };

function timeChange(what: "exp" | "rvl", parent: number, child: number): HopChange {
  if (child === parent) return { what, change: "unchanged", seconds: 0, widening: false };
  if (child < parent) return { what, change: "earlier", seconds: parent - child, widening: false };
  return { what, change: "later", seconds: child - parent, widening: true };
}

/**
 * Compares a child hop with its parent. Each child capability is matched with the first parent
 * capability that covers it (`narrowed` when not identical, `not_covered` when none does); parent
 * capabilities no child capability came from are `removed`. Lifetime and depth are always listed.
 *
 * @example
 * compareHop(
 *   { cap: [{ act: "repo.*", res: "repo:acme/**" }], aud: ["repo-tool"], exp: 3600, mdp: 2 },
 *   { cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }], aud: ["repo-tool"], exp: 1800, mdp: 1 },
 * ); // cap narrowed, exp 1800 s earlier, mdp 2 → 1
 */
export function compareHop(parent: HopTerms, child: HopTerms): HopChange[] {
  const changes: HopChange[] = [];
  const used = new Set<number>();
  for (const cap of child.cap) {
    const index = parent.cap.findIndex((p) => covers(p, cap));
    const from = parent.cap[index];
    if (from === undefined) {
      changes.push({ what: "cap", change: "not_covered", child: cap, widening: true });
      continue;
    }
    used.add(index);
    if (JSON.stringify(from) !== JSON.stringify(cap))
      changes.push({ what: "cap", change: "narrowed", parent: from, child: cap, widening: false });
  }
  for (const [index, cap] of parent.cap.entries()) {
    if (!used.has(index)) changes.push({ what: "cap", change: "removed", parent: cap, widening: false });
  }
  const parentAud = new Set(parent.aud);
  const dropped = parent.aud.filter((a) => !child.aud.includes(a));
  const added = child.aud.filter((a) => !parentAud.has(a) && !parentAud.has("*"));
  if (dropped.length > 0)
    changes.push({ what: "aud", change: "removed", audiences: dropped, widening: false });
  if (added.length > 0) changes.push({ what: "aud", change: "added", audiences: added, widening: true });
  changes.push(timeChange("exp", parent.exp, child.exp));
  if (parent.rvl !== undefined && child.rvl !== undefined)
    changes.push(timeChange("rvl", parent.rvl, child.rvl));
  changes.push({
    what: "mdp",
    change: "spent",
    parent: parent.mdp,
    child: child.mdp,
    widening: child.mdp > parent.mdp - 1,
  });
  return changes;
}
