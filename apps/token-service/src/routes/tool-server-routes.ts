/**
 * Tool-server routes: online verification of a presented chain for one call, and reports of
 * decisions made offline by the verifier library. Both take the tool server's audience secret
 * (which fixes the audience) or the operator token. A deny is a 200 with `decision: "deny"`.
 */

import type { DecisionInput } from "@baton/store";
import { argsDigest, type Decision, type PolicyHook, type Reason, verifyPresentation } from "@baton/verifier";
import { createRoute } from "@hono/zod-openapi";
import { requireToolServerOrOperator } from "../auth.ts";
import { errorResponses, forbidden, jsonBody, jsonResponse, type ServiceApp, tooLarge } from "../openapi.ts";
import { ProblemError } from "../problem.ts";
import { checkReport } from "../report-checks.ts";
import {
  DecisionReportSchema,
  DecisionsAcceptedSchema,
  DecisionsBody,
  VerifyBody,
  VerifyDecisionSchema,
} from "../schemas.ts";
import { attribution, jsonDetail, type ServiceContext, storeReasons } from "../service-context.ts";
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
      DecisionsAcceptedSchema,
      "each report checked on its own: how many were appended, and why each other one was refused",
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

/** The reporter of a decision written on behalf of a tool server's audience. */
function audienceReporter(audience: string): string {
  return `audience:${audience}`;
}

/**
 * The log record of a verifier decision about one call: the actor and the presented chain as the
 * decision names them, the target (audience, action, resource, args digest) and the reasons. The
 * subject `did` is the leaf's, and only when the whole chain verified up to it.
 */
function callRecord(
  decision: Decision,
  fields: Pick<
    DecisionInput,
    "at" | "kind" | "reporter" | "audience" | "action" | "resource" | "argsDigest" | "detail"
  >,
): DecisionInput {
  const leaf = decision.chain.length === decision.presented.length ? decision.chain.at(-1) : undefined;
  return {
    ...fields,
    decision: decision.decision,
    ...(decision.task === null ? {} : { task: decision.task }),
    ...(leaf === undefined ? {} : { did: leaf.did, jti: leaf.jti }),
    ...attribution(decision),
    reasons: storeReasons(decision.reasons),
  };
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
    // The service decided, at the request of a tool server (or the operator).
    const record = callRecord(decision, {
      at: now,
      kind: "verify",
      reporter: "service",
      audience: body.audience,
      action: body.action.slice(0, 512),
      resource: body.resource.slice(0, 512),
      argsDigest: argsDigest(body.args),
      detail: { requestedBy: caller.kind === "operator" ? "operator" : audienceReporter(caller.audience) },
    });
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
        detail: record.detail as Record<string, unknown>,
        by: attribution(decision),
        ...(record.argsDigest === undefined ? {} : { argsDigest: record.argsDigest }),
      });
      return c.json({ ...decision, approval }, 200);
    }
    ctx.audit(record);
    return c.json(decision, 200);
  });

  app.openapi(decisionsRoute, (c) => {
    const caller = c.get("caller");
    const { decisions } = c.req.valid("json");
    const now = ctx.now();
    const refused: { index: number; code: string; message: string }[] = [];
    const accepted: { index: number; input: DecisionInput }[] = [];
    for (const [index, entry] of decisions.entries()) {
      const parsed = DecisionReportSchema.safeParse(entry);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
        refused.push({
          index,
          code: "malformed",
          message: `${where}${issue?.message ?? "not a decision report"}`,
        });
        continue;
      }
      const report = parsed.data;
      if (caller.kind === "audience" && report.audience !== caller.audience) {
        refused.push({ index, code: "forbidden", message: wrongAudience(report.audience).message });
        continue;
      }
      const problem = checkReport(report.decision as Decision, report.audience, (did) =>
        ctx.store.getDelegation(did),
      );
      if (problem !== undefined) {
        refused.push({ index, ...problem });
        continue;
      }
      accepted.push({
        index,
        input: callRecord(report.decision as Decision, {
          // The log's own clock orders its rows; the tool server's time of decision goes in detail.
          at: now,
          kind: "report",
          reporter: audienceReporter(report.audience),
          audience: report.audience,
          ...(report.action === undefined ? {} : { action: report.action }),
          ...(report.resource === undefined ? {} : { resource: report.resource }),
          ...(report.argsDigest === undefined ? {} : { argsDigest: report.argsDigest }),
          detail: jsonDetail({
            decidedAt: report.at,
            method: report.method,
            path: report.path,
            ...(report.pathTruncated === true ? { pathTruncated: true } : {}),
            ...(caller.kind === "operator" ? { submittedBy: "operator" } : {}),
          }),
        }),
      });
    }
    // Every accepted entry in one commit; the store's own checks can still refuse one alone.
    const outcomes = ctx.appendEach(accepted.map((entry) => entry.input));
    for (const [i, outcome] of outcomes.entries()) {
      if (!outcome.ok) {
        refused.push({ index: accepted[i]?.index ?? -1, code: "malformed", message: outcome.error.message });
      }
    }
    if (refused.length > 0) {
      ctx.logger.warn({ refused: refused.length, reporter: caller }, "refused decision reports");
    }
    refused.sort((a, b) => a.index - b.index);
    return c.json({ accepted: decisions.length - refused.length, refused }, 200);
  });
}
