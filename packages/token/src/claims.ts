/**
 * Baton token claims (format v1) and their strict parser. Anything the table in DESIGN.md does
 * not allow is `malformed`, with the claim named, before any value reaches a comparison.
 */
import { isBase64urlOfLength } from "./base64url.ts";
import { type Capability, parseCapability } from "./scope.ts";
import { fail, ok, type Result, TokenError } from "./token-error.ts";

/** The claims of one Baton token: a root grant (`dpt` 0) or one delegation hop. */
export interface TokenClaims {
  /** The service's issuer URL. */
  readonly iss: string;
  /** The holder: the agent this token was issued to. */
  readonly sub: string;
  /** The delegating agent, equal to the parent's `sub`; absent on a root grant. */
  readonly dlg?: string;
  /** Id of this token version (128-bit random). */
  readonly jti: string;
  /** Stable id of this delegation across revalidations. */
  readonly did: string;
  /** The parent's `did`; absent on a root grant. */
  readonly par?: string;
  /** base64url SHA-256 of the parent's compact token; absent on a root grant. */
  readonly prf?: string;
  /** Depth: 0 for a root grant, parent + 1 for a hop. */
  readonly dpt: number;
  /** Hops still allowed below this token. */
  readonly mdp: number;
  /** Task id, equal along the chain. */
  readonly tsk: string;
  readonly cap: readonly Capability[];
  /** Tool-server audiences; `"*"` for any. */
  readonly aud: readonly string[];
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  /** Revalidate-by: after this instant the token must be re-issued before use. */
  readonly rvl: number;
  /** Confirmation: the RFC 7638 thumbprint of the holder's Ed25519 key. */
  readonly cnf: { readonly jkt: string };
  /** Approval ids this token carries (step-up). */
  readonly apv?: readonly string[];
  /** Where this delegation's revocation bit lives (draft-ietf-oauth-status-list), when lists are on. */
  readonly status?: TokenStatus;
}

/** The `status` claim: entry `idx` of the 1-bit status list at `uri`. */
export interface TokenStatus {
  readonly status_list: { readonly idx: number; readonly uri: string };
}

/** Limits on claim sizes; they keep one hop near 1 KiB so a deep chain fits an HTTP header. */
export const CLAIM_LIMITS = {
  maxCapabilities: 32,
  maxAudiences: 16,
  maxApprovals: 16,
  maxDepth: 64,
  maxIssuerLength: 256,
  maxAgentIdLength: 255,
  maxTaskIdLength: 128,
  maxAudienceLength: 256,
  // An index into one status list; 2^32 entries is far beyond any list a verifier would inflate.
  maxStatusIndex: 2 ** 32 - 1,
  maxStatusUriLength: 512,
  // 2^40 seconds is year 36812: far enough, and keeps every sum of times an exact integer.
  maxTime: 2 ** 40,
} as const;

