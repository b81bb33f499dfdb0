/** Why a policy set could not be loaded. Stable codes; the message says what to fix. */
export type PolicyLoadErrorCode =
  | "policy_dir_unreadable"
  | "policy_set_empty"
  | "schema_invalid"
  | "policy_syntax"
  | "policy_schema"
  | "policy_id_missing"
  | "policy_id_duplicate"
  | "zone_invalid";

/**
 * A policy set refused at load. `file` and `line` (1-based) point at the offending text when
 * there is one, so an operator can fix a typo before the service starts serving with it.
 */
export class PolicyLoadError extends Error {
  override readonly name = "PolicyLoadError";
  readonly code: PolicyLoadErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    code: PolicyLoadErrorCode,
    message: string,
    where: { readonly file?: string; readonly line?: number; readonly column?: number } = {},
  ) {
    const at =
      where.file === undefined
        ? ""
        : `${where.file}${where.line === undefined ? "" : `:${where.line}${where.column === undefined ? "" : `:${where.column}`}`}: `;
    super(`${at}${message}`);
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }

  /** A stable JSON form for logs. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, file: this.file, line: this.line, column: this.column };
  }
}
