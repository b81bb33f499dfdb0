/** Assertions on decisions: by decision kind, reason `code` and `hop`, never by message. */
import type { ReasonCode } from "@baton/token";
import { expect } from "vitest";
import type { Decision, DecisionKind } from "../src/decision.ts";

/** `[hop, code]` pairs of a decision's reasons, in order. */
export function reasonPairs(decision: Decision): [number | null, ReasonCode][] {
  return decision.reasons.map((reason) => [reason.hop, reason.code]);
}

/** The decision is `kind` and names `code` at `hop`. */
export function expectRefused(
  decision: Decision,
  code: ReasonCode,
  hop: number | null,
  kind: DecisionKind = "deny",
): void {
  expect(decision.decision).toBe(kind);
  expect(reasonPairs(decision)).toContainEqual([hop, code]);
}

/** The decision is `kind` with exactly these `[hop, code]` reasons, in any order. */
export function expectExactly(
  decision: Decision,
  pairs: [number | null, ReasonCode][],
  kind: DecisionKind = "deny",
): void {
  expect(decision.decision).toBe(kind);
  const sort = (list: [number | null, ReasonCode][]) => [...list].map((pair) => JSON.stringify(pair)).sort();
  expect(sort(reasonPairs(decision))).toEqual(sort(pairs));
}

export function expectAllowed(decision: Decision): void {
  expect(reasonPairs(decision)).toEqual([]);
  expect(decision.decision).toBe("allow");
}
