/**
 * `createApp(deps)`: the token service as a Hono app (issue 5). Real dependencies (store, clock,
 * keys, logger, policy) are wired in by the caller, so tests drive it with `app.request` and a
 * controllable clock, and `startServer` serves it over HTTP.
 */
import { randomUUID } from "node:crypto";
import { UseCaseError } from "@baton/core";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { challenge } from "./challenges.ts";
import { registerInspector } from "./inspector-assets.ts";
import { takeNodeJsonBody } from "./node-body.ts";
import { oauthErrorFrom, oauthErrorResponse, oauthServerError } from "./oauth-errors.ts";
import type { ServiceApp, ServiceEnv } from "./openapi.ts";
import { type ProblemCode, ProblemError, problemResponse } from "./problem.ts";
import { registerAgentRoutes } from "./routes/agent-routes.ts";
import { registerAuthzenRoutes } from "./routes/authzen-routes.ts";
import { registerGraphRoutes } from "./routes/graph-routes.ts";
import { registerInvestigationRoutes } from "./routes/investigation-routes.ts";
import { registerOAuthRoutes, TOKEN_ENDPOINT_PATH } from "./routes/oauth-routes.ts";
import { registerOperatorRoutes } from "./routes/operator-routes.ts";
import { registerPublicRoutes } from "./routes/public-routes.ts";
import { registerStatusListRoutes } from "./routes/status-list-routes.ts";
import { registerToolServerRoutes } from "./routes/tool-server-routes.ts";
import { MALFORMED_ISSUE, MAX_BODY_BYTES, MAX_REPORT_BODY_BYTES } from "./schemas.ts";
import { type AppDeps, ServiceContext } from "./service-context.ts";
import { problemOf } from "./use-case-answers.ts";

export type { AppConfig, AppDeps } from "./service-context.ts";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** What an AuthZEN PEP may send as X-Request-ID and have echoed (AuthZEN 1.0 requires the echo). */
const ECHOED_REQUEST_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

function validationMessage(error: unknown): string {
  const issues = (
    error as { issues?: { path?: PropertyKey[]; message?: string; code?: string; keys?: string[] }[] }
  )?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return "the request is invalid";
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = (issue.path ?? []).map(String).join(".");
      const message =
        issue.code === "unrecognized_keys" && Array.isArray(issue.keys)
          ? `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key.slice(0, 32))).join(", ")}`
          : (issue.message ?? "invalid");
      return path === "" ? message : `${path}: ${message}`;
    })
    .join("; ");
}

/**
 * `malformed` when every issue is text that is not well-formed Unicode (issue 13: such text would
 * not read back as it was hashed), `invalid_request` otherwise.
 */
function validationCode(error: unknown): ProblemCode {
  const issues = (error as { issues?: { params?: { problem?: unknown } }[] })?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return "invalid_request";
  return issues.every((issue) => issue.params?.problem === MALFORMED_ISSUE.problem)
    ? "malformed"
    : "invalid_request";
}

/** How a store refusal reads over HTTP. Codes not listed here are bugs and become 500 `internal`. */
const STORE_ERROR_RESPONSES: Readonly<Record<string, { status: number; code: ProblemCode }>> = {
  invalid: { status: 400, code: "invalid_request" },
  not_found: { status: 404, code: "not_found" },
  conflict: { status: 409, code: "conflict" },
  agent_id_lookalike: { status: 409, code: "agent_id_lookalike" },
  agent_key_in_use: { status: 409, code: "agent_key_in_use" },
  approval_limit: { status: 429, code: "approval_limit" },
  revoked: { status: 403, code: "revoked" },
  busy: { status: 503, code: "busy" },
};

/**
 * The code of a `StoreError`, recognized by shape rather than by class so that two copies of the
 * store module (or another backend) map the same way.
 */
function storeErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== "StoreError") return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Sets a header on a response already made. Hono's `c.header` at that point re-creates the
 * response around its body as a stream, which costs every request a stream copy (and, on
 * @hono/node-server, its fast path for string bodies); setting it in place does not. A response
 * whose headers are immutable (one from `fetch`) takes `fallback`.
 */
function setResponseHeader(response: Response, name: string, value: string, fallback: () => void): void {
  try {
    response.headers.set(name, value);
  } catch {
    fallback();
  }
}

