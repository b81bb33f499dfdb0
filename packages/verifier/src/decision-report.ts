/**
 * The decision report a tool server sends to `POST /v1/decisions`, and the one function that turns
 * whatever a producer hands the sink into an entry the service accepts (issue 13). The service
 * checks every entry on its own; an entry it refuses is lost from the audit trail, and the path,
 * which the caller chooses, must never be the reason.
 */
import { CLAIM_LIMITS, INPUT_LIMITS } from "@baton/token";
import type { Decision, Reason } from "./decision.ts";

/** The bounds `POST /v1/decisions` holds each entry to. */
export const REPORT_LIMITS = {
  maxMethodLength: INPUT_LIMITS.maxMethodLength,
  maxPathLength: INPUT_LIMITS.maxPathLength,
  maxTargetLength: INPUT_LIMITS.maxTargetLength,
  maxMessageLength: INPUT_LIMITS.maxTextLength,
  maxReasons: INPUT_LIMITS.maxReasons,
  maxPolicies: INPUT_LIMITS.maxReasonPolicies,
  maxPolicyIdLength: INPUT_LIMITS.maxPolicyIdLength,
} as const;

/** What a producer (a gate) records: raw, as seen on the request. The sink normalizes it. */
export interface DecisionReportInput {
  /** Seconds since the epoch, from the verifier's clock. */
  readonly at: number;
  readonly audience: string;
  readonly method: string;
  readonly path: string;
  /** Absent when no gated route names the request (`unmapped_route`). */
  readonly action?: string | undefined;
  readonly resource?: string | undefined;
  /** base64url SHA-256 of the call arguments' canonical JSON (see `argsDigest`). */
  readonly argsDigest?: string | undefined;
  readonly decision: Decision;
}

/** One decision as sent to `POST /v1/decisions`: the output of `normalizeDecisionReport`. */
export interface DecisionReport {
  /** Integer seconds since the epoch, ≥ 0. */
  readonly at: number;
  readonly audience: string;
  /** 1–16 letters A–Z. */
  readonly method: string;
  /** At most 2,048 characters; controls and lone surrogates percent-escaped. */
  readonly path: string;
  /** Present (and true) when the path was cut to 2,048 characters. */
  readonly pathTruncated?: true;
  /** 1–512 characters, exactly as the call was checked; absent otherwise. */
  readonly action?: string;
  readonly resource?: string;
  readonly argsDigest?: string;
  readonly decision: Decision;
}

// C0 and C1 controls, DEL, bidi embeddings, overrides and isolates, and lone UTF-16 surrogates:
// what breaks a log line, a terminal, or SQLite's UTF-8 (which stores a lone surrogate as U+FFFD
// and so changes the hashed text, issue 13).
const UNSAFE_SOURCE =
  "[\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, "g");
const UNSAFE_ANY = new RegExp(UNSAFE_SOURCE);
const LETTERS_ONLY = /^[A-Z]+$/;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;
const NOT_A_LETTER = /[^A-Z]/g;
/** UTF-8 of U+FFFD, which is what a URL parser writes for a lone surrogate. */
const ESCAPED_REPLACEMENT = "%EF%BF%BD";

function isSurrogate(char: string): boolean {
  const unit = char.charCodeAt(0);
  return unit >= 0xd800 && unit <= 0xdfff;
}

/** Replaces every unsafe character with U+FFFD. */
function sanitizeText(text: string): string {
  return text.replace(UNSAFE_ALL, "\ufffd");
}

/** Percent-escapes every unsafe character, keeping the path readable and unambiguous. */
function escapePath(path: string): string {
  return path.replace(UNSAFE_ALL, (char) =>
    isSurrogate(char) ? ESCAPED_REPLACEMENT : encodeURIComponent(char),
  );
}

/** Cuts `text` to `max` code units without leaving half of a surrogate pair at the end. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const last = head.charCodeAt(head.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? head.slice(0, -1) : head;
}

function normalizeMethod(method: string): string {
  const upper = String(method).toUpperCase();
  if (upper.length <= REPORT_LIMITS.maxMethodLength && LETTERS_ONLY.test(upper)) return upper;
  // Methods Node parses but the grammar refuses (`M-SEARCH`) keep their letters.
  return upper.replace(NOT_A_LETTER, "").slice(0, REPORT_LIMITS.maxMethodLength) || "UNKNOWN";
}

function normalizeTime(at: number): number {
  if (!Number.isFinite(at)) return 0;
  return Math.min(Math.max(Math.floor(at), 0), CLAIM_LIMITS.maxTime);
}

/**
 * A target (action or resource) is reported only as the exact string the call was checked with:
 * one that is empty, too long or unsafe was never a valid call (the middleware denied it as
 * `unmapped_route` or `malformed`), and a shortened or repaired copy would name another target.
 */
function exactTarget(value: string | undefined): string | undefined {
  if (typeof value !== "string" || value.length === 0 || value.length > REPORT_LIMITS.maxTargetLength)
    return undefined;
  return UNSAFE_ANY.test(value) ? undefined : value;
}

function normalizeReason(reason: Reason): Reason {
  return {
    ...reason,
    message: cut(sanitizeText(reason.message), REPORT_LIMITS.maxMessageLength),
    ...(reason.policies === undefined
      ? {}
      : {
          policies: reason.policies
            .slice(0, REPORT_LIMITS.maxPolicies)
            .map((id) => cut(sanitizeText(id), REPORT_LIMITS.maxPolicyIdLength)),
        }),
  };
}

/**
 * Makes a raw report one the service accepts: `at` an integer ≥ 0; `method` 1–16 letters A–Z;
 * `path` safe and at most 2,048 characters (cut, with `pathTruncated: true`); `action` and
 * `resource` kept only when they are the exact 1–512-character strings that were checked;
 * reason messages safe and at most 1,024 characters. Every string comes out well-formed Unicode
 * with no control or bidi-override characters. Pure; never throws on a well-typed input.
 */
export function normalizeDecisionReport(input: DecisionReportInput): DecisionReport {
  const escaped = escapePath(String(input.path));
  const path = cut(escaped, REPORT_LIMITS.maxPathLength);
  const action = exactTarget(input.action);
  const resource = exactTarget(input.resource);
  return {
    at: normalizeTime(input.at),
    audience: sanitizeText(String(input.audience)),
    method: normalizeMethod(input.method),
    path,
    ...(path.length < escaped.length ? { pathTruncated: true as const } : {}),
    ...(action === undefined ? {} : { action }),
    ...(resource === undefined ? {} : { resource }),
    ...(typeof input.argsDigest === "string" && DIGEST.test(input.argsDigest)
      ? { argsDigest: input.argsDigest }
      : {}),
    decision: {
      ...input.decision,
      reasons: input.decision.reasons.slice(0, REPORT_LIMITS.maxReasons).map(normalizeReason),
    },
  };
}
