/**
 * Boundary checks for store inputs. Callers are TypeScript, but the values often come straight
 * from JSON bodies, so every check looks at the runtime type too. A failed check throws
 * `StoreError("invalid")` naming the field, before any statement runs.
 */
import {
  type Capability,
  CLAIM_LIMITS,
  DEFAULT_MAX_TOKEN_BYTES,
  INPUT_LIMITS,
  isAgentId,
  isAudience,
  isBase64urlOfLength,
  isDelegationId,
  isRandomId,
  isTaskId,
  parseCapability,
  TASK_HOURS_CLOCK_TIME,
} from "@baton/token";
import { CURRENT_DECISION_FORMAT, type DecisionRowFields } from "./decision-chain.ts";
import type { DecisionDetail, DecisionReason, TaskHours } from "./store.ts";
import { StoreError } from "./store-error.ts";

/** Longest free text (intent, reason, message) the store keeps. */
export const MAX_TEXT_LENGTH = INPUT_LIMITS.maxTextLength;
/** Longest short name (display name, owner, operator). */
export const MAX_NAME_LENGTH = INPUT_LIMITS.maxNameLength;
/** Largest serialized decision `detail`. */
export const MAX_DETAIL_BYTES = 16 * 1024;
/** Most reasons on one decision. */
export const MAX_REASONS = INPUT_LIMITS.maxReasons;
/** Longest setting value. */
/** The most decisions one append call takes. */
export const MAX_DECISION_BATCH = INPUT_LIMITS.maxDecisionBatch;
/** The most delegation ids one `chainStatus` call takes. */
export const MAX_CHAIN_STATUS_DIDS = INPUT_LIMITS.maxChainEntries;

export const MAX_SETTING_BYTES = 64 * 1024;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REASON_CODE = /^[a-z][a-z0-9_]{0,63}$/;
const DECISION_KIND = /^[a-z][a-z0-9_]{0,31}$/;
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const SETTING_KEY = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SECRET_HASH = /^[\x21-\x7e]{16,256}$/;
// Control characters other than tab and newline have no business in stored text and confuse logs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// What free text may not hold: C0 and C1 controls (ESC, CSI U+009B and OSC U+009D rewrite a
// terminal), DEL, line and paragraph breaks, and the bidirectional marks, embeddings, overrides
// and isolates that reorder what a reader sees ("Trojan Source", CVE-2021-42574). Issue 14.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_IN_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/**
 * Why a text may not be stored: `ill_formed` when it is not well-formed Unicode (a lone UTF-16
 * surrogate, which SQLite would store as U+FFFD, so what was hashed is not what is read back:
 * issue 13), `control` when it holds a control, line-break or bidi-control character (issue 14).
 * Undefined when it may be stored. The token service's request schemas use this same check.
 */
export function textProblem(value: string): "ill_formed" | "control" | undefined {
  if (!value.isWellFormed()) return "ill_formed";
  if (UNSAFE_IN_TEXT.test(value)) return "control";
  return undefined;
}

/** What {@link textProblem}'s answers mean, as a field's error message says it. */
export const TEXT_PROBLEM_MESSAGES = {
  ill_formed: "must be well-formed Unicode (a lone UTF-16 surrogate is not)",
  control:
    "must not contain control characters, line breaks or bidirectional-text controls (U+0000-U+001F, U+007F-U+009F, U+061C, U+200E, U+200F, U+2028-U+202E, U+2066-U+2069)",
} as const;

/** The `invalid` error for `field`, also used for graph rules checked after the shape checks. */
export function invalidInput(field: string, message: string): StoreError {
  return new StoreError("invalid", `${field}: ${message}`, { field });
}

const invalid = invalidInput;

/** An agent id: `agent:name` or a SPIFFE ID. */
export function checkAgentId(value: unknown, field: string): string {
  if (!isAgentId(value))
    throw invalid(field, "must be an agent id (agent:name or spiffe://…), at most 255 characters");
  return value;
}

/** A task id. */
export function checkTaskId(value: unknown, field: string): string {
  if (!isTaskId(value)) throw invalid(field, "must be a task id of [A-Za-z0-9._:-], at most 128 characters");
  return value;
}

/** A `jti`: 16 random bytes in canonical base64url. */
export function checkRandomId(value: unknown, field: string): string {
  if (!isRandomId(value))
    throw invalid(field, "must be 16 random bytes in canonical base64url (22 characters)");
  return value;
}

