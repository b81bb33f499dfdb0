/**
 * How the token endpoint (`POST /oauth/token`) refuses: RFC 6749 §5.2 JSON with Baton's code in
 * `baton_code`. The code is always the one `POST /v1/delegations` would answer with for the same
 * refusal (one use case, two doors); `error` is what an OAuth client switches on. This is the one
 * place each Baton code is given its OAuth error.
 */
import { isUseCaseError, type UseCaseErrorCode } from "@baton/core";
import type { Reason } from "@baton/verifier";
import { HTTPException } from "hono/http-exception";
import { type ProblemCode, ProblemError } from "./problem.ts";

/**
 * The OAuth error codes the token endpoint answers with: RFC 6749 §5.2, RFC 8693 §2.2.2
 * (`invalid_target`), RFC 9449 §5 (`invalid_dpop_proof`), RFC 9396 §5
 * (`invalid_authorization_details`), and RFC 6749 §4.1.2.1's `server_error` and
 * `temporarily_unavailable` for a failure that is not the client's.
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_scope"
  | "invalid_target"
  | "invalid_dpop_proof"
  | "invalid_authorization_details"
  | "unsupported_grant_type"
  | "server_error"
  | "temporarily_unavailable";

/** The OAuth errors a Baton code reads as: when the presented chain or proof is refused, and when the hop asked for is. */
interface OAuthMapping {
  /**
   * The `subject_token` or its DPoP proof was refused (the use case's 401). RFC 8693 §2.2.2: a
   * subject_token that is "invalid for any reason" MUST be `invalid_request`; RFC 9449 §5: a
   * refused proof is `invalid_dpop_proof`.
   */
  readonly presented: OAuthErrorCode;
  /** The hop asked for was refused (a 400, 403, 404, 409 or 429 from the use case). */
  readonly requested: OAuthErrorCode;
  /** What to do, in each case, where the use case's message does not already say it in OAuth terms. */
  readonly hint?: { readonly presented?: string; readonly requested?: string };
}

const CHAIN_REFUSED: OAuthMapping = { presented: "invalid_request", requested: "invalid_request" };
const PROOF_REFUSED: OAuthMapping = {
  presented: "invalid_dpop_proof",
  requested: "invalid_dpop_proof",
  hint: {
    presented:
      "the proof must be signed by the subject_token's leaf holder, for POST and this token endpoint's URL",
  },
};

/**
 * Every code a delegation can be refused with, and the OAuth error it reads as. Keyed by the full
 * code union, so a new reason code does not compile until it is given its OAuth error here.
 */
export const TOKEN_ENDPOINT_ERRORS: Readonly<Record<UseCaseErrorCode, OAuthMapping>> = {
  // 1–4: the subject_token is not a chain this service issued.
  chain_too_long: CHAIN_REFUSED,
  token_too_large: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: { requested: "ask for fewer or shorter capabilities or audiences" },
  },
  malformed: CHAIN_REFUSED,
  unsupported_alg: CHAIN_REFUSED,
  bad_type: CHAIN_REFUSED,
  unknown_key: CHAIN_REFUSED,
  bad_signature: CHAIN_REFUSED,
  // 5–6: links and depth.
  chain_broken: CHAIN_REFUSED,
  delegator_mismatch: CHAIN_REFUSED,
  task_mismatch: CHAIN_REFUSED,
  depth_exceeded: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: { requested: "ask for a smaller mdp; a chain whose leaf has mdp 0 cannot delegate at all" },
  },
  // 7: attenuation. Asked for, these are the hop's scope (RFC 6749) or target (RFC 8693).
  scope_widening: {
    presented: "invalid_request",
    requested: "invalid_scope",
    hint: { requested: "ask only for capabilities the subject_token's leaf holds" },
  },
  audience_widening: {
    presented: "invalid_request",
    requested: "invalid_target",
    hint: { requested: "ask only for audiences the subject_token's leaf names" },
  },
  lifetime_widening: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: { requested: "ask for a ttl and rvi within the subject_token's leaf" },
  },
  // 8–9: time and status of the presented chain.
  not_yet_valid: CHAIN_REFUSED,
  expired: CHAIN_REFUSED,
  revalidation_due: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: { presented: "revalidate the chain (POST /v1/revalidate) and exchange the re-issued one" },
  },
  revoked: CHAIN_REFUSED,
  revocation_unknown: CHAIN_REFUSED,
  // The request against the leaf: not asked of a delegation, but mapped like its neighbours.
  audience_mismatch: { presented: "invalid_request", requested: "invalid_target" },
  action_not_permitted: { presented: "invalid_request", requested: "invalid_scope" },
  unmapped_route: CHAIN_REFUSED,
  // The proof.
  pop_missing: PROOF_REFUSED,
  pop_invalid: PROOF_REFUSED,
  pop_replayed: PROOF_REFUSED,
  pop_binding_mismatch: PROOF_REFUSED,
  // Policy: RFC 8693 §2.2.2 names a request "unacceptable based on policy" invalid_request.
  policy_denied: CHAIN_REFUSED,
  step_up_required: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: {
      requested:
        "once an operator approves it, revalidate the chain (POST /v1/revalidate) and exchange the re-issued one",
    },
  },
  internal: { presented: "server_error", requested: "server_error" },
  // Codes that are not reason codes.
  invalid_request: CHAIN_REFUSED,
  unauthorized: CHAIN_REFUSED,
  forbidden: CHAIN_REFUSED,
  not_found: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: { requested: "actor must be a registered agent id" },
  },
  unknown_audience: { presented: "invalid_target", requested: "invalid_target" },
  // Only GET /v1/status-lists/{n} answers it; mapped so that the table stays total.
  status_list_not_found: CHAIN_REFUSED,
  conflict: CHAIN_REFUSED,
  approval_limit: {
    presented: "invalid_request",
    requested: "invalid_request",
    hint: { requested: "an operator must approve or deny the pending requests first" },
  },
};

