/**
 * Investigation routes (operator): trace one delegation through the graph, and page through the
 * decision log. "Who let this agent do that, through whom, and what else did they let through?"
 */
import { trace } from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../auth.ts";
import { errorResponses, jsonResponse, notFound, type ServiceApp, z } from "../openapi.ts";
import { AnyObjectSchema, DecisionQuerySchema, DidParam } from "../schemas.ts";
import type { ServiceContext } from "../service-context.ts";

const security = [{ operator: [] }];

const traceRoute = createRoute({
  method: "get",
  path: "/v1/delegations/{did}",
  tags: ["investigation"],
  summary: "Trace a delegation: its ancestors, descendants, token versions and decisions",
  security,
  request: { params: DidParam },
  responses: {
    200: jsonResponse(
      z
        .object({
          delegation: AnyObjectSchema,
          ancestors: z.array(AnyObjectSchema),
          descendants: z.array(AnyObjectSchema),
          versions: z.array(AnyObjectSchema),
          decisions: z.array(AnyObjectSchema),
          decisionsNext: z.number().int().nullable().openapi({
            description:
              "null when every decision of the path is in `decisions`; else pass it as `cursor` to GET /v1/decisions?path={did}",
          }),
        })
        .openapi("Trace"),
      "the trace",
    ),
    404: notFound,
    ...errorResponses,
  },
});

const decisionsRoute = createRoute({
  method: "get",
  path: "/v1/decisions",
  tags: ["investigation"],
  summary: "Page through the decision log, newest first",
  security,
  request: { query: DecisionQuerySchema },
  responses: {
    200: jsonResponse(
      z
        .object({ items: z.array(AnyObjectSchema), next: z.number().int().nullable() })
        .openapi("DecisionPage"),
      "one page; pass next as cursor",
    ),
    ...errorResponses,
  },
});

/** Registers the investigation routes. */
export function registerInvestigationRoutes(app: ServiceApp, ctx: ServiceContext): void {
  operatorOnly(app, ctx, "GET", ["/v1/delegations/:did", "/v1/decisions"]);
  app.openapi(traceRoute, async (c) => {
    const { did } = c.req.valid("param");
    return c.json(await trace(ctx.useCases, did), 200);
  });

  app.openapi(decisionsRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await ctx.store.queryDecisions({
      limit: query.limit ?? 100,
      ...(query.task === undefined ? {} : { task: query.task }),
      ...(query.agent === undefined ? {} : { agent: query.agent }),
      ...(query.did === undefined ? {} : { did: query.did }),
      ...(query.path === undefined ? {} : { path: query.path }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.order === undefined ? {} : { order: query.order }),
    });
    return c.json({ items: page.items, next: page.next }, 200);
  });
}
