/**
 * The OAuth door (DESIGN.md, "Standard surfaces"): RFC 8693 token exchange with an RFC 9449 DPoP
 * proof at `POST /oauth/token`, and RFC 8414 metadata so OAuth clients can find it. A token
 * exchange is the same delegate use case `POST /v1/delegations` calls, with the same checks,
 * refusals and decision records; only the wire format differs (a form in, RFC 6749 JSON out).
 */
import { delegate } from "@baton/core";
import { DPOP_PROOF_ALGS, decodeToken, parseTokenPayload, type TokenClaims } from "@baton/token";
import { createRoute } from "@hono/zod-openapi";
import { OAuthError } from "../oauth-errors.ts";
import { jsonResponse, type ServiceApp, z } from "../openapi.ts";
import type { ServiceContext } from "../service-context.ts";
import {
  AUTHORIZATION_DETAILS_TYPE,
  CHAIN_TOKEN_TYPE,
  readTokenExchange,
  TOKEN_EXCHANGE_GRANT,
} from "../token-exchange-form.ts";

/** Where the token endpoint is served. */
export const TOKEN_ENDPOINT_PATH = "/oauth/token";
/** Where the RFC 8414 metadata is served (the issuer has no path of its own). */
export const AUTHORIZATION_SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server";

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

const TokenExchangeForm = z
  .object({
    grant_type: z.literal(TOKEN_EXCHANGE_GRANT),
    subject_token: z.string().openapi({ description: "the chain the presenter holds: t0~t1~…~tn" }),
    subject_token_type: z.literal(CHAIN_TOKEN_TYPE),
    requested_token_type: z.literal(CHAIN_TOKEN_TYPE).optional(),
    actor: z.string().openapi({ description: "the delegate's agent id", example: "agent:researcher" }),
    audience: z
      .array(z.string())
      .optional()
      .openapi({ description: "the hop's aud, one parameter per audience; left out: the parent's" }),
    scope: z.string().optional().openapi({
      description: "the hop's capabilities as space-separated act=res pairs (no argument limits)",
      example: "repo.issues.read=repo:acme/web/**",
    }),
    authorization_details: z.string().optional().openapi({
      description:
        'RFC 9396: a JSON array of {"type":"baton","act":…,"res":…,"lim"?:…}; instead of scope, and the only way to ask for lim',
    }),
    ttl: z.string().optional().openapi({ description: "seconds, decimal" }),
    rvi: z.string().optional().openapi({ description: "revalidation interval in seconds, decimal" }),
    mdp: z.string().optional().openapi({ description: "hops still allowed below this one, decimal" }),
    intent: z.string().optional(),
  })
  .openapi("TokenExchangeRequest");

const TokenResponse = z
  .object({
    access_token: z.string().openapi({ description: "the delegate's whole chain: subject_token~new hop" }),
    issued_token_type: z.literal(CHAIN_TOKEN_TYPE),
    token_type: z.literal("DPoP"),
    expires_in: z.number().int(),
    authorization_details: z.array(z.record(z.string(), z.unknown())).optional().openapi({
      description: "the capabilities granted, when they were asked for as authorization_details",
    }),
  })
  .openapi("TokenExchangeResponse");

