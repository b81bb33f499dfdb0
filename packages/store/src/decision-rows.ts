/**
 * Reading a stored decision row back, and which delegations a decision is filed under: one rule for
 * every adapter (each stores the same columns, the JSON ones as text).
 */
import type { DecisionRowFields } from "./decision-chain.ts";
import { parseDetail } from "./input-checks.ts";
import type { DecisionRecord } from "./store.ts";

/** A decision row as an adapter reads it: the hashed fields and the hash. */
export type StoredDecisionRow = DecisionRowFields & { readonly hash: string };

/** The record of a decision row: reasons, detail and chain parsed back from their stored JSON. */
export function toDecisionRecord(row: StoredDecisionRow): DecisionRecord {
  return {
    ...row,
    decision: row.decision as DecisionRecord["decision"],
    reasons: JSON.parse(row.reasons) as DecisionRecord["reasons"],
    detail: parseDetail(row.detail),
    // SQLite stores 0/1, PostgreSQL a boolean.
    actorProven: row.actorProven === null ? null : Boolean(row.actorProven),
    chain: row.chain === null ? null : (JSON.parse(row.chain) as DecisionRecord["chain"]),
  };
}

/**
 * The delegations a decision row is filed under (its trace index): its own `did`, and the leaf of
 * the chain it presented (whose holder acted). Not every hop of the chain: a sibling's calls
 * present the shared root too, and must not fill the traces of the root's other branches.
 */
export function decisionDids(row: Pick<DecisionRowFields, "did" | "chain">): Set<string> {
  const dids = new Set<string>();
  if (row.did !== null) dids.add(row.did);
  const leaf = row.chain === null ? undefined : (JSON.parse(row.chain) as { did: string | null }[]).at(-1);
  if (leaf?.did != null) dids.add(leaf.did);
  return dids;
}
