/**
 * What narrowed from one hop to the next, in words: `compareHop` and its wording from
 * @baton/core (shared with the inspector), escaped for the terminal. Anything that widened is
 * said too (a verifier will refuse it), so `inspect` explains a forged or broken chain as well as
 * a good one.
 */

import { compareHop, type NarrowingLine, narrowingLines } from "@baton/core";
import type { TokenClaims } from "@baton/token";
import { printable } from "./printable.ts";

/** One change between a parent and its child. `widening` marks what a verifier refuses. */
export type Narrowing = NarrowingLine;

/** The differences between a parent's claims and its child's, in words. */
export function describeNarrowing(parent: TokenClaims, child: TokenClaims): Narrowing[] {
  return narrowingLines(compareHop(parent, child)).map((line) => ({ ...line, text: printable(line.text) }));
}
