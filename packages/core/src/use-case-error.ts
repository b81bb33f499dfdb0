/**
 * The one error a use case throws. It carries everything an adapter needs to answer and the
 * decision log needs to record: a stable `code`, the HTTP status an adapter should answer with,
 * the reasons, and (for a refusal that is a decision) the decision record, which
 * {@link recorded} appends exactly once before the error leaves the use case.
 */
import type { DecisionInput } from "@baton/store/contract";
import type { ReasonCode } from "@baton/token";
import type { Reason } from "@baton/verifier";

/** Codes of use-case errors that are not reason codes. */
export const USE_CASE_ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "unknown_audience",
  "conflict",
  "approval_limit",
  /** No status list with that number has been opened. */
  "status_list_not_found",
] as const;

/** A use-case error's stable code: a reason code, or one of {@link USE_CASE_ERROR_CODES}. */
export type UseCaseErrorCode = ReasonCode | (typeof USE_CASE_ERROR_CODES)[number];

/** The status an HTTP adapter answers a use-case error with. */
export type StatusHint = 400 | 401 | 403 | 404 | 409 | 429;

/** What a use-case error is built from. */
export interface UseCaseErrorInit {
  readonly code: UseCaseErrorCode;
  readonly status: StatusHint;
  /** What went wrong and what to do about it. */
  readonly message: string;
  readonly reasons?: readonly Reason[];
  /** The decision this refusal is; appended to the log before the error leaves the use case. */
  readonly decision?: DecisionInput;
  /** Extra members of the answer, e.g. the pending approval of a step-up. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * An expected refusal. A 401 means the presented credentials (chain or proof) were refused; the
 * adapter adds its challenge.
 */
export class UseCaseError extends Error {
  override readonly name = "UseCaseError";
  readonly code: UseCaseErrorCode;
  readonly status: StatusHint;
  readonly reasons: readonly Reason[] | undefined;
  readonly decision: DecisionInput | undefined;
  readonly extra: Readonly<Record<string, unknown>> | undefined;

  constructor(init: UseCaseErrorInit) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.reasons = init.reasons;
    this.decision = init.decision;
    this.extra = init.extra;
  }

  /** A stable serialization (the decision stays out: it is in the log). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      status: this.status,
      message: this.message,
      ...(this.reasons === undefined ? {} : { reasons: this.reasons }),
      ...(this.extra === undefined ? {} : { extra: this.extra }),
    };
  }
}

/** True when `error` is a {@link UseCaseError}, optionally with `code`. */
export function isUseCaseError(error: unknown, code?: UseCaseErrorCode): error is UseCaseError {
  return error instanceof UseCaseError && (code === undefined || error.code === code);
}

/** Shorthands for refusals that are not decisions (nothing is logged for them). */
export const refusals = {
  invalid: (message: string) => new UseCaseError({ status: 400, code: "invalid_request", message }),
  forbidden: (message: string) => new UseCaseError({ status: 403, code: "forbidden", message }),
  notFound: (message: string) => new UseCaseError({ status: 404, code: "not_found", message }),
  conflict: (message: string) => new UseCaseError({ status: 409, code: "conflict", message }),
  /** A grant names audiences no tool server was registered for: nothing could ever accept it. */
  unknownAudience: (audiences: readonly string[]) =>
    new UseCaseError({
      status: 404,
      code: "unknown_audience",
      message: `${audiences.map((a) => JSON.stringify(a)).join(", ")} ${audiences.length === 1 ? "is not a registered audience" : "are not registered audiences"}: register each tool server's audience first (POST /v1/audiences), then grant`,
      extra: { audiences },
    }),
};

/**
 * A refused chain or request about a chain: the first reason names the code and the message
 * (`hop N: …`); `decision` is the deny to log.
 */
export function chainRefusal(
  reasons: readonly Reason[],
  status: 400 | 401 | 403,
  decision?: DecisionInput,
): UseCaseError {
  const first = reasons[0];
  return new UseCaseError({
    status,
    code: first?.code ?? "unauthorized",
    message:
      first === undefined
        ? "the chain was refused"
        : `${first.hop === null ? "" : `hop ${first.hop}: `}${first.message}`,
    reasons,
    ...(decision === undefined ? {} : { decision }),
  });
}
