/**
 * Investigation routes (operator): trace one delegation through the graph, and page through the
 * decision log. "Who let this agent do that, through whom, and what else did they let through?"
 */
import {
  EXPORT_MEDIA_TYPES,
  explain,
  exportMatchingDecisions,
  findDecisions,
  trace,
  withHops,
} from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../auth.ts";
import { errorResponses, jsonResponse, notFound, type ServiceApp, z } from "../openapi.ts";
import { problems } from "../problem.ts";
import {
  AnyObjectSchema,
  DecisionExportQuery,
  DecisionIdParam,
  DecisionQuerySchema,
  DidParam,
} from "../schemas.ts";
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
      "one page, each decision with `hop` (its subject, else the presented leaf); pass next as cursor",
    ),
    ...errorResponses,
  },
});

const explanationRoute = createRoute({
  method: "get",
  path: "/v1/decisions/{id}/explanation",
  tags: ["investigation"],
  summary:
    "Why was this allowed (or denied)? The proof of an allow hop by hop, or the first failing hop of a refusal",
  security,
  request: { params: DecisionIdParam },
  responses: {
    200: jsonResponse(
      z
        .object({
          decision: AnyObjectSchema,
          question: z.string(),
          summary: z.string(),
          hops: z.array(AnyObjectSchema),
          firstFailingHop: z.number().int().nullable(),
          chainFailures: z.array(AnyObjectSchema),
          policies: z.array(z.string()),
          policyText: z.string(),
          task: AnyObjectSchema.nullable(),
        })
        .openapi("Explanation"),
      "the explanation",
    ),
    404: notFound,
    ...errorResponses,
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/v1/decisions/export",
  tags: ["investigation"],
  summary: "The decisions matching a search, oldest first, as JSON Lines or CSV (spreadsheet-safe)",
  security,
  request: { query: DecisionExportQuery },
  responses: {
    200: {
      description:
        "the file; `x-baton-exported` counts the rows and `x-baton-truncated: true` says the export stopped at its limit",
      content: {
        [EXPORT_MEDIA_TYPES.jsonl]: { schema: z.string() },
        [EXPORT_MEDIA_TYPES.csv]: { schema: z.string() },
      },
    },
    ...errorResponses,
  },
});

/** Registers the investigation routes. */
export function registerInvestigationRoutes(app: ServiceApp, ctx: ServiceContext): void {
  operatorOnly(app, ctx, "GET", [
    "/v1/delegations/:did",
    "/v1/decisions",
    "/v1/decisions/export",
    "/v1/decisions/:id/explanation",
  ]);
  app.openapi(traceRoute, async (c) => {
    const { did } = c.req.valid("param");
    return c.json(await trace(ctx.useCases, did), 200);
  });

  app.openapi(decisionsRoute, async (c) => {
    const query = c.req.valid("query");
    if (query.q !== undefined) {
      if (query.agent !== undefined || query.path !== undefined)
        throw problems.invalid("q cannot be combined with agent or path: write the actor in q as agent:<id>");
      const found = await findDecisions(ctx.useCases, {
        q: query.q,
        task: query.task,
        did: query.did,
        limit: query.limit ?? 100,
        cursor: query.cursor,
        order: query.order,
      });
      return c.json({ items: withHops(found.items), next: found.next }, 200);
    }
    const page = await ctx.store.queryDecisions({
      limit: query.limit ?? 100,
      ...(query.task === undefined ? {} : { task: query.task }),
      ...(query.agent === undefined ? {} : { agent: query.agent }),
      ...(query.did === undefined ? {} : { did: query.did }),
      ...(query.path === undefined ? {} : { path: query.path }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.order === undefined ? {} : { order: query.order }),
    });
    return c.json({ items: withHops(page.items), next: page.next }, 200);
  });

  app.openapi(exportRoute, async (c) => {
    const query = c.req.valid("query");
    const file = await exportMatchingDecisions(ctx.useCases, {
      q: query.q ?? "",
      task: query.task,
      did: query.did,
      format: query.format,
    });
    c.header("content-type", EXPORT_MEDIA_TYPES[query.format]);
    c.header(
      "content-disposition",
      `attachment; filename="decisions${query.task === undefined ? "" : `-${query.task}`}.${query.format}"`,
    );
    c.header("x-baton-exported", String(file.count));
    if (file.truncated) c.header("x-baton-truncated", "true");
    return c.body(file.body, 200);
  });

  app.openapi(explanationRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await explain(ctx.useCases, id), 200);
  });
}