const OAuthErrorBody = z
  .object({
    error: z.string().openapi({
      description:
        "invalid_request, invalid_scope, invalid_target, invalid_dpop_proof, invalid_authorization_details, unsupported_grant_type, server_error or temporarily_unavailable",
    }),
    error_description: z.string(),
    baton_code: z
      .string()
      .openapi({ description: "the code POST /v1/delegations gives for the same refusal" }),
    baton_reasons: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .passthrough()
  .openapi("OAuthError");

const oauthError = (description: string) => ({
  description,
  content: { "application/json": { schema: OAuthErrorBody } },
});

const tokenRoute = createRoute({
  method: "post",
  path: TOKEN_ENDPOINT_PATH,
  tags: ["agent", "oauth"],
  summary: "RFC 8693 token exchange: the presented chain in, the delegate's chain with one more hop out",
  description:
    "The same use case as POST /v1/delegations. The DPoP proof is by the subject_token's leaf holder, for htm POST and htu this endpoint's URL; ath may be left out (RFC 9449 §5) and must be the chain's SHA-256 when present. Unrecognized parameters are ignored (RFC 6749 §3.2); resource, actor_token and actor_token_type are refused.",
  request: {
    headers: z.object({
      dpop: z.string().openapi({ description: "RFC 9449 proof by the leaf holder's key" }),
    }),
    body: {
      required: true,
      content: { "application/x-www-form-urlencoded": { schema: TokenExchangeForm } },
    },
  },
  responses: {
    200: jsonResponse(TokenResponse, "issued (Cache-Control: no-store)"),
    400: oauthError("a refusal (RFC 6749 §5.2); baton_code says which"),
    500: oauthError("server_error"),
    503: oauthError("temporarily_unavailable: nothing was issued, retry"),
  },
});

const MetadataSchema = z
  .object({
    issuer: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    grant_types_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    dpop_signing_alg_values_supported: z.array(z.string()),
    authorization_details_types_supported: z.array(z.string()),
  })
  .openapi("AuthorizationServerMetadata");

const metadataRoute = createRoute({
  method: "get",
  path: AUTHORIZATION_SERVER_METADATA_PATH,
  tags: ["public", "oauth"],
  summary: "RFC 8414 authorization server metadata",
  responses: { 200: jsonResponse(MetadataSchema, "the metadata") },
});

/** The claims of the hop just issued (for `expires_in` and the granted capabilities). */
function issuedClaims(token: string): TokenClaims {
  const decoded = decodeToken(token);
  const claims = decoded.ok ? parseTokenPayload(decoded.value) : undefined;
  if (claims === undefined || !claims.ok) throw new Error("the service issued a token it cannot read");
  return claims.value;
}

/** Registers the token endpoint and its metadata. Refusals are answered by `oauthErrorResponse` (app.ts). */
export function registerOAuthRoutes(app: ServiceApp, ctx: ServiceContext): void {
  app.openapi(metadataRoute, (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(
      {
        issuer: ctx.config.issuer,
        token_endpoint: ctx.publicUrl(TOKEN_ENDPOINT_PATH),
        jwks_uri: ctx.publicUrl("/.well-known/jwks.json"),
        grant_types_supported: [TOKEN_EXCHANGE_GRANT],
        // No authorization endpoint: Baton issues only by exchanging a chain.
        response_types_supported: [],
        // Agents prove who they are with their DPoP proof, not as OAuth clients.
        token_endpoint_auth_methods_supported: ["none"],
        dpop_signing_alg_values_supported: [...DPOP_PROOF_ALGS],
        authorization_details_types_supported: [AUTHORIZATION_DETAILS_TYPE],
      },
      200,
    );
  });

  // The form is read by hand (registered for the OpenAPI document only): duplicate parameters
  // must be seen, and every refusal must be an RFC 6749 error rather than a validation problem.
  app.openAPIRegistry.registerPath(tokenRoute);
  app.post(TOKEN_ENDPOINT_PATH, async (c) => {
    if (!FORM.test(c.req.header("content-type") ?? "")) {
      throw new OAuthError({
        error: "invalid_request",
        description: "send the body as application/x-www-form-urlencoded (RFC 6749 section 3.2)",
        batonCode: "unsupported_media_type",
      });
    }
    const request = readTokenExchange(new URLSearchParams(await c.req.text()));
    const issued = await delegate(
      ctx.useCases,
      {
        chain: request.subjectToken,
        proof: c.req.header("dpop")?.trim(),
        method: "POST",
        url: ctx.publicUrl(TOKEN_ENDPOINT_PATH),
        chainSentAs: "subject_token",
      },
      request.hop,
    );
    const hop = issuedClaims(issued.token);
    const body = {
      access_token: issued.chain,
      issued_token_type: CHAIN_TOKEN_TYPE,
      token_type: "DPoP",
      // From the hop's own iat, the instant it was issued.
      expires_in: hop.exp - hop.iat,
      // RFC 9396 §7: what was granted, which is what was asked (refusal, not repair).
      ...(request.asAuthorizationDetails
        ? { authorization_details: hop.cap.map((cap) => ({ type: AUTHORIZATION_DETAILS_TYPE, ...cap })) }
        : {}),
    };
    return c.json(body, 200, { "cache-control": "no-store", pragma: "no-cache" });
  });
}
