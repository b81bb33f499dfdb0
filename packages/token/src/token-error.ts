import type { ReasonCode } from "./reason-codes.ts";

/** Evidence attached to a refusal, for investigators. Never contains secrets. */
export interface TokenErrorDetails {
  /** The claim or header parameter at fault, when there is one (`exp`, `cap[1].res`, `alg`). */
  readonly claim?: string;
  /** Index of the hop in the chain, root = 0, when the error concerns one hop. */
  readonly hop?: number;
  /**
   * What a person needs to see why (JSON values only): for `scope_widening` the child capabilities
   * no parent capability covers, for a time check the bound and `now`, and so on.
   */
  readonly evidence?: Readonly<Record<string, unknown>>;
}

/**
 * A refusal with a stable `code`. Expected failures are returned as values (`{ error }`), and this
 * class is what they carry; it is thrown only by helpers documented as throwing.
 */
export class TokenError extends Error {
  override readonly name = "TokenError";
  readonly code: ReasonCode;
  readonly claim: string | undefined;
  readonly hop: number | undefined;
  readonly evidence: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ReasonCode, message: string, details: TokenErrorDetails = {}) {
    super(message);
    this.code = code;
    this.claim = details.claim;
    this.hop = details.hop;
    this.evidence = details.evidence;
  }

  /** A one-line account for people: `hop 2: scope_widening: …`. */
  describe(): string {
    const where = this.hop === undefined ? "" : `hop ${this.hop}: `;
    return `${where}${this.code}: ${this.message}`;
  }

  toJSON(): {
    code: ReasonCode;
    message: string;
    claim?: string;
    hop?: number;
    evidence?: Readonly<Record<string, unknown>>;
  } {
    return {
      code: this.code,
      message: this.message,
      ...(this.claim === undefined ? {} : { claim: this.claim }),
      ...(this.hop === undefined ? {} : { hop: this.hop }),
      ...(this.evidence === undefined ? {} : { evidence: this.evidence }),
    };
  }
}

/** An expected outcome: a value, or the refusal that explains why there is none. */
export type Result<T, E = TokenError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
