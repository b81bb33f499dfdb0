/**
 * Tool-server routes: online verification of a presented chain for one call, and reports of
 * decisions made offline by the verifier library. Both take the tool server's audience secret
 * (which fixes the audience) or the operator token. A deny is a 200 with `decision: "deny"`.
 */

import type { DecisionInput } from "@baton/store";
import { type PolicyHook, type Reason, verifyPresentation } from "@baton/verifier";
import { createRoute } from "@hono/zod-openapi";
import { requireToolServerOrOperator } from "../auth.ts";
import {
  errorResponses,
  forbidden,
  jsonBody,
  jsonResponse,
  type ServiceApp,
  tooLarge,
  z,
} from "../openapi.ts";
import { ProblemError } from "../problem.ts";
import { DecisionsBody, VerifyBody, VerifyDecisionSchema } from "../schemas.ts";
import { type ServiceContext, storeReasons } from "../service-context.ts";
import { recordApprovalRequest } from "./agent-routes.ts";

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
      z.object({ accepted: z.number().int() }).openapi("DecisionsAccepted"),
      "appended to the decision log",
    ),
    403: forbidden,
    413: tooLarge,
    ...errorResponses,
  },
});

function wrongAudience(audience: string): ProblemError {
  return new ProblemError({
    status: 403,
    code: "forbidden",
    detail: `this audience secret is not for audience ${audience}`,
  });
}

/** Registers the tool-server routes. */
export function registerToolServerRoutes(app: ServiceApp, ctx: ServiceContext): void {
  for (const path of ["/v1/verify", "/v1/decisions"]) {
    app.on("POST", path, async (c, next) => {
      c.set("caller", requireToolServerOrOperator(c, ctx));
      await next();
    });
  }
  app.openapi(verifyRoute, (c) => {
    const caller = c.get("caller");
    const body = c.req.valid("json");
    if (caller.kind === "audience" && caller.audience !== body.audience) throw wrongAudience(body.audience);
    const now = ctx.now();
    // Policy sees what the graph knows about the task (intent, age, business hours) besides what
    // the tool server declared; the graph's facts win.
    const withTaskFacts: PolicyHook = (input) => {
      const task = input.hops[0]?.tsk;
      return ctx.policy(
        task === undefined ? input : { ...input, context: { ...input.context, ...ctx.taskFacts(task) } },
      );
    };
    const decision = verifyPresentation(
      {
        chain: body.chain,
        proof: body.proof,
        method: (body.htm ?? "").toUpperCase(),
        url: body.htu ?? "",
        action: body.action,
        resource: body.resource,
        ...(body.args === undefined ? {} : { args: body.args }),
        ...(body.context === undefined ? {} : { context: body.context }),
      },
      {
        ...ctx.chainEnvironment(now),
        audience: body.audience,
        replayCache: ctx.replayCache,
        proofMaxAgeSeconds: ctx.config.proofMaxAge,
        policy: withTaskFacts,
      },
    );
    const leaf = decision.chain[decision.chain.length - 1];
    if (decision.decision === "step_up" && leaf !== undefined && decision.task !== null) {
      // The approval is for this call by this delegation; the step_up decision is logged with it.
      const reason: Reason = decision.reasons[0] ?? {
        hop: null,
        code: "step_up_required",
        message: "an operator must approve this call",
      };
      const approval = recordApprovalRequest(ctx, {
        now,
        kind: "verify",
        leaf: { did: leaf.did, sub: leaf.sub, tsk: decision.task, jti: leaf.jti },
        action: body.action,
        resource: body.resource,
        reason,
        audience: body.audience,
        detail: {
          by: caller.kind === "operator" ? "operator" : caller.audience,
          chain: decision.chain.map((entry) => entry.did),
        },
      });
      return c.json({ ...decision, approval }, 200);
    }
    ctx.audit({
      at: now,
      kind: "verify",
      decision: decision.decision,
      ...(decision.task === null ? {} : { task: decision.task }),
      ...(leaf === undefined ? {} : { did: leaf.did, jti: leaf.jti, agent: leaf.sub }),
      audience: body.audience,
      action: body.action.slice(0, 512),
      resource: body.resource.slice(0, 512),
      reasons: storeReasons(decision.reasons),
      detail: {
        by: caller.kind === "operator" ? "operator" : caller.audience,
        chain: decision.chain.map((entry) => entry.did),
      },
    });
    return c.json(decision, 200);
  });

  app.openapi(decisionsRoute, (c) => {
    const caller = c.get("caller");
    const { decisions } = c.req.valid("json");
    if (caller.kind === "audience") {
      const other = decisions.find((report) => report.audience !== caller.audience);
      if (other !== undefined) throw wrongAudience(other.audience);
    }
    const now = ctx.now();
    // One commit for the whole batch: it is logged entirely or not at all.
    ctx.auditAll(
      decisions.map((report): DecisionInput => {
        const leaf = report.decision.chain[report.decision.chain.length - 1];
        return {
          // The log's own clock orders its rows; the tool server's time of decision goes in detail.
          at: now,
          kind: "report",
          decision: report.decision.decision,
          ...(report.decision.task === null ? {} : { task: report.decision.task }),
          ...(leaf === undefined ? {} : { did: leaf.did, jti: leaf.jti, agent: leaf.sub }),
          audience: report.audience,
          action: report.action,
          resource: report.resource,
          reasons: storeReasons(report.decision.reasons),
          detail: {
            reported: true,
            decidedAt: report.at,
            by: caller.kind === "operator" ? "operator" : caller.audience,
            method: report.method,
            path: report.path,
            chain: report.decision.chain.map((entry) => entry.did),
          },
        };
      }),
    );
    return c.json({ accepted: decisions.length }, 200);
  });
}