/** The status of each OAuth error: 400 (RFC 6749 §5.2) unless the fault is the service's. */
const STATUS: Readonly<Record<OAuthErrorCode, number>> = {
  invalid_request: 400,
  invalid_scope: 400,
  invalid_target: 400,
  invalid_dpop_proof: 400,
  invalid_authorization_details: 400,
  unsupported_grant_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
};

/** What a token-endpoint refusal is built from. */
export interface OAuthErrorInit {
  readonly error: OAuthErrorCode;
  /** What went wrong and what to do. */
  readonly description: string;
  /** The code `POST /v1/delegations` would give for the same refusal. */
  readonly batonCode: ProblemCode;
  readonly reasons?: readonly Reason[] | undefined;
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
}

/** A refusal at the token endpoint, thrown from its handler and answered by {@link oauthErrorResponse}. */
export class OAuthError extends Error {
  override readonly name = "OAuthError";
  readonly error: OAuthErrorCode;
  readonly batonCode: ProblemCode;
  readonly reasons: readonly Reason[] | undefined;
  readonly extra: Readonly<Record<string, unknown>> | undefined;

  constructor(init: OAuthErrorInit) {
    super(init.description);
    this.error = init.error;
    this.batonCode = init.batonCode;
    this.reasons = init.reasons;
    this.extra = init.extra;
  }

  get status(): number {
    return STATUS[this.error];
  }
}

/**
 * A refusal of the form itself, before the use case runs: `invalid_request` unless `error` says
 * otherwise, with Baton code `invalid_request`, as for a bad JSON body.
 */
export function formRefusal(description: string, error: OAuthErrorCode = "invalid_request"): OAuthError {
  return new OAuthError({ error, description, batonCode: "invalid_request" });
}

/** The OAuth error a use case's refusal reads as at the token endpoint. */
export function oauthErrorOf(code: UseCaseErrorCode, status: number): OAuthErrorCode {
  const mapping = TOKEN_ENDPOINT_ERRORS[code];
  // A 401 from the use case refuses the presented chain or its proof, never the hop asked for.
  return status === 401 ? mapping.presented : mapping.requested;
}

/** The typographic characters Baton's messages use, in ASCII. */
const ASCII_FOR: Readonly<Record<string, string>> = {
  "\u2212": "-",
  "\u2013": "-",
  "\u2014": "-",
  "\u2026": "...",
  "\u2264": "<=",
  "\u2265": ">=",
  "\u2260": "!=",
  "\u2286": "within",
  "\u00a7": "section ",
  "\u2018": "'",
  "\u2019": "'",
  "\u201c": "'",
  "\u201d": "'",
  '"': "'",
  "\\": "/",
};

// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E, so no quote, backslash or
// anything outside printable ASCII.
function descriptionText(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, (char) => ASCII_FOR[char] ?? "?").slice(0, 1024);
}

/** The code of a store refusal, recognized by shape (see app.ts). */
function storeErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== "StoreError") return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Anything thrown while answering the token endpoint, as the OAuth error to answer with; undefined
 * for an unexpected error (a bug), which the caller logs and answers as `server_error`.
 */
export function oauthErrorFrom(thrown: unknown): OAuthError | undefined {
  if (thrown instanceof OAuthError) return thrown;
  if (isUseCaseError(thrown)) {
    const error = oauthErrorOf(thrown.code, thrown.status);
    const hints = TOKEN_ENDPOINT_ERRORS[thrown.code].hint;
    const hint = thrown.status === 401 ? hints?.presented : hints?.requested;
    return new OAuthError({
      error,
      description: hint === undefined ? thrown.message : `${thrown.message}; ${hint}`,
      batonCode: thrown.code,
      reasons: thrown.reasons,
      extra: thrown.extra,
    });
  }
  // Refusals from the app's middleware (an oversized body) and the request parsing around it.
  if (thrown instanceof ProblemError && thrown.status < 500) {
    return new OAuthError({ error: "invalid_request", description: thrown.message, batonCode: thrown.code });
  }
  if (thrown instanceof HTTPException && thrown.status < 500)
    return formRefusal(thrown.message || "the request is malformed");
  if (storeErrorCode(thrown) === "busy") {
    return new OAuthError({
      error: "temporarily_unavailable",
      description: "the service is busy; nothing was issued, retry shortly",
      batonCode: "busy",
    });
  }
  return undefined;
}

/** The RFC 6749 §5.2 response for a refusal. Token responses are never cached (§5.1). */
export function oauthErrorResponse(error: OAuthError): Response {
  const body = {
    error: error.error,
    error_description: descriptionText(error.message),
    baton_code: error.batonCode,
    ...(error.reasons === undefined ? {} : { baton_reasons: error.reasons }),
    ...(error.extra === undefined ? {} : error.extra),
  };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "cache-control": "no-store",
    pragma: "no-cache",
  };
  if (error.error === "temporarily_unavailable") headers["retry-after"] = "1";
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** The answer to an unexpected error at the token endpoint: nothing about it leaves the service. */
export function oauthServerError(): OAuthError {
  return new OAuthError({ error: "server_error", description: "internal error", batonCode: "internal" });
}
