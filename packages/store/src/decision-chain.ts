/**
 * The decision log's hash chain. Each row's `hash` is SHA-256 over a canonical serialization of
 * all its fields and the previous row's hash, so editing a field, deleting a row or reordering
 * rows is detected by recomputing the chain from the first row. The serialization is a JSON array
 * in fixed field order (JSON.stringify of strings and integers is deterministic), with `reasons`
 * and `detail` as the exact JSON text stored, never re-serialized.
 */
import { createHash } from "node:crypto";
import type { DecisionLogProblem, DecisionLogVerification } from "./store.ts";

/** `prev_hash` of the first row. */
export const GENESIS_HASH = "0".repeat(64);

/** Version tag hashed into every row, so a future format can never collide with this one. */
const FORMAT = "baton.decision.v1";

/** A decision row as stored, the hashed fields only. */
export interface DecisionRowFields {
  readonly id: number;
  readonly at: number;
  readonly kind: string;
  readonly decision: string;
  readonly task: string | null;
  readonly did: string | null;
  readonly jti: string | null;
  readonly agent: string | null;
  readonly audience: string | null;
  readonly action: string | null;
  readonly resource: string | null;
  /** The stored JSON text. */
  readonly reasons: string;
  /** The stored JSON text, or null. */
  readonly detail: string | null;
  readonly prevHash: string;
}

/** Hex SHA-256 of a row's canonical serialization. */
export function decisionHash(row: DecisionRowFields): string {
  const canonical = JSON.stringify([
    FORMAT,
    row.id,
    row.at,
    row.kind,
    row.decision,
    row.task,
    row.did,
    row.jti,
    row.agent,
    row.audience,
    row.action,
    row.resource,
    row.reasons,
    row.detail,
    row.prevHash,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/** Options for {@link verifyDecisionRows}. */
export interface VerifyRowsOptions {
  /** The largest id ever handed out (`sqlite_sequence`), to detect a deleted tail. */
  readonly highestIdIssued: number;
  readonly onProgress?: (rowsChecked: number) => void;
  readonly progressEvery?: number;
}

/**
 * Walks `rows` (ordered by id) and reports the first row that breaks the chain. Ids must run
 * 1, 2, 3… without gaps, because the store hands them out that way and never deletes.
 */
export function verifyDecisionRows(
  rows: Iterable<DecisionRowFields & { readonly hash: string }>,
  options: VerifyRowsOptions,
): DecisionLogVerification {
  const every = options.progressEvery ?? 10_000;
  let expectedId = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const broken = (
    firstBrokenId: number,
    problem: DecisionLogProblem,
    reason: string,
  ): DecisionLogVerification => ({
    ok: false,
    rows: checked,
    firstBrokenId,
    problem,
    reason,
  });

  for (const row of rows) {
    if (row.id !== expectedId) {
      return broken(expectedId, "id_gap", `row ${expectedId} is missing: the next row is ${String(row.id)}`);
    }
    if (row.prevHash !== prevHash) {
      return broken(
        row.id,
        "chain_broken",
        `row ${row.id} does not follow the row before it: rows were deleted, reordered or rewritten`,
      );
    }
    const hash = decisionHash(row);
    if (hash !== row.hash) {
      return broken(row.id, "hash_mismatch", `row ${row.id} was changed after it was written`);
    }
    prevHash = hash;
    expectedId++;
    checked++;
    if (options.onProgress !== undefined && checked % every === 0) options.onProgress(checked);
  }

  if (options.highestIdIssued >= expectedId) {
    return broken(
      expectedId,
      "truncated",
      `rows ${expectedId} to ${options.highestIdIssued} were written and are gone: the log was truncated`,
    );
  }
  options.onProgress?.(checked);
  return { ok: true, rows: checked, headHash: prevHash };
}
