/**
 * Token Status Lists (draft-ietf-oauth-status-list-20): `GET /v1/status-lists/{n}` serves list
 * `n` as a signed `application/statuslist+jwt`, whose bit `i` is 1 when the delegation holding
 * entry `i` is revoked. Anyone may read it, as anyone may read the revocation feed.
 */
import { statusList } from "@baton/core";
import { STATUS_LIST_MEDIA_TYPE } from "@baton/token";
import { createRoute } from "@hono/zod-openapi";
import { errorResponses, notFound, type ServiceApp, z } from "../openapi.ts";
import type { ServiceContext } from "../service-context.ts";
import { answering } from "../use-case-answers.ts";

const StatusListParam = z.strictObject({
  n: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,11})$/, "must be a list number: a non-negative integer without leading zeros")
    .openapi({ param: { name: "n", in: "path" }, example: "0" }),
});

const statusListRoute = createRoute({
  method: "get",
  path: "/v1/status-lists/{n}",
  tags: ["public"],
  summary: "Token Status List n, signed (draft-ietf-oauth-status-list)",
  description:
    "A JWT with header typ statuslist+jwt and claims sub (this list's URI), iat, exp, ttl and status_list {bits: 1, lst}: " +
    "lst is base64url of the ZLIB-deflated bits, least significant bit first; 1 means the delegation is revoked. " +
    "Every token the service issues names its entry in status.status_list {idx, uri}.",
  request: { params: StatusListParam },
  responses: {
    200: {
      description: "the signed status list",
      content: { [STATUS_LIST_MEDIA_TYPE]: { schema: z.string().openapi({ example: "eyJhbGciOi…" }) } },
    },
    404: { ...notFound, description: "status_list_not_found: no list with that number has been opened" },
    ...errorResponses,
  },
});

/** Registers the status list route. */
export function registerStatusListRoutes(app: ServiceApp, ctx: ServiceContext): void {
  app.openapi(statusListRoute, async (c) => {
    const n = Number(c.req.valid("param").n);
    const token = await answering("agent", () => statusList(ctx.useCases, n));
    // The list is re-signed on every read; a relying party caches it for its `ttl` itself.
    c.header("cache-control", "no-cache");
    return c.body(token, 200, { "content-type": STATUS_LIST_MEDIA_TYPE });
  });
}
