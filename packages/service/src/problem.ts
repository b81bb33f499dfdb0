/**
 * RFC 9457 problem responses. Every error the service answers is `application/problem+json` with a
 * stable `code`: a reason code from @baton/token for chain and scope refusals, or one of the
 * service codes below. Unknown errors become `internal` with no message (their detail goes to the
 * log, never to the client).
 */
import type { ReasonCode } from "@baton/token";
import type { Reason } from "@baton/verifier";

/** Service error codes that are not reason codes. */
export const SERVICE_ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "unknown_audience",
  "conflict",
  /** An agent id equal, ignoring case, to a registered one. */
  "agent_id_lookalike",
  /** An agent key already registered to another agent. */
  "agent_key_in_use",
  /** A delegation already has the most pending step-up approval requests allowed. */
  "approval_limit",
  /** No Token Status List with that number has been opened. */
  "status_list_not_found",
  "payload_too_large",
  "unsupported_media_type",
  "busy",
  "internal",
] as const;

/** A stable `code` of a problem response: a reason code, or a service error code. */
export type ProblemCode = ReasonCode | (typeof SERVICE_ERROR_CODES)[number];

/** The status and code of an expected refusal. */
export interface ProblemInit {
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly reasons?: readonly Reason[];
  /** Extra members, e.g. the decision for a refused chain. */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Response headers, e.g. the `WWW-Authenticate` challenge of a 401 (built in challenges.ts). */
  readonly headers?: Readonly<Record<string, string>>;
}

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  429: "Too many requests",
  500: "Internal error",
};

/**
 * An expected refusal thrown from a route handler and turned into a problem response by the
 * app's error handler. Throwing keeps handlers linear; nothing has been written when it is thrown.
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly status: number;
  readonly code: ProblemCode;
  readonly reasons: readonly Reason[] | undefined;
  readonly extra: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: ProblemInit) {
    super(init.detail);
    this.status = init.status;
    this.code = init.code;
    this.reasons = init.reasons;
    this.extra = init.extra;
    this.headers = init.headers ?? {};
  }
}

/** Shorthands for the common refusals. */
export const problems = {
  invalid: (detail: string) => new ProblemError({ status: 400, code: "invalid_request", detail }),
  notFound: (detail: string) => new ProblemError({ status: 404, code: "not_found", detail }),
};

/** The JSON body of a problem response. */
export function problemBody(error: ProblemError, instance: string | undefined): Record<string, unknown> {
  return {
    type: `urn:baton:error:${error.code}`,
    title: TITLES[error.status] ?? "Error",
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.reasons === undefined ? {} : { reasons: error.reasons }),
    ...(error.extra ?? {}),
    ...(instance === undefined ? {} : { instance }),
  };
}

/** A problem response. */
export function problemResponse(
  error: ProblemError,
  requestId?: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(
    JSON.stringify(
      problemBody(error, requestId === undefined ? undefined : `urn:baton:request:${requestId}`),
    ),
    {
      status: error.status,
      headers: { "content-type": "application/problem+json", ...headers },
    },
  );
}
