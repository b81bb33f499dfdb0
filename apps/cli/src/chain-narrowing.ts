/**
 * What narrowed from one hop to the next: capabilities, audiences, lifetime, revalidation time and
 * depth, in words. Anything that widened is said too (a verifier will refuse it), so `inspect`
 * explains a forged or broken chain as well as a good one.
 */
import { covers, type TokenClaims } from "@baton/token";
import { describeCapability, describeDuration } from "./describe.ts";

/** One change between a parent and its child. `widening` marks what a verifier refuses. */
export interface Narrowing {
  readonly what: "cap" | "aud" | "exp" | "rvl" | "mdp";
  readonly text: string;
  readonly widening: boolean;
}

function timeChange(what: "exp" | "rvl", name: string, parent: number, child: number): Narrowing {
  if (child === parent) return { what, text: `${name} unchanged`, widening: false };
  if (child < parent)
    return { what, text: `${name} ${describeDuration(parent - child)} earlier`, widening: false };
  return {
    what,
    text: `${name} ${describeDuration(child - parent)} LATER than the parent's`,
    widening: true,
  };
}

/** The differences between a parent's claims and its child's, in words. */
export function describeNarrowing(parent: TokenClaims, child: TokenClaims): Narrowing[] {
  const changes: Narrowing[] = [];
  const used = new Set<number>();
  for (const cap of child.cap) {
    const index = parent.cap.findIndex((p) => covers(p, cap));
    if (index < 0) {
      changes.push({
        what: "cap",
        text: `${describeCapability(cap)} is NOT covered by the parent`,
        widening: true,
      });
      continue;
    }
    used.add(index);
    const from = parent.cap[index];
    if (from !== undefined && JSON.stringify(from) !== JSON.stringify(cap)) {
      changes.push({
        what: "cap",
        text: `${describeCapability(from)} → ${describeCapability(cap)}`,
        widening: false,
      });
    }
  }
  for (const [index, cap] of parent.cap.entries()) {
    if (!used.has(index))
      changes.push({ what: "cap", text: `dropped ${describeCapability(cap)}`, widening: false });
  }
  const parentAud = new Set(parent.aud);
  const dropped = parent.aud.filter((a) => !child.aud.includes(a));
  const added = child.aud.filter((a) => !parentAud.has(a) && !parentAud.has("*"));
  if (dropped.length > 0)
    changes.push({ what: "aud", text: `audiences dropped: ${dropped.join(", ")}`, widening: false });
  if (added.length > 0)
    changes.push({ what: "aud", text: `audiences ADDED: ${added.join(", ")}`, widening: true });
  changes.push(timeChange("exp", "expires", parent.exp, child.exp));
  changes.push(timeChange("rvl", "revalidate-by", parent.rvl, child.rvl));
  changes.push({
    what: "mdp",
    text: `may delegate ${parent.mdp} → ${child.mdp} more`,
    widening: child.mdp > parent.mdp - 1,
  });
  return changes;
}
