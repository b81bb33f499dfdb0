/**
 * Routes an agent calls with its chain and a DPoP proof: issue one hop, revalidate, revoke below
 * itself, complete its task. Revocation and completion also accept the operator token. Each
 * handler parses, calls its use case (@baton/core, which logs every decision) and maps the answer.
 */

import { type ActingParty, complete, delegate, revalidate, revoke } from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentPresentation, hasOperatorBearer, requireOperator } from "../auth.ts";
import {
  conflict,
  errorResponses,
  forbidden,
  jsonBody,
  jsonResponse,
  notFound,
  type ServiceApp,
} from "../openapi.ts";
import {
  ChainSchema,
  DelegationBody,
  IssuedSchema,
  RevocationBody,
  RevokedCountSchema,
  RevokedListSchema,
  TaskParam,
} from "../schemas.ts";
import type { ServiceContext } from "../service-context.ts";
import { answering, presentation } from "../use-case-answers.ts";

const agentSecurity = [{ batonChain: [] }];

const delegationRoute = createRoute({
  method: "post",
  path: "/v1/delegations",
  tags: ["agent"],
  summary: "Issue one hop below the presented chain",
  security: agentSecurity,
  request: { body: jsonBody(DelegationBody) },
  responses: {
    201: jsonResponse(IssuedSchema, "issued; chain is the delegate's whole chain"),
    403: forbidden,
    404: notFound,
    ...errorResponses,
  },
});

const revalidateRoute = createRoute({
  method: "post",
  path: "/v1/revalidate",
  tags: ["agent"],
  summary: "Re-authorize the presented chain now and re-issue the tokens that are due",
  security: agentSecurity,
  responses: {
    200: jsonResponse(ChainSchema, "the chain, re-issued where due"),
    403: forbidden,
    ...errorResponses,
  },
});

const revocationRoute = createRoute({
  method: "post",
  path: "/v1/revocations",
  tags: ["agent", "operator"],
  summary: "Revoke a delegation (with its subtree), an agent's delegations, or a task",
  security: [{ operator: [] }, { batonChain: [] }],
  request: { body: jsonBody(RevocationBody) },
  responses: {
    200: jsonResponse(RevokedListSchema, "revoked"),
    403: forbidden,
    404: notFound,
    ...errorResponses,
  },
});

const completeRoute = createRoute({
  method: "post",
  path: "/v1/tasks/{id}/complete",
  tags: ["agent", "operator"],
  summary: "Close a task and revoke its whole tree",
  security: [{ operator: [] }, { batonChain: [] }],
  request: { params: TaskParam },
  responses: {
    200: jsonResponse(RevokedCountSchema, "completed"),
    403: forbidden,
    404: notFound,
    409: conflict,
    ...errorResponses,
  },
});

/** The operator (its bearer token checked here) or the agent presenting its chain. */
async function actingParty(c: Context, ctx: ServiceContext): Promise<ActingParty> {
  if (!hasOperatorBearer(c)) return { kind: "agent", presentation: presentation(c, ctx, "bearer_or_agent") };
  await requireOperator(c, ctx, "bearer_or_agent");
  return { kind: "operator" };
}

/** Registers the agent routes. */
export function registerAgentRoutes(app: ServiceApp, ctx: ServiceContext): void {
  // A request without the credentials an endpoint takes is a 401 with its challenge before the
  // body is validated, as on the operator routes. (The chain and proof are checked in the handler,
  // which logs a refusal.)
  for (const path of ["/v1/delegations", "/v1/revalidate"]) {
    app.on("POST", path, async (c, next) => {
      agentPresentation(c);
      await next();
    });
  }
  for (const path of ["/v1/revocations", "/v1/tasks/:id/complete"]) {
    app.on("POST", path, async (c, next) => {
      if (hasOperatorBearer(c)) await requireOperator(c, ctx, "bearer_or_agent");
      else agentPresentation(c, "bearer_or_agent");
      await next();
    });
  }
  app.openapi(delegationRoute, async (c) => {
    const body = c.req.valid("json");
    const issued = await delegate(ctx.useCases, presentation(c, ctx), body);
    return c.json(issued, 201);
  });

  app.openapi(revalidateRoute, async (c) => {
    const revalidated = await revalidate(ctx.useCases, presentation(c, ctx));
    return c.json(revalidated, 200);
  });

  app.openapi(revocationRoute, async (c) => {
    const body = c.req.valid("json");
    const by = await actingParty(c, ctx);
    const { revoked } = await answering("bearer_or_agent", () => revoke(ctx.useCases, by, body));
    return c.json({ revoked: [...revoked] }, 200);
  });

  app.openapi(completeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const by = await actingParty(c, ctx);
    const completed = await answering("bearer_or_agent", () => complete(ctx.useCases, by, id));
    return c.json(completed, 200);
  });
}
