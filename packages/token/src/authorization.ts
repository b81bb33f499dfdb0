/**
 * The one reader of an HTTP `Authorization` header (RFC 9110 §11.6.2), for the service, the
 * verifier middleware and the CLI alike. Baton credentials are always a token68 (a chain, an
 * operator token, an audience secret), so auth-params are not accepted. A second header, or two
 * credentials folded into one value with a comma, is refused rather than one of them picked:
 * two parsers picking differently is how a request gets authorized as someone else.
 *
 * A chain is a DPoP-bound access token and rides in the standard scheme of RFC 9449 §7.1,
 * `Authorization: DPoP <t0>~…~<tn>`, so OAuth and MCP clients can carry it; operator tokens and
 * audience secrets ride as `Bearer`.
 */
import { fail, ok, type Result } from "./token-error.ts";

/** A parsed `Authorization` value: the scheme lowercased, the credentials exactly as sent. */
export interface AuthorizationCredentials {
  readonly scheme: string;
  readonly credentials: string;
}

/** Why an `Authorization` header was refused. */
export interface AuthorizationRefusal {
  /** `missing`: no header; `repeated`: more than one credential; `malformed`: not scheme SP token68. */
  readonly code: "missing" | "repeated" | "malformed";
  readonly message: string;
}

// auth-scheme is a token (tchar), credentials a token68; OWS around the value is not part of it.
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +([A-Za-z0-9._~+/-]+=*)$/;

/**
 * Parses the `Authorization` header value(s) of one request. Pass every value the transport saw
 * (an array when it keeps duplicates apart); a fetch `Headers` joins duplicates with ", ", and a
 * token68 has no comma, so both spellings of a second credential are refused as `repeated`.
 */
export function parseAuthorization(
  value: string | readonly string[] | null | undefined,
): Result<AuthorizationCredentials, AuthorizationRefusal> {
  const values = value === null || value === undefined ? [] : typeof value === "string" ? [value] : value;
  if (values.length === 0) {
    return fail({ code: "missing", message: "send an Authorization header" });
  }
  if (values.length > 1 || (values[0] ?? "").includes(",")) {
    return fail({ code: "repeated", message: "send exactly one Authorization header with one credential" });
  }
  const match = CREDENTIALS.exec((values[0] ?? "").replace(/^[ \t]+|[ \t]+$/g, ""));
  if (match === null) {
    return fail({
      code: "malformed",
      message: "the Authorization header is malformed: expected '<scheme> <credential>'",
    });
  }
  return ok({ scheme: (match[1] ?? "").toLowerCase(), credentials: match[2] ?? "" });
}

/** The scheme a chain is presented in (RFC 9449 §7.1); compare with a parsed, lowercased one. */
export const CHAIN_SCHEME = "DPoP";

/**
 * The `alg` values a DPoP proof may use, in a challenge's and a metadata document's order: the
 * fully specified `Ed25519` of RFC 9864 first, then the `EdDSA` it deprecates, always with an
 * OKP Ed25519 `jwk`.
 */
export const DPOP_PROOF_ALGS = ["Ed25519", "EdDSA"] as const;

/**
 * The `algs` parameter of every `DPoP` challenge (RFC 9449 §7.1): the service's endpoints and
 * the tool-server gates announce the same list.
 */
export const DPOP_CHALLENGE_ALGS = DPOP_PROOF_ALGS.join(" ");

/** True when a parsed scheme is the one a chain rides in (`DPoP`, any case). */
export function isChainScheme(scheme: string): boolean {
  return scheme === CHAIN_SCHEME.toLowerCase();
}

/**
 * The `Authorization` value for a scheme and a token68 credential: `DPoP <chain>` for a chain,
 * `Bearer <secret>` for an operator token or an audience secret.
 */
export function formatAuthorization(scheme: typeof CHAIN_SCHEME | "Bearer", credentials: string): string {
  return `${scheme} ${credentials}`;
}

/**
 * The `Authorization` value that presents a chain, `DPoP <t0>~…~<tn>`; send it with a DPoP proof
 * whose `ath` is the SHA-256 of `chain`.
 *
 * @example
 * fetch(url, { headers: { authorization: chainAuthorization(chain), dpop: proof } });
 */
export function chainAuthorization(chain: string): string {
  return formatAuthorization(CHAIN_SCHEME, chain);
}