/** A delegation id (`did`): 12 random bytes in canonical base64url, or 16 as issued before. */
export function checkDelegationId(value: unknown, field: string): string {
  if (!isDelegationId(value))
    throw invalid(
      field,
      "must be a delegation id: 12 or 16 random bytes in canonical base64url (16 or 22 characters)",
    );
  return value;
}

/** A base64url SHA-256 digest (`prf`, `jkt`). */
export function checkDigest(value: unknown, field: string): string {
  if (typeof value !== "string" || !isBase64urlOfLength(value, 32)) {
    throw invalid(field, "must be a base64url SHA-256 digest (43 characters)");
  }
  return value;
}

/** Integer seconds since the epoch, within the token format's range. */
export function checkTime(value: unknown, field: string): number {
  if (
    typeof value !== "number" ||
    !Number.isSafeInteger(value) ||
    value < 0 ||
    value > CLAIM_LIMITS.maxTime
  ) {
    throw invalid(field, "must be an integer number of seconds since the epoch");
  }
  return value;
}

/** A non-negative integer up to `max`. */
export function checkCount(value: unknown, field: string, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw invalid(field, `must be an integer from 0 to ${max}`);
  }
  return value;
}

/**
 * Free text: a string of 1 to `max` characters, well-formed Unicode, without control, line-break
 * or bidi-control characters ({@link textProblem}). Every text column the store writes goes
 * through here, so the check is made once for every write path.
 */
export function checkText(value: unknown, field: string, max: number = MAX_TEXT_LENGTH): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw invalid(field, `must be a string of 1 to ${max} characters`);
  }
  const problem = textProblem(value);
  if (problem !== undefined) throw invalid(field, TEXT_PROBLEM_MESSAGES[problem]);
  return value;
}

/** Optional free text: undefined becomes null. */
export function checkOptionalText(
  value: unknown,
  field: string,
  max: number = MAX_TEXT_LENGTH,
): string | null {
  return value === undefined ? null : checkText(value, field, max);
}

/** A non-empty list of canonical capabilities, as the token format allows. */
export function checkCapabilities(value: unknown, field: string): Capability[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > CLAIM_LIMITS.maxCapabilities) {
    throw invalid(field, `must be an array of 1 to ${CLAIM_LIMITS.maxCapabilities} capabilities`);
  }
  return value.map((raw, i) => {
    const parsed = parseCapability(raw, `${field}[${i}]`);
    if (!parsed.ok) throw invalid(`${field}[${i}]`, parsed.error.message);
    return parsed.value;
  });
}

/** A non-empty list of distinct audiences. */
export function checkAudiences(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > CLAIM_LIMITS.maxAudiences) {
    throw invalid(field, `must be an array of 1 to ${CLAIM_LIMITS.maxAudiences} audiences`);
  }
  if (!value.every(isAudience) || new Set(value).size !== value.length) {
    throw invalid(field, "entries must be distinct audience names or *");
  }
  return value;
}

/** One audience name, `*` excluded: a tool server registers a concrete name. */
export function checkAudienceName(value: unknown, field: string): string {
  if (value === "*" || !isAudience(value)) throw invalid(field, "must be an audience name (not *)");
  return value;
}

/** A compact JWS of at most 8 KiB. The store keeps it opaque; the service signed it. */
export function checkCompactToken(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length > DEFAULT_MAX_TOKEN_BYTES || !COMPACT_JWS.test(value)) {
    throw invalid(field, `must be a compact JWS of at most ${DEFAULT_MAX_TOKEN_BYTES} characters`);
  }
  return value;
}

/** An approval id, as it travels in a token's `apv`. */
export function checkApprovalId(value: unknown, field: string): string {
  if (typeof value !== "string" || !APPROVAL_ID.test(value))
    throw invalid(field, "must match [A-Za-z0-9_-]{1,64}");
  return value;
}

/** A signing key id. */
export function checkKeyId(value: unknown, field: string): string {
  if (typeof value !== "string" || !KEY_ID.test(value))
    throw invalid(field, "must match [A-Za-z0-9._~-]{1,128}");
  return value;
}

/** A setting name. */
export function checkSettingKey(value: unknown, field: string): string {
  if (typeof value !== "string" || !SETTING_KEY.test(value))
    throw invalid(field, "must match [a-z0-9][a-z0-9_.:-]{0,63}");
  return value;
}

/** A setting value: any string up to 64 KiB. */
export function checkSettingValue(value: unknown, field: string): string {
  if (typeof value !== "string" || Buffer.byteLength(value) > MAX_SETTING_BYTES) {
    throw invalid(field, `must be a string of at most ${MAX_SETTING_BYTES} bytes`);
  }
  if (!value.isWellFormed()) throw invalid(field, TEXT_PROBLEM_MESSAGES.ill_formed);
  return value;
}

