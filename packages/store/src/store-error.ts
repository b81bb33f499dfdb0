/**
 * The store's expected failures. Each has a stable `code` callers switch on (the token service maps
 * them to HTTP statuses) and a message that says what to do about it. A failed call writes nothing.
 */

/** Every code a {@link StoreError} can carry. Never rename one; add a new code instead. */
export const STORE_ERROR_CODES = [
  /** Bad input: a wrong type, an oversize string, a malformed id, or a graph rule broken (cycle, depth, task). */
  "invalid",
  /** A referenced agent, task, delegation, approval or key does not exist. */
  "not_found",
  /** The thing already exists, or is not in the state the operation needs (a decided approval). */
  "conflict",
  /** An agent id equal, ignoring case, to a registered one (`agent:Bob` beside `agent:bob`). */
  "agent_id_lookalike",
  /** The agent's public key is already registered to another agent, so `cnf.jkt` would not name one agent. */
  "agent_key_in_use",
  /** The delegation already has the most pending approval requests allowed; an operator must decide some first. */
  "approval_limit",
  /** The delegation, its task or one of its agents was revoked, closed or disabled. */
  "revoked",
  /** Another connection held the write lock past the busy timeout; retry shortly (nothing was written). */
  "busy",
  /** The database was migrated by a newer version of this package; upgrade the code. */
  "schema_too_new",
  /** The database's applied migrations do not match the ones this code ships. */
  "schema_mismatch",
] as const;

/** A stable, machine-readable reason a store operation was refused. */
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/** Evidence attached to a {@link StoreError}. */
export interface StoreErrorDetails {
  /** The input field at fault (`delegation.parent`, `token.jti`), when there is one. */
  readonly field?: string;
}

/**
 * An expected failure of a store operation. The store throws it (the API is synchronous and every
 * write runs in a transaction that the throw rolls back), so a caught `StoreError` always means
 * nothing was written.
 *
 * @example
 * try {
 *   store.recordHop(hop);
 * } catch (error) {
 *   if (isStoreError(error, "revoked")) return refuse("revoked");
 *   throw error;
 * }
 */
export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;
  readonly field: string | undefined;

  constructor(code: StoreErrorCode, message: string, details: StoreErrorDetails = {}) {
    super(message);
    this.code = code;
    this.field = details.field;
  }

  /** A stable JSON shape for logs and problem responses. */
  toJSON(): { code: StoreErrorCode; message: string; field?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}

/** True when `error` is a {@link StoreError}, and of `code` when one is given. */
export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