const AGENT_NAME = /^agent:[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*(\/[A-Za-z0-9._-]+)+$/;
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const AUDIENCE = /^[A-Za-z0-9][A-Za-z0-9._~:/@+-]*$/;
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ISSUER = /^https?:\/\/[\x21-\x7e]+$/;

const STATUS_LIST_URI = /^https?:\/\/[\x21-\x7e]+$/;

/** True when `uri` is an http(s) URL of printable ASCII, at most 512 characters: a status list URI. */
export function isStatusListUri(uri: unknown): uri is string {
  return (
    typeof uri === "string" && uri.length <= CLAIM_LIMITS.maxStatusUriLength && STATUS_LIST_URI.test(uri)
  );
}

/** True when `id` is a canonical agent id: `agent:name` or a SPIFFE ID (no `.`/`..` segments). */
export function isAgentId(id: unknown): id is string {
  if (typeof id !== "string" || id.length > CLAIM_LIMITS.maxAgentIdLength) return false;
  if (AGENT_NAME.test(id)) return true;
  if (!SPIFFE_ID.test(id)) return false;
  const path = id.slice(id.indexOf("/", "spiffe://".length));
  return path.split("/").every((segment) => segment !== "." && segment !== "..");
}

/** True when `id` is a canonical task id. */
export function isTaskId(id: unknown): id is string {
  return typeof id === "string" && id.length <= CLAIM_LIMITS.maxTaskIdLength && TASK_ID.test(id);
}

/** True when `audience` is `*` or a canonical audience name. */
export function isAudience(audience: unknown): audience is string {
  return (
    typeof audience === "string" &&
    (audience === "*" || (audience.length <= CLAIM_LIMITS.maxAudienceLength && AUDIENCE.test(audience)))
  );
}

/** True when `id` is a 128-bit random id in canonical base64url (`jti`). */
export function isRandomId(id: unknown): id is string {
  return typeof id === "string" && isBase64urlOfLength(id, 16);
}

/**
 * True when `id` is a delegation id (`did`, `par`) in canonical base64url: 12 random bytes as
 * issued now, or 16 as issued before (those delegations live on, and so do their children's `par`).
 */
export function isDelegationId(id: unknown): id is string {
  return typeof id === "string" && (isBase64urlOfLength(id, 12) || isBase64urlOfLength(id, 16));
}

const HOP_LINK_CLAIMS = ["dlg", "par", "prf"] as const;
/** `cap[0]` to `cap[31]`, made once rather than for every capability of every token. */
const CAPABILITY_CLAIMS = Array.from({ length: CLAIM_LIMITS.maxCapabilities }, (_, i) => `cap[${i}]`);
const TIME_CLAIMS = ["iat", "exp", "rvl"] as const;

const CLAIM_NAMES: ReadonlySet<string> = new Set([
  "iss",
  "sub",
  "dlg",
  "jti",
  "did",
  "par",
  "prf",
  "dpt",
  "mdp",
  "tsk",
  "cap",
  "aud",
  "iat",
  "nbf",
  "exp",
  "rvl",
  "cnf",
  "apv",
  "status",
]);

function malformed(claim: string, message: string): { ok: false; error: TokenError } {
  return fail(new TokenError("malformed", message, { claim }));
}

/** Whether a short list (at most a few dozen entries) holds an entry twice, without a Set. */
function hasRepeats(values: readonly unknown[]): boolean {
  for (let i = 1; i < values.length; i++) {
    for (let j = 0; j < i; j++) if (values[i] === values[j]) return true;
  }
  return false;
}

function isTime(value: unknown): value is number {
  return (
    typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= CLAIM_LIMITS.maxTime
  );
}

function isSmallCount(value: unknown): value is number {
  return (
    typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= CLAIM_LIMITS.maxDepth
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses a decoded JSON payload into typed claims, or says which claim is wrong and how. Checks
 * each claim's type, length and range, the presence rules of a root grant versus a hop, and the
 * ordering of the token's own times. Relations to the parent are the chain checks' business.
 */
export function parseClaims(payload: unknown): Result<TokenClaims> {
  if (!isPlainObject(payload)) return malformed("payload", "the token payload must be a JSON object");
  for (const key of Object.keys(payload)) {
    if (!CLAIM_NAMES.has(key)) return malformed(key, `unknown claim ${JSON.stringify(key.slice(0, 32))}`);
  }
  const c = payload;

  if (typeof c.iss !== "string" || c.iss.length > CLAIM_LIMITS.maxIssuerLength || !ISSUER.test(c.iss)) {
    return malformed("iss", "iss must be the issuer's http(s) URL");
  }
  if (!isAgentId(c.sub)) return malformed("sub", "sub must be an agent id (agent:name or spiffe://…)");
  if (!isRandomId(c.jti)) return malformed("jti", "jti must be 16 random bytes in canonical base64url");
  if (!isDelegationId(c.did))
    return malformed("did", "did must be 12 (or, issued before, 16) random bytes in canonical base64url");
  if (!isSmallCount(c.dpt))
    return malformed("dpt", `dpt must be an integer from 0 to ${CLAIM_LIMITS.maxDepth}`);
  if (!isSmallCount(c.mdp))
    return malformed("mdp", `mdp must be an integer from 0 to ${CLAIM_LIMITS.maxDepth}`);
  if (!isTaskId(c.tsk))
    return malformed("tsk", "tsk must be a task id of [A-Za-z0-9._:-], at most 128 characters");

  const isRoot = c.dpt === 0;
  for (const name of HOP_LINK_CLAIMS) {
    const present = c[name] !== undefined;
    if (isRoot && present) return malformed(name, `${name} must be absent on a root grant (dpt 0)`);
    if (!isRoot && !present) return malformed(name, `${name} is required on a delegation hop (dpt ≥ 1)`);
  }
  if (!isRoot) {
    if (!isAgentId(c.dlg)) return malformed("dlg", "dlg must be an agent id");
    if (!isDelegationId(c.par)) return malformed("par", "par must be the parent's did");
    if (typeof c.prf !== "string" || !isBase64urlOfLength(c.prf, 32)) {
      return malformed("prf", "prf must be a base64url SHA-256 digest");
    }
  }

  if (!Array.isArray(c.cap) || c.cap.length === 0 || c.cap.length > CLAIM_LIMITS.maxCapabilities) {
    return malformed("cap", `cap must be an array of 1 to ${CLAIM_LIMITS.maxCapabilities} capabilities`);
  }
  const cap: Capability[] = new Array(c.cap.length);
  for (let i = 0; i < c.cap.length; i++) {
    const capability = parseCapability(c.cap[i], CAPABILITY_CLAIMS[i] as string);
    if (!capability.ok) return capability;
    cap[i] = capability.value;
  }

  if (!Array.isArray(c.aud) || c.aud.length === 0 || c.aud.length > CLAIM_LIMITS.maxAudiences) {
    return malformed("aud", `aud must be an array of 1 to ${CLAIM_LIMITS.maxAudiences} audiences`);
  }
  if (!c.aud.every(isAudience) || hasRepeats(c.aud)) {
    return malformed("aud", "aud entries must be distinct audience names or *");
  }

  for (const name of TIME_CLAIMS) {
    if (!isTime(c[name]))
      return malformed(name, `${name} must be an integer number of seconds since the epoch`);
  }
  // An absent nbf means "from iat": the service leaves it out when the two are equal, which
  // saves every hop 23 bytes. Present, it must be a time like the others.
  if (c.nbf !== undefined && !isTime(c.nbf)) {
    return malformed("nbf", "nbf must be an integer number of seconds since the epoch");
  }
  const { iat, exp, rvl } = c as { iat: number; exp: number; rvl: number };
  const nbf = c.nbf === undefined ? iat : (c.nbf as number);
  if (nbf < iat) return malformed("nbf", "nbf must not be before iat");
  if (exp <= nbf) return malformed("exp", "exp must be after nbf");
  if (rvl > exp || rvl <= nbf) return malformed("rvl", "rvl must be after nbf and no later than exp");

  if (!isPlainObject(c.cnf) || Object.keys(c.cnf).length !== 1 || typeof c.cnf.jkt !== "string") {
    return malformed("cnf", "cnf must be exactly {jkt}");
  }
  if (!isBase64urlOfLength(c.cnf.jkt, 32))
    return malformed("cnf.jkt", "cnf.jkt must be an RFC 7638 SHA-256 thumbprint");

  if (c.apv !== undefined) {
    if (!Array.isArray(c.apv) || c.apv.length === 0 || c.apv.length > CLAIM_LIMITS.maxApprovals) {
      return malformed("apv", `apv must be an array of 1 to ${CLAIM_LIMITS.maxApprovals} approval ids`);
    }
    if (
      !c.apv.every((id) => typeof id === "string" && APPROVAL_ID.test(id)) ||
      new Set(c.apv).size !== c.apv.length
    ) {
      return malformed("apv", "apv entries must be distinct approval ids");
    }
  }

  let status: TokenStatus | undefined;
  if (c.status !== undefined) {
    const parsed = parseTokenStatus(c.status);
    if (!parsed.ok) return parsed;
    status = parsed.value;
  }

  // One literal per shape (a root has no links), in the serialization's order, and the optional
  // members appended: no spread temporaries per token.
  const aud = c.aud as string[];
  const cnf = { jkt: c.cnf.jkt };
  const claims: { -readonly [K in keyof TokenClaims]: TokenClaims[K] } = isRoot
    ? {
        iss: c.iss,
        sub: c.sub,
        jti: c.jti,
        did: c.did,
        dpt: c.dpt,
        mdp: c.mdp,
        tsk: c.tsk,
        cap,
        aud,
        iat,
        nbf,
        exp,
        rvl,
        cnf,
      }
    : {
        iss: c.iss,
        sub: c.sub,
        dlg: c.dlg as string,
        par: c.par as string,
        prf: c.prf as string,
        jti: c.jti,
        did: c.did,
        dpt: c.dpt,
        mdp: c.mdp,
        tsk: c.tsk,
        cap,
        aud,
        iat,
        nbf,
        exp,
        rvl,
        cnf,
      };
  if (c.apv !== undefined) claims.apv = c.apv as string[];
  if (status !== undefined) claims.status = status;
  return ok(claims);
}

/** Parses the `status` claim: exactly `{status_list: {idx, uri}}`, nothing more. */
function parseTokenStatus(value: unknown): Result<TokenStatus> {
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !isPlainObject(value.status_list)) {
    return malformed("status", "status must be exactly {status_list: {idx, uri}}");
  }
  const list = value.status_list;
  const extra = Object.keys(list).find((key) => key !== "idx" && key !== "uri");
  if (extra !== undefined) {
    return malformed(`status.status_list.${extra.slice(0, 32)}`, "status.status_list holds only idx and uri");
  }
  if (
    typeof list.idx !== "number" ||
    !Number.isSafeInteger(list.idx) ||
    list.idx < 0 ||
    list.idx > CLAIM_LIMITS.maxStatusIndex
  ) {
    return malformed(
      "status.status_list.idx",
      `status.status_list.idx must be an integer from 0 to ${CLAIM_LIMITS.maxStatusIndex}`,
    );
  }
  if (!isStatusListUri(list.uri)) {
    return malformed(
      "status.status_list.uri",
      `status.status_list.uri must be an http(s) URL of at most ${CLAIM_LIMITS.maxStatusUriLength} characters`,
    );
  }
  return ok({ status_list: { idx: list.idx, uri: list.uri } });
}

/** The claims in the one order they are serialized in, so equal claims give equal bytes. */
export function serializeClaims(claims: TokenClaims): string {
  return JSON.stringify({
    iss: claims.iss,
    sub: claims.sub,
    dlg: claims.dlg,
    jti: claims.jti,
    did: claims.did,
    par: claims.par,
    prf: claims.prf,
    dpt: claims.dpt,
    mdp: claims.mdp,
    tsk: claims.tsk,
    cap: claims.cap.map((capability) =>
      capability.lim === undefined
        ? { act: capability.act, res: capability.res }
        : { act: capability.act, res: capability.res, lim: capability.lim },
    ),
    aud: claims.aud,
    iat: claims.iat,
    // Left out when it equals iat (parseClaims reads it back as iat).
    nbf: claims.nbf === claims.iat ? undefined : claims.nbf,
    exp: claims.exp,
    rvl: claims.rvl,
    cnf: { jkt: claims.cnf.jkt },
    apv: claims.apv,
    status:
      claims.status === undefined
        ? undefined
        : { status_list: { idx: claims.status.status_list.idx, uri: claims.status.status_list.uri } },
  });
}
