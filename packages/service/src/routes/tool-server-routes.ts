/**
 * Tool-server routes: online verification of a presented chain for one call, and reports of
 * decisions made offline by the verifier library. Both take the tool server's audience secret
 * (which fixes the audience) or the operator token. A deny is a 200 with `decision: "deny"`.
 */

import { type DecisionReportEntry, type ReportEntry, report, verify } from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import { requireToolServerOrOperator } from "../auth.ts";
import { errorResponses, forbidden, jsonBody, jsonResponse, type ServiceApp, tooLarge } from "../openapi.ts";
import {
  DecisionReportSchema,
  DecisionsAcceptedSchema,
  DecisionsBody,
  VerifyBody,
  VerifyDecisionSchema,
} from "../schemas.ts";
import type { ServiceContext } from "../service-context.ts";

const security = [{ audienceSecret: [] }, { operator: [] }];

const verifyRoute = createRoute({
  method: "post",
  path: "/v1/verify",
  tags: ["tool server"],
  summary: "Re-authorize a presented chain for one call, now",
  security,
  request: { body: jsonBody(VerifyBody) },
  responses: {
    200: jsonResponse(
      VerifyDecisionSchema,
      "the decision (allow, deny or step_up); a step_up names the pending approval",
    ),
    403: forbidden,
    413: tooLarge,
    ...errorResponses,
  },
});

const decisionsRoute = createRoute({
  method: "post",
  path: "/v1/decisions",
  tags: ["tool server"],
  summary: "Report decisions made offline by a tool server's verifier",
  security,
  request: { body: jsonBody(DecisionsBody) },
  responses: {
    200: jsonResponse(
      DecisionsAcceptedSchema,
      "each report checked on its own: how many were appended, and why each other one was refused",
    ),
    403: forbidden,
    413: tooLarge,
    ...errorResponses,
  },
});

/** Each entry of a batch parsed on its own: a report to judge, or why it cannot be read. */
function parsedEntries(decisions: readonly unknown[]): ReportEntry[] {
  return decisions.map((entry) => {
    const parsed = DecisionReportSchema.safeParse(entry);
    if (parsed.success) return { ok: true, report: parsed.data as DecisionReportEntry };
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    return { ok: false, code: "malformed", message: `${where}${issue?.message ?? "not a decision report"}` };
  });
}

/** Registers the tool-server routes. */
export function registerToolServerRoutes(app: ServiceApp, ctx: ServiceContext): void {
  for (const path of ["/v1/verify", "/v1/decisions"]) {
    app.on("POST", path, async (c, next) => {
      c.set("caller", await requireToolServerOrOperator(c, ctx));
      await next();
    });
  }
  app.openapi(verifyRoute, async (c) => {
    const body = c.req.valid("json");
    return c.json(await verify(ctx.useCases, c.get("caller"), body), 200);
  });

  app.openapi(decisionsRoute, async (c) => {
    const { decisions } = c.req.valid("json");
    return c.json(await report(ctx.useCases, c.get("caller"), parsedEntries(decisions)), 200);
  });
}