/** Standard base64 (PKCS#8 DER of a private key), at most 4096 characters. */
export function checkBase64(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length > 4096 || value.length % 4 !== 0 || !BASE64.test(value)) {
    throw invalid(field, "must be standard padded base64, at most 4096 characters");
  }
  return value;
}

const SEALED_KEY = /^kek1:[A-Za-z0-9_-]{11}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{24,5600}$/;

/**
 * A signing key's private half as stored: sealed under a key-encryption key (`kek1:…`, what the
 * token service writes), or legacy plaintext base64 PKCS#8 (read, then sealed on first start).
 */
export function checkPrivateKeyMaterial(value: unknown, field: string): string {
  if (typeof value === "string" && SEALED_KEY.test(value)) return value;
  return checkBase64(value, field);
}

/** A hash of a secret: printable ASCII, 16 to 256 characters (never the secret itself). */
export function checkSecretHash(value: unknown, field: string): string {
  if (typeof value !== "string" || !SECRET_HASH.test(value)) {
    throw invalid(field, "must be a hash of the secret in printable ASCII, 16 to 256 characters");
  }
  return value;
}

/** A decision kind such as `verify`. */
export function checkDecisionKind(value: unknown, field: string): string {
  if (typeof value !== "string" || !DECISION_KIND.test(value))
    throw invalid(field, "must match [a-z][a-z0-9_]{0,31}");
  return value;
}

/** allow, deny or step_up. */
export function checkDecisionOutcome(value: unknown, field: string): "allow" | "deny" | "step_up" {
  if (value !== "allow" && value !== "deny" && value !== "step_up") {
    throw invalid(field, "must be allow, deny or step_up");
  }
  return value;
}

/**
 * Decision reasons, normalized to a fixed key order (`hop`, `code`, `message`, `policies`) so the
 * stored JSON, and so the hash, does not depend on how the caller built the objects.
 */
export function checkReasons(value: unknown, field: string): DecisionReason[] {
  if (!Array.isArray(value) || value.length > MAX_REASONS) {
    throw invalid(field, `must be an array of at most ${MAX_REASONS} reasons`);
  }
  return value.map((raw: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalid(at, "must be an object");
    const reason = raw as Record<string, unknown>;
    for (const key of Object.keys(reason)) {
      if (!REASON_MEMBERS.has(key)) {
        throw invalid(at, `has an unknown member ${JSON.stringify(key.slice(0, 32))}`);
      }
    }
    const hop =
      reason.hop === undefined || reason.hop === null
        ? null
        : checkCount(reason.hop, `${at}.hop`, INPUT_LIMITS.maxReasonHop);
    if (typeof reason.code !== "string" || !REASON_CODE.test(reason.code)) {
      throw invalid(`${at}.code`, "must match [a-z][a-z0-9_]{0,63}");
    }
    const message = reason.message;
    if (typeof message !== "string" || message.length > MAX_TEXT_LENGTH || CONTROL.test(message)) {
      throw invalid(`${at}.message`, `must be a string of at most ${MAX_TEXT_LENGTH} characters`);
    }
    if (!message.isWellFormed()) throw invalid(`${at}.message`, TEXT_PROBLEM_MESSAGES.ill_formed);
    const claim =
      reason.claim === undefined
        ? undefined
        : checkText(reason.claim, `${at}.claim`, INPUT_LIMITS.maxReasonClaimLength);
    const evidence =
      reason.evidence === undefined ? undefined : checkEvidence(reason.evidence, `${at}.evidence`);
    let policies: string[] | undefined;
    if (reason.policies !== undefined) {
      if (!Array.isArray(reason.policies) || reason.policies.length > INPUT_LIMITS.maxReasonPolicies) {
        throw invalid(
          `${at}.policies`,
          `must be an array of at most ${INPUT_LIMITS.maxReasonPolicies} policy ids`,
        );
      }
      policies = reason.policies.map((policy, j) =>
        checkText(policy, `${at}.policies[${j}]`, INPUT_LIMITS.maxPolicyIdLength),
      );
    }
    return {
      hop,
      code: reason.code,
      message,
      ...(claim === undefined ? {} : { claim }),
      ...(evidence === undefined ? {} : { evidence }),
      ...(policies === undefined ? {} : { policies }),
    };
  });
}

const REASON_MEMBERS: ReadonlySet<string> = new Set([
  "hop",
  "code",
  "message",
  "claim",
  "evidence",
  "policies",
]);

