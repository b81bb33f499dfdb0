/**
 * Reading an RFC 8693 token-exchange request (DESIGN.md, "Standard surfaces") into the delegation
 * request `POST /v1/delegations` takes, validated by the same schema, so both doors ask the
 * delegate use case the same question.
 *
 * Parameters:
 * - `grant_type` = {@link TOKEN_EXCHANGE_GRANT}; `subject_token` = the presenter's chain;
 *   `subject_token_type` = {@link CHAIN_TOKEN_TYPE}; `requested_token_type` the same, or absent.
 * - `actor`: the delegate's agent id. `audience` (repeatable): the hop's `aud`.
 * - `scope`: space-separated `act=res` capabilities, split at the first `=` (an action never holds
 *   one); or `authorization_details` (RFC 9396): a JSON array of
 *   `{"type":"baton","act":…,"res":…,"lim"?:…}`, the only way to ask for argument limits.
 *   Exactly one of the two.
 * - `ttl`, `rvi`, `mdp` (decimal integers) and `intent`, as in the JSON body.
 *
 * RFC 6749 §3.2: a parameter sent without a value counts as omitted, a parameter other than
 * `audience` sent twice is `invalid_request`, and unrecognized parameters are ignored (OAuth
 * clients send their own, such as `client_id`; agents authenticate by their DPoP proof). The
 * parameters RFC 8693 defines that Baton does not take (`resource`, `actor_token`,
 * `actor_token_type`) are refused rather than ignored: ignoring a restriction the client asked
 * for would issue more than it meant to.
 */
import type { DelegationRequest } from "@baton/core";
import { formRefusal, OAuthError, type OAuthErrorCode } from "./oauth-errors.ts";
import { DelegationBody, MALFORMED_ISSUE } from "./schemas.ts";

/** RFC 8693's grant type. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** The token type of a Baton chain (`t0~…~tn`), as subject and as issued token. */
export const CHAIN_TOKEN_TYPE = "urn:baton:token-type:chain";
/** The `type` of a Baton capability in `authorization_details` (RFC 9396). */
export const AUTHORIZATION_DETAILS_TYPE = "baton";

const SINGLE_VALUED = [
  "grant_type",
  "subject_token",
  "subject_token_type",
  "requested_token_type",
  "actor",
  "scope",
  "authorization_details",
  "ttl",
  "rvi",
  "mdp",
  "intent",
] as const;

/** RFC 8693 parameters Baton does not take, and why a request naming them is refused. */
const REFUSED: Readonly<Record<string, { error: OAuthErrorCode; description: string }>> = {
  resource: {
    error: "invalid_target",
    description: "resource is not supported: name the tool servers with audience",
  },
  actor_token: {
    error: "invalid_request",
    description: "actor_token is not supported: name the delegate with actor (its agent id)",
  },
  actor_token_type: {
    error: "invalid_request",
    description: "actor_token_type is not supported: name the delegate with actor (its agent id)",
  },
};

const CHAIN_TEXT = /^[A-Za-z0-9_.~-]+$/;
const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;

/** A token-exchange request read and validated: the chain presented and the hop asked for. */
export interface TokenExchangeRequest {
  readonly subjectToken: string;
  readonly hop: DelegationRequest;
  /** The hop's capabilities were asked for as `authorization_details` (echoed as granted). */
  readonly asAuthorizationDetails: boolean;
}

/** The one value of a parameter, or undefined when absent or empty (RFC 6749 §3.2). */
function single(form: URLSearchParams, name: (typeof SINGLE_VALUED)[number]): string | undefined {
  const value = form.get(name);
  return value === null || value === "" ? undefined : value;
}

function integer(form: URLSearchParams, name: "ttl" | "rvi" | "mdp"): number | undefined {
  const value = single(form, name);
  if (value === undefined) return undefined;
  if (!DECIMAL.test(value)) throw formRefusal(`${name} must be a decimal integer`);
  return Number(value);
}

/** `act=res act=res …` as capabilities. */
function capabilitiesOfScope(scope: string): { act: string; res: string }[] {
  return scope.split(" ").map((token, index) => {
    const split = token.indexOf("=");
    if (split <= 0 || split === token.length - 1) {
      throw formRefusal(
        `scope token ${index + 1} is not act=res: write each capability as action=resource, separated by single spaces`,
        "invalid_scope",
      );
    }
    return { act: token.slice(0, split), res: token.slice(split + 1) };
  });
}

