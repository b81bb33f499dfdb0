/**
 * Operator routes: register and disable agents, register audiences, grant root delegations, and
 * decide step-up approvals. All take `Authorization: Bearer <operator token>`, and each appends a
 * decision in the same transaction as its write.
 */

import { decideApproval, disableAgent, grant, registerAgent, registerAudience } from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../auth.ts";
import {
  conflict,
  errorResponses,
  forbidden,
  jsonBody,
  jsonResponse,
  notFound,
  type ServiceApp,
  tooLarge,
  z,
} from "../openapi.ts";
import {
  AgentParam,
  AnyObjectSchema,
  ApprovalParam,
  ApprovalsQuery,
  AudienceBody,
  DisableAgentBody,
  GrantBody,
  IssuedGrantSchema,
  RegisterAgentBody,
  RevokedListSchema,
} from "../schemas.ts";
import { generateAudienceSecret, hashSecret } from "../secrets.ts";
import type { ServiceContext } from "../service-context.ts";

const security = [{ operator: [] }];

const registerAgentRoute = createRoute({
  method: "post",
  path: "/v1/agents",
  tags: ["operator"],
  summary: "Register an agent and its Ed25519 public key",
  security,
  request: { body: jsonBody(RegisterAgentBody) },
  responses: {
    201: jsonResponse(z.object({ id: z.string(), jkt: z.string() }).openapi("RegisteredAgent"), "registered"),
    409: conflict,
    413: tooLarge,
    ...errorResponses,
  },
});

const disableAgentRoute = createRoute({
  method: "post",
  path: "/v1/agents/{id}/disable",
  tags: ["operator"],
  summary: "Disable an agent and revoke every delegation it holds or made",
  security,
  request: { params: AgentParam, body: { ...jsonBody(DisableAgentBody), required: false } },
  responses: { 200: jsonResponse(RevokedListSchema, "disabled"), 404: notFound, ...errorResponses },
});

const audienceRoute = createRoute({
  method: "post",
  path: "/v1/audiences",
  tags: ["operator"],
  summary: "Register a tool server's audience; its bearer secret is returned once",
  security,
  request: { body: jsonBody(AudienceBody) },
  responses: {
    201: jsonResponse(
      z.object({ id: z.string(), secret: z.string() }).openapi("RegisteredAudience"),
      "registered",
    ),
    409: conflict,
    ...errorResponses,
  },
});

const grantRoute = createRoute({
  method: "post",
  path: "/v1/grants",
  tags: ["operator"],
  summary: "Grant a root delegation to an agent for a new task",
  security,
  request: { body: jsonBody(GrantBody) },
  responses: {
    201: jsonResponse(IssuedGrantSchema, "granted"),
    403: forbidden,
    404: notFound,
    409: conflict,
    ...errorResponses,
  },
});

const approvalsRoute = createRoute({
  method: "get",
  path: "/v1/approvals",
  tags: ["operator"],
  summary: "List step-up approval requests",
  security,
  request: { query: ApprovalsQuery },
  responses: {
    200: jsonResponse(z.object({ items: z.array(AnyObjectSchema) }), "approvals"),
    ...errorResponses,
  },
});

const decideRoute = (decision: "approve" | "deny") =>
  createRoute({
    method: "post",
    path: `/v1/approvals/{id}/${decision}`,
    tags: ["operator"],
    summary: decision === "approve" ? "Approve a pending step-up request" : "Deny a pending step-up request",
    security,
    request: { params: ApprovalParam },
    responses: {
      200: jsonResponse(AnyObjectSchema, "decided"),
      404: notFound,
      409: conflict,
      ...errorResponses,
    },
  });

/** Registers the operator routes. */
export function registerOperatorRoutes(app: ServiceApp, ctx: ServiceContext): void {
  // Authenticate before the body is validated, so an anonymous caller learns nothing from errors.
  operatorOnly(app, ctx, "POST", ["/v1/agents", "/v1/agents/:id/disable", "/v1/audiences", "/v1/grants"]);
  operatorOnly(app, ctx, "POST", ["/v1/approvals/:id/approve", "/v1/approvals/:id/deny"]);
  operatorOnly(app, ctx, "GET", ["/v1/approvals"]);
  app.openapi(registerAgentRoute, async (c) => {
    const agent = await registerAgent(ctx.useCases, c.req.valid("json"));
    return c.json({ id: agent.id, jkt: agent.jkt }, 201);
  });

  app.openapi(disableAgentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") as { reason?: string };
    return c.json(await disableAgent(ctx.useCases, id, body.reason), 200);
  });

  app.openapi(audienceRoute, async (c) => {
    const body = c.req.valid("json");
    // The secret is shown once, here; the service keeps only its hash.
    const secret = generateAudienceSecret(body.id);
    await registerAudience(ctx.useCases, { ...body, secretHash: hashSecret(secret) });
    c.header("cache-control", "no-store");
    return c.json({ id: body.id, secret }, 201);
  });

  app.openapi(grantRoute, async (c) => {
    const granted = await grant(ctx.useCases, c.req.valid("json"));
    return c.json(granted, 201);
  });

  app.openapi(approvalsRoute, async (c) => {
    const query = c.req.valid("query");
    const items = await ctx.store.listApprovals({
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
    return c.json({ items }, 200);
  });

  for (const answer of ["approve", "deny"] as const) {
    app.openapi(decideRoute(answer), async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await decideApproval(ctx.useCases, id, answer), 200);
    });
  }
}