/** Largest serialized `evidence` of one reason. */
const MAX_EVIDENCE_BYTES = INPUT_LIMITS.maxEvidenceBytes;

/** A reason's evidence: a plain JSON object of at most 4 KiB, whose every string is well-formed. */
function checkEvidence(value: unknown, field: string): Record<string, unknown> {
  const evidence = checkObject(value, field);
  const text = checkDetail(evidence, field);
  if (text === null || Buffer.byteLength(text) > MAX_EVIDENCE_BYTES) {
    throw invalid(field, `must be a JSON object of at most ${MAX_EVIDENCE_BYTES} bytes`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Who wrote a decision: the service itself, or a tool server by its audience. */
const REPORTER = /^(?:service|audience:[\x21-\x7e]{1,255})$/;

/** Checks a decision's reporter; `service` when absent. */
function checkReporter(value: unknown, field: string): string {
  if (value === undefined) return "service";
  if (typeof value !== "string" || !REPORTER.test(value)) {
    throw invalid(field, "must be service or audience:<audience id>");
  }
  return value;
}

/** The most tokens a presented chain records (a root and 64 hops). */
const MAX_PRESENTED_HOPS = INPUT_LIMITS.maxChainEntries;

/** Checks a presented chain and returns it as JSON text in a fixed key order, or null when absent. */
function checkPresentedChain(value: unknown, field: string): string | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length > MAX_PRESENTED_HOPS) {
    throw invalid(field, `must be an array of at most ${MAX_PRESENTED_HOPS} hops`);
  }
  const hops = value.map((raw: unknown, i) => {
    const at = `${field}[${i}]`;
    const hop = checkObject(raw, at);
    for (const key of Object.keys(hop)) {
      if (key !== "did" && key !== "sub" && key !== "verified") {
        throw invalid(at, `has an unknown member ${JSON.stringify(key.slice(0, 32))}`);
      }
    }
    if (typeof hop.verified !== "boolean") throw invalid(`${at}.verified`, "must be true or false");
    return {
      did: hop.did === null || hop.did === undefined ? null : checkDelegationId(hop.did, `${at}.did`),
      sub: hop.sub === null || hop.sub === undefined ? null : checkAgentId(hop.sub, `${at}.sub`),
      verified: hop.verified,
    };
  });
  return JSON.stringify(hops);
}

/** Free-form JSON detail, at most 16 KiB serialized; returns the text to store, or null. */
export function checkDetail(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    throw invalid(field, "must be JSON-serializable");
  }
  // JSON.stringify drops functions and symbols silently; a round trip must give the same text.
  if (text === undefined || JSON.stringify(JSON.parse(text)) !== text)
    throw invalid(field, "must be plain JSON");
  if (Buffer.byteLength(text) > MAX_DETAIL_BYTES)
    throw invalid(field, `must be at most ${MAX_DETAIL_BYTES} bytes of JSON`);
  return text;
}

/** Parses stored detail text back into a value. */
export function parseDetail(text: string | null): DecisionDetail | null {
  return text === null ? null : (JSON.parse(text) as DecisionDetail);
}

/**
 * A task's business hours: exactly `{days, start, end}`, with 1 to 7 distinct ISO weekdays and
 * `start` before `end` (both `HH:MM`, 00:00 to 24:00). Returns a fresh object in that key order,
 * so the stored JSON does not depend on how the caller built it.
 */
export function checkTaskHours(value: unknown, field: string): TaskHours {
  const hours = checkObject(value, field);
  for (const key of Object.keys(hours)) {
    if (key !== "days" && key !== "start" && key !== "end") {
      throw invalid(field, `has an unknown member ${JSON.stringify(key.slice(0, 32))}`);
    }
  }
  const days = hours.days;
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    days.length > 7 ||
    !days.every((day) => Number.isSafeInteger(day) && day >= 1 && day <= 7)
  ) {
    throw invalid(
      `${field}.days`,
      "must be an array of 1 to 7 ISO weekdays (integers, 1 = Monday to 7 = Sunday)",
    );
  }
  if (new Set(days).size !== days.length) throw invalid(`${field}.days`, "must not repeat a weekday");
  const clock = (name: "start" | "end"): string => {
    const time = hours[name];
    if (typeof time !== "string" || !TASK_HOURS_CLOCK_TIME.test(time)) {
      throw invalid(`${field}.${name}`, "must be HH:MM, from 00:00 to 24:00");
    }
    return time;
  };
  const start = clock("start");
  const end = clock("end");
  // Fixed-width HH:MM strings compare as times.
  if (start >= end) throw invalid(`${field}.end`, "must be after start (a window does not cross midnight)");
  return { days: [...(days as number[])], start, end };
}

