/**
 * Routes anyone may call: the JWKS, the health check, and the revocation feed that offline
 * verifiers follow (`followRevocationFeed` pages with `since` = the previous page's `next`).
 * The anonymous feed carries only what a verifier needs (issue 13): revocation reasons are
 * operators' notes and are shown only to a caller with the operator token.
 */
import { createRoute } from "@hono/zod-openapi";
import { hasBearer, requireOperator } from "../auth.ts";
import { errorResponses, jsonResponse, type ServiceApp, z } from "../openapi.ts";
import { FeedSchema, RevocationFeedQuery } from "../schemas.ts";
import type { ServiceContext } from "../service-context.ts";

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["public"],
  summary: "The service's public keys (active and recently retired)",
  responses: {
    200: jsonResponse(
      z.object({ keys: z.array(z.record(z.string(), z.string())) }).openapi("Jwks"),
      "the JWKS",
    ),
    ...errorResponses,
  },
});

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["public"],
  summary: "Liveness and store status",
  responses: {
    200: jsonResponse(z.object({ ok: z.boolean() }).passthrough(), "healthy"),
    503: jsonResponse(z.object({ ok: z.boolean() }).passthrough(), "the store is not healthy"),
    ...errorResponses,
  },
});

const feedRoute = createRoute({
  method: "get",
  path: "/v1/revocations",
  tags: ["public"],
  summary: "The revocation feed: revoked dids after sequence `since`",
  description:
    "Anyone may read it. With the operator token (Authorization: Bearer) each item also carries its reason.",
  request: { query: RevocationFeedQuery },
  responses: {
    200: jsonResponse(FeedSchema, "one page of the feed; next is null when caught up"),
    ...errorResponses,
  },
});

/** Registers the public routes. */
export function registerPublicRoutes(app: ServiceApp, ctx: ServiceContext): void {
  app.openapi(jwksRoute, (c) => {
    c.header("cache-control", "public, max-age=60");
    return c.json(ctx.signingKeys.jwks(ctx.now()), 200);
  });

  app.openapi(healthRoute, async (c) => {
    try {
      const store = await ctx.store.health();
      return c.json({ ok: store.ok, store, signingKey: ctx.signingKeys.active().kid }, store.ok ? 200 : 503);
    } catch (error) {
      ctx.logger.error({ err: error }, "health check failed");
      return c.json({ ok: false }, 503);
    }
  });

  app.openapi(feedRoute, async (c) => {
    const query = c.req.valid("query");
    // A credential that is sent must be right: a wrong one is a 401, never a silent public view.
    const withReasons = hasBearer(c);
    if (withReasons) await requireOperator(c, ctx);
    const page = await ctx.store.revocationsSince(query.since ?? 0, query.limit ?? 1000);
    c.header("cache-control", "no-store");
    return c.json(
      {
        epoch: page.epoch,
        items: page.items.map(({ seq, did, at, reason }) =>
          withReasons ? { seq, did, at, reason } : { seq, did, at },
        ),
        next: page.next,
        head: page.head,
      },
      200,
    );
  });
}