/** Converts anything thrown by a handler into a problem response; unknown errors say nothing. */
function errorResponse(ctx: ServiceContext, thrown: unknown, c: Context<ServiceEnv>): Response {
  const requestId = c.get("requestId");
  // The token endpoint answers OAuth clients, in RFC 6749 §5.2 JSON rather than problem+json.
  if (c.req.path === TOKEN_ENDPOINT_PATH) {
    const refusal = oauthErrorFrom(thrown);
    if (refusal === undefined) ctx.logger.error({ err: thrown, requestId }, "unhandled error");
    const response = oauthErrorResponse(refusal ?? oauthServerError());
    // The rest of an oversized body is never read, so the connection cannot carry another request.
    if (thrown instanceof ProblemError && thrown.status === 413) response.headers.set("connection", "close");
    return response;
  }
  // A use case's refusal not already mapped by its route: an agent endpoint's challenge.
  const error = thrown instanceof UseCaseError ? problemOf(thrown) : thrown;
  if (error instanceof ProblemError) {
    const headers: Record<string, string> = { ...error.headers };
    // Every 401 carries a challenge (RFC 9110 §11.6.1); the ones thrown say which. This fallback
    // only keeps a 401 someone forgot to build through challenges.ts from going out without one.
    if (error.status === 401 && headers["www-authenticate"] === undefined)
      headers["www-authenticate"] = challenge("bearer", "missing");
    // The rest of an oversized body is never read, so the connection cannot carry another request.
    if (error.status === 413) headers.connection = "close";
    return problemResponse(error, requestId, headers);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const code =
      status === 413
        ? "payload_too_large"
        : status === 415
          ? "unsupported_media_type"
          : status < 500
            ? "invalid_request"
            : "internal";
    const detail =
      status === 413
        ? "the body is too large"
        : status === 415
          ? "send the body as application/json"
          : status < 500
            ? error.message || "the request is malformed"
            : "internal error";
    return problemResponse(new ProblemError({ status: Math.min(status, 500), code, detail }), requestId);
  }
  const storeCode = storeErrorCode(error);
  const mapped = storeCode === undefined ? undefined : STORE_ERROR_RESPONSES[storeCode];
  if (mapped !== undefined) {
    const response = problemResponse(
      new ProblemError({ status: mapped.status, code: mapped.code, detail: (error as Error).message }),
      requestId,
    );
    // A write that could not get the database lock in time wrote nothing and is safe to retry.
    if (storeCode === "busy") response.headers.set("Retry-After", "1");
    return response;
  }
  ctx.logger.error({ err: error, requestId }, "unhandled error");
  return problemResponse(
    new ProblemError({ status: 500, code: "internal", detail: "internal error" }),
    requestId,
  );
}

/**
 * Builds the token service app. Expects the operator token hash and signing keys to be in the
 * store already (see `prepareStore`).
 *
 * @example
 * const app = createApp({ store, config, clock: () => Math.floor(Date.now() / 1000), signingKeys, logger });
 * const response = await app.request("/healthz");
 */
export function createApp(deps: AppDeps): ServiceApp {
  const ctx = new ServiceContext(deps);
  const app: ServiceApp = new OpenAPIHono<ServiceEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ProblemError({
          status: 400,
          code: validationCode(result.error),
          detail: validationMessage(result.error),
        });
      }
      return undefined;
    },
  });

  app.use("*", async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    const started = performance.now();
    await next();
    // AuthZEN PEPs correlate by their own ids, whatever their shape; the log keeps a safe one.
    const echoed =
      incoming !== undefined && c.req.path.startsWith("/access/") && ECHOED_REQUEST_ID.test(incoming)
        ? incoming
        : requestId;
    setResponseHeader(c.res, "x-request-id", echoed, () => c.header("x-request-id", echoed));
    ctx.logger.info(
      {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  });
  const limitBody = (maxSize: number): MiddlewareHandler<ServiceEnv> => {
    const tooLarge = (): never => {
      throw new ProblemError({
        status: 413,
        code: "payload_too_large",
        detail: `the body is over ${maxSize} bytes`,
      });
    };
    const limit = bodyLimit({ maxSize, onError: tooLarge });
    // On Node, a JSON body of declared length is read from the message itself (node-body.ts).
    return (c, next) => (takeNodeJsonBody(c, maxSize, tooLarge) ? next() : limit(c, next));
  };
  const defaultLimit = limitBody(MAX_BODY_BYTES);
  // Decision reports come in batches (the verifier's sink sends up to 100 per request), so their
  // endpoint takes more; the batch size itself is bounded by the schema.
  const reportLimit = limitBody(MAX_REPORT_BODY_BYTES);
  app.use("*", (c, next) =>
    c.req.path === "/v1/decisions" && c.req.method === "POST" ? reportLimit(c, next) : defaultLimit(c, next),
  );

  app.onError((error, c) => errorResponse(ctx, error, c));
  app.notFound((c) =>
    problemResponse(
      new ProblemError({
        status: 404,
        code: "not_found",
        detail: `no route for ${c.req.method} ${c.req.path}`,
      }),
      c.get("requestId"),
    ),
  );

  registerPublicRoutes(app, ctx);
  registerStatusListRoutes(app, ctx);
  registerOperatorRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  registerToolServerRoutes(app, ctx);
  registerOAuthRoutes(app, ctx);
  registerAuthzenRoutes(app, ctx);
  registerInvestigationRoutes(app, ctx);
  registerGraphRoutes(app, ctx);
  registerInspector(app);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Baton token service",
      version: "1.0.0",
      description:
        "Issues attenuated, key-bound delegation tokens, re-authorizes chains, and keeps the delegation graph and decision log.",
    },
    servers: [{ url: deps.config.issuer }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "operator", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "audienceSecret", {
    type: "http",
    scheme: "bearer",
  });
  // The chain is a DPoP-bound access token in the standard scheme (RFC 9449 §7.1), so OpenAPI's
  // `http` type names it like any other registered scheme.
  app.openAPIRegistry.registerComponent("securitySchemes", "batonChain", {
    type: "http",
    scheme: "DPoP",
    description:
      "Authorization: DPoP <t0>~<t1>~…~<tn> (the chain, root first), with a DPoP proof (RFC 9449) by the leaf holder's key in the DPoP header: typ dpop+jwt, alg Ed25519 or EdDSA, jwk its OKP Ed25519 key, ath the SHA-256 of the chain. A chain sent as Bearer is refused (pop_missing).",
  });
  return app;
}
