/**
 * The `baton` exit codes. Scripts branch on these, so they are public API: never renumber one.
 */
export const EXIT_CODES = {
  /** The command did what was asked. */
  ok: 0,
  /** A negative finding: a chain was denied, the audit log is broken, a demo outcome was wrong. */
  failed: 1,
  /** Bad arguments, an unknown command, a missing file, or a write asked of a read-only database. */
  usage: 2,
  /** The service could not be reached, or refused the operator token. */
  unavailable: 3,
  /** The service or the database refused the request (not found, conflict, invalid, widening …). */
  refused: 4,
  /** A bug in baton itself; the message says where to report it. */
  internal: 5,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
