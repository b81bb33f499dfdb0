/**
 * The decision log's hash chain. Each row's `hash` is SHA-256 over a canonical serialization of
 * all its fields and the previous row's hash, so editing a field, deleting a row or reordering
 * rows is detected by recomputing the chain from the first row. The serialization is a JSON array
 * in fixed field order (JSON.stringify of strings and integers is deterministic), with `reasons`
 * and `detail` as the exact JSON text stored, never re-serialized.
 */
import { sha256Hex } from "@baton/token";
import type { DecisionLogProblem, DecisionLogVerification } from "./store.ts";

/** `prev_hash` of the first row. */
export const GENESIS_HASH = "0".repeat(64);

/** Version tags hashed into every row, so one format can never collide with another. */
const FORMAT_TAGS = { 1: "baton.decision.v1", 2: "baton.decision.v2" } as const;

/** The row format new rows are written in. */
export const CURRENT_DECISION_FORMAT = 2;

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
  /** 1 for rows written before the actor fields existed, 2 since. */
  readonly format: number;
  /** Format 2: `service` or `audience:<id>`, who decided and wrote the row. */
  readonly reporter: string | null;
  /** Format 2: whether `agent` (the actor) was proven by a DPoP proof; stored as 0/1. */
  readonly actorProven: boolean | number | null;
  /** Format 2: base64url SHA-256 of the call arguments' canonical JSON. */
  readonly argsDigest: string | null;
  /** Format 2: the presented chain as stored JSON text (`[{did, sub, verified}]`), or null. */
  readonly chain: string | null;
}

/**
 * Hex SHA-256 of a row's canonical serialization. A row of an unknown format hashes to a value no
 * stored hash can equal, so it is reported as changed.
 */
export function decisionHash(row: DecisionRowFields): string {
  const tag = FORMAT_TAGS[row.format as 1 | 2];
  if (tag === undefined) return `unknown format ${String(row.format)}`;
  const v2 =
    row.format === 2
      ? [row.reporter, row.actorProven === null ? null : Boolean(row.actorProven), row.argsDigest, row.chain]
      : [];
  const canonical = JSON.stringify([
    tag,
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
    ...v2,
    row.prevHash,
  ]);
  return sha256Hex(canonical);
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