/** Requires a plain object, so `undefined` or a string never reaches a property access. */
export function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid(field, "must be an object");
  return value as Record<string, unknown>;
}

/** A positive page size up to `max`, or `fallback` when absent. */
export function checkLimit(value: unknown, field: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalid(field, `must be an integer from 1 to ${max}`);
  }
  return value;
}

// Whole inputs --------------------------------------------------------------------------------

/** A decision input after its boundary checks: exactly the columns to hash and insert. */
export type CheckedDecision = Omit<DecisionRowFields, "id" | "prevHash">;

/** Checks a whole decision input and returns the columns to store (reasons and detail as JSON text). */
export function checkDecisionInput(value: unknown, field: string): CheckedDecision {
  const input = checkObject(value, field);
  const optional = (name: string, check: (v: unknown, f: string) => string): string | null =>
    input[name] === undefined ? null : check(input[name], `${field}.${name}`);
  const text = (max: number) => (v: unknown, f: string) => checkText(v, f, max);
  return {
    at: checkTime(input.at, `${field}.at`),
    kind: checkDecisionKind(input.kind, `${field}.kind`),
    decision: checkDecisionOutcome(input.decision, `${field}.decision`),
    task: optional("task", checkTaskId),
    did: optional("did", checkDelegationId),
    jti: optional("jti", checkRandomId),
    agent: optional("agent", checkAgentId),
    audience: optional("audience", text(CLAIM_LIMITS.maxAudienceLength)),
    action: optional("action", text(INPUT_LIMITS.maxTargetLength)),
    resource: optional("resource", text(INPUT_LIMITS.maxTargetLength)),
    reasons: JSON.stringify(checkReasons(input.reasons, `${field}.reasons`)),
    detail: checkDetail(input.detail, `${field}.detail`),
    format: CURRENT_DECISION_FORMAT,
    reporter: checkReporter(input.reporter, `${field}.reporter`),
    actorProven:
      input.agent === undefined ? null : checkActorProven(input.actorProven, `${field}.actorProven`),
    argsDigest: optional("argsDigest", checkDigest),
    chain: checkPresentedChain(input.chain, `${field}.chain`),
  };
}

function checkActorProven(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw invalid(field, "must be true or false");
  return value;
}

/** Checks the shape of a token input; relations to the delegation are checked by the caller. */
export function checkTokenInput(value: unknown, field: string, prf: "required" | "absent" | "optional") {
  const token = checkObject(value, field);
  const jti = checkRandomId(token.jti, `${field}.jti`);
  const compact = checkCompactToken(token.compact, `${field}.compact`);
  const iat = checkTime(token.iat, `${field}.iat`);
  const exp = checkTime(token.exp, `${field}.exp`);
  const rvl = checkTime(token.rvl, `${field}.rvl`);
  if (exp <= iat) throw invalid(`${field}.exp`, "must be after iat");
  if (rvl <= iat || rvl > exp) throw invalid(`${field}.rvl`, "must be after iat and no later than exp");
  if (prf === "absent" && token.prf !== undefined) {
    throw invalid(`${field}.prf`, "must be absent on a root grant");
  }
  if (prf === "required" && token.prf === undefined) throw invalid(`${field}.prf`, "is required on a hop");
  const checkedPrf = token.prf === undefined ? null : checkDigest(token.prf, `${field}.prf`);
  return { jti, compact, iat, exp, rvl, prf: checkedPrf };
}

/** A token input after its boundary checks. */
export type CheckedToken = ReturnType<typeof checkTokenInput>;

/** Checks the options of a revocation. */
export function checkRevokeOptions(
  value: unknown,
  field: string,
): { reason: string; at: number; audit: CheckedDecision | null } {
  const options = checkObject(value, field);
  return {
    reason: checkText(options.reason, `${field}.reason`),
    at: checkTime(options.at, `${field}.at`),
    audit: options.audit === undefined ? null : checkDecisionInput(options.audit, `${field}.audit`),
  };
}

/** Checks an optional audit decision; null when absent. */
export function checkAudit(value: unknown, field: string): CheckedDecision | null {
  return value === undefined ? null : checkDecisionInput(value, field);
}

/** Positive seconds, within the token format's time range. */
export function checkInterval(value: unknown, field: string): number {
  const seconds = checkCount(value, field, CLAIM_LIMITS.maxTime);
  if (seconds === 0) throw invalid(field, "must be at least 1 second");
  return seconds;
}
