/**
 * What narrowed from one hop to the next, in words: `compareHop` from @baton/core (shared with
 * the inspector) put into sentences. Anything that widened is said too (a verifier will refuse
 * it), so `inspect` explains a forged or broken chain as well as a good one.
 */

import { compareHop, type HopChange } from "@baton/core";
import type { TokenClaims } from "@baton/token";
import { describeCapability, describeDuration } from "./describe.ts";
import { printable } from "./printable.ts";

/** One change between a parent and its child. `widening` marks what a verifier refuses. */
export interface Narrowing {
  readonly what: "cap" | "aud" | "exp" | "rvl" | "mdp";
  readonly text: string;
  readonly widening: boolean;
}

function sentence(change: HopChange): string {
  switch (change.what) {
    case "cap":
      if (change.change === "not_covered")
        return `${describeCapability(change.child)} is NOT covered by the parent`;
      if (change.change === "narrowed")
        return `${describeCapability(change.parent)} → ${describeCapability(change.child)}`;
      return `dropped ${describeCapability(change.parent)}`;
    case "aud":
      return change.change === "removed"
        ? `audiences dropped: ${printable(change.audiences.join(", "))}`
        : `audiences ADDED: ${printable(change.audiences.join(", "))}`;
    case "exp":
    case "rvl": {
      const name = change.what === "exp" ? "expires" : "revalidate-by";
      if (change.change === "unchanged") return `${name} unchanged`;
      if (change.change === "earlier") return `${name} ${describeDuration(change.seconds)} earlier`;
      return `${name} ${describeDuration(change.seconds)} LATER than the parent's`;
    }
    case "mdp":
      return `may delegate ${change.parent} → ${change.child} more`;
  }
}

/** The differences between a parent's claims and its child's, in words. */
export function describeNarrowing(parent: TokenClaims, child: TokenClaims): Narrowing[] {
  return compareHop(parent, child).map((change) => ({
    what: change.what,
    text: sentence(change),
    widening: change.widening,
  }));
}