/** RFC 9396 `authorization_details` as capabilities. */
function capabilitiesOfDetails(text: string): unknown[] {
  const invalid = (description: string) => formRefusal(description, "invalid_authorization_details");
  let details: unknown;
  try {
    details = JSON.parse(text);
  } catch {
    throw invalid(
      "authorization_details is not JSON: send an array of {type, act, res, optional lim} objects",
    );
  }
  if (!Array.isArray(details) || details.length === 0)
    throw invalid(
      "authorization_details must be a non-empty array of {type, act, res, optional lim} objects",
    );
  return details.map((detail: unknown, index) => {
    if (typeof detail !== "object" || detail === null || Array.isArray(detail))
      throw invalid(`authorization_details[${index}] must be an object`);
    const { type, ...capability } = detail as Record<string, unknown>;
    if (type !== AUTHORIZATION_DETAILS_TYPE)
      throw invalid(`authorization_details[${index}].type must be "${AUTHORIZATION_DETAILS_TYPE}"`);
    // Members other than act, res and lim are refused by the capability schema below.
    return capability;
  });
}

/** Which OAuth error a schema issue at `path` reads as: the hop's scope, its target, or the request. */
function errorOfField(field: string | undefined, asDetails: boolean): OAuthErrorCode {
  if (field === "cap") return asDetails ? "invalid_authorization_details" : "invalid_scope";
  if (field === "aud") return "invalid_target";
  return "invalid_request";
}

/** The form parameter a field of the delegation request came from, for messages. */
function parameterOf(field: string, asDetails: boolean): string {
  if (field === "cap") return asDetails ? "authorization_details" : "scope";
  if (field === "to") return "actor";
  if (field === "aud") return "audience";
  return field;
}

/**
 * Reads a token-exchange form. Throws an {@link OAuthError} naming the first problem; nothing is
 * logged for a request that never reaches the use case, as for a malformed JSON body.
 */
export function readTokenExchange(form: URLSearchParams): TokenExchangeRequest {
  for (const name of SINGLE_VALUED) {
    if (form.getAll(name).length > 1) throw formRefusal(`${name} is sent more than once; send it once`);
  }
  const grantType = single(form, "grant_type");
  if (grantType === undefined) throw formRefusal(`send grant_type=${TOKEN_EXCHANGE_GRANT}`);
  if (grantType !== TOKEN_EXCHANGE_GRANT) {
    throw formRefusal(
      `this token endpoint does token exchange only: send grant_type=${TOKEN_EXCHANGE_GRANT}`,
      "unsupported_grant_type",
    );
  }
  for (const [name, refusal] of Object.entries(REFUSED)) {
    if (form.getAll(name).some((value) => value !== ""))
      throw formRefusal(refusal.description, refusal.error);
  }
  const subjectTokenType = single(form, "subject_token_type");
  if (subjectTokenType !== CHAIN_TOKEN_TYPE)
    throw formRefusal(`send subject_token_type=${CHAIN_TOKEN_TYPE} (the subject_token is a Baton chain)`);
  const requestedTokenType = single(form, "requested_token_type");
  if (requestedTokenType !== undefined && requestedTokenType !== CHAIN_TOKEN_TYPE)
    throw formRefusal(`requested_token_type must be ${CHAIN_TOKEN_TYPE} or left out`);
  const subjectToken = single(form, "subject_token");
  if (subjectToken === undefined) throw formRefusal("send subject_token: the chain you hold");
  // The same check the Authorization header gets (auth.ts): a refusal here is not a decision.
  if (!CHAIN_TEXT.test(subjectToken)) throw formRefusal("the subject_token holds characters a chain cannot");
  const actor = single(form, "actor");
  if (actor === undefined) throw formRefusal("send actor: the agent id of the delegate");

  const scope = single(form, "scope");
  const details = single(form, "authorization_details");
  if (scope !== undefined && details !== undefined)
    throw formRefusal("send the capabilities as scope or as authorization_details, not both");
  if (scope === undefined && details === undefined)
    throw formRefusal("send the hop's capabilities: scope (act=res pairs) or authorization_details");
  const asDetails = details !== undefined;
  const cap = details !== undefined ? capabilitiesOfDetails(details) : capabilitiesOfScope(scope as string);

  const audiences = form.getAll("audience").filter((value) => value !== "");
  const body = {
    to: actor,
    cap,
    ...(audiences.length === 0 ? {} : { aud: audiences }),
    ...optional("ttl", integer(form, "ttl")),
    ...optional("rvi", integer(form, "rvi")),
    ...optional("mdp", integer(form, "mdp")),
    ...optional("intent", single(form, "intent")),
  };
  const parsed = DelegationBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [field, ...rest] = (issue?.path ?? []).map(String);
    const where = field === undefined ? "the request" : [parameterOf(field, asDetails), ...rest].join(".");
    const malformed =
      (issue as { params?: { problem?: unknown } } | undefined)?.params?.problem === MALFORMED_ISSUE.problem;
    throw new OAuthError({
      error: errorOfField(field, asDetails),
      description: `${where}: ${issue?.message ?? "invalid"}`,
      batonCode: malformed ? "malformed" : "invalid_request",
    });
  }
  return { subjectToken, hop: parsed.data, asAuthorizationDetails: asDetails };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
