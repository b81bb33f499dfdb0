/**
 * The OpenID AuthZEN 1.0 door (DESIGN.md, "Standard surfaces"; issue 20): a PEP asks "may this
 * subject do this action on this resource?" at `POST /access/v1/evaluation(s)` with its audience
 * secret, and Baton answers from the chain it verifies itself (the evaluate-access use case, which
 * is `POST /v1/verify` under another wire format), or from the access policy alone when the
 * question carries no chain. A deny is a 200 `{decision: false}`; PDP metadata is at
 * `/.well-known/authzen-configuration`.
 */
import { type AccessEvaluation, type AccessVerdict, evaluateAccess, UseCaseError } from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import { requireToolServerOrOperator } from "../auth.ts";
import {
  AuthzenEvaluationSchema,
  AuthzenEvaluationsSchema,
  type EvaluationsSemantic,
  parseEvaluation,
  parseEvaluations,
  readJsonBody,
} from "../authzen-request.ts";
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
import type { ServiceContext } from "../service-context.ts";

export const EVALUATION_PATH = "/access/v1/evaluation";
export const EVALUATIONS_PATH = "/access/v1/evaluations";
export const AUTHZEN_METADATA_PATH = "/.well-known/authzen-configuration";

/** One AuthZEN decision as it goes on the wire. */
export interface AuthzenDecision {
  readonly decision: boolean;
  readonly context?: Record<string, unknown>;
}

/**
 * A verdict in AuthZEN's shape. A chain's allow is a bare `true`; its deny carries the reasons
 * and the chain as far as it verified; its step-up is a requestable denial in the sense of the
 * Access Request and Approval Profile: `context.access_request` with the pending approval's expiry
 * (the approval is already open: an operator decides it, the agent revalidates, the PEP asks
 * again). A policy-alone answer says so in its context.
 */
export function authzenDecision(verdict: AccessVerdict): AuthzenDecision {
  if (verdict.by === "policy") {
    const { answer } = verdict;
    const context = { decided_by: "policy", chain: null, policies: [...answer.policies] };
    if (answer.decision === "allow") return { decision: true, context };
    const message = answer.message ?? "no policy permits this";
    return {
      decision: false,
      context: { ...context, reasons: [{ hop: null, code: "policy_denied", message }] },
    };
  }
  const { decision } = verdict;
  if (decision.decision === "allow") return { decision: true };
  const context: Record<string, unknown> = {
    decided_by: "chain",
    reason:
      decision.reasons[0]?.code ?? (decision.decision === "step_up" ? "step_up_required" : "policy_denied"),
    reasons: decision.reasons,
    chain: decision.chain,
  };
  if (decision.decision === "step_up" && decision.approval !== undefined) {
    context.evaluation_id = decision.approval;
    context.approval = decision.approval;
    context.access_request = {
      template: "baton:step_up",
      ...(verdict.approvalExpiresAt === undefined
        ? {}
        : { expires_at: new Date(verdict.approvalExpiresAt * 1000).toISOString().replace(".000Z", "Z") }),
      display: {
        title: "Operator approval needed",
        description: `${decision.reasons[0]?.message ?? "an operator must approve this call"}; approval ${decision.approval} is pending (baton approvals approve ${decision.approval}); after it, the agent revalidates its chain and the PEP asks again`,
      },
    };
  }
  return { decision: false, context };
}

/** A failed item of a batch: a deny carrying why (AuthZEN 1.0, execute_all). */
function failedItem(error: ProblemError | UseCaseError): AuthzenDecision {
  return {
    decision: false,
    context: { error: { status: error.status, code: error.code, message: error.message } },
  };
}

const DecisionSchema = z
  .object({
    decision: z.boolean(),
    context: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "a chain's deny: decided_by chain, reason, reasons, chain; a step-up adds access_request, evaluation_id and approval; a policy-alone answer: decided_by policy, policies (and reasons on a deny)",
    }),
  })
  .openapi("AuthzenDecision");

const EvaluationsResponseSchema = z
  .object({
    decision: z
      .boolean()
      .optional()
      .openapi({ description: "only when the request had no evaluations array" }),
    context: z.record(z.string(), z.unknown()).optional(),
    evaluations: z.array(DecisionSchema).optional(),
  })
  .openapi("AuthzenEvaluationsResponse");

const MetadataSchema = z
  .object({
    policy_decision_point: z.string(),
    access_evaluation_endpoint: z.string(),
    access_evaluations_endpoint: z.string(),
    capabilities: z.array(z.string()),
  })
  .openapi("AuthzenMetadata");

const security = [{ audienceSecret: [] }];
const requestId = z.object({
  "x-request-id": z.string().optional().openapi({ description: "echoed on the response" }),
});

const evaluationRoute = createRoute({
  method: "post",
  path: EVALUATION_PATH,
  tags: ["tool server", "authzen"],
  summary: "OpenID AuthZEN 1.0 Access Evaluation: one decision, over a verified chain or by policy alone",
  description:
    "A chain in subject.properties.baton_chain is re-authorized hop by hop as POST /v1/verify does (the agent's proof and request line in context.baton_pop; without a proof: pop_missing), for the audience of the caller's secret. Without a chain, the access policy set (BATON_AUTHZEN_POLICY_DIR) decides alone. Unknown fields are ignored.",
  security,
  request: { headers: requestId, body: jsonBody(AuthzenEvaluationSchema) },
  responses: {
    200: jsonResponse(DecisionSchema, "the decision; a deny is a 200 with decision false"),
    403: forbidden,
    413: tooLarge,
    ...errorResponses,
  },
});

const evaluationsRoute = createRoute({
  method: "post",
  path: EVALUATIONS_PATH,
  tags: ["tool server", "authzen"],
  summary: "OpenID AuthZEN 1.0 Access Evaluations: several decisions in one request",
  description:
    "Top-level subject, action, resource and context are defaults each item may replace whole. options.evaluations_semantic: execute_all (default; an item that cannot be read is decision false with context.error), deny_on_first_deny or permit_on_first_permit (stop after that item). A DPoP proof is accepted once, so each chain item needs its own forwarded proof.",
  security,
  request: { headers: requestId, body: jsonBody(AuthzenEvaluationsSchema) },
  responses: {
    200: jsonResponse(EvaluationsResponseSchema, "one decision per item, in order"),
    403: forbidden,
    413: tooLarge,
    ...errorResponses,
  },
});

const metadataRoute = createRoute({
  method: "get",
  path: AUTHZEN_METADATA_PATH,
  tags: ["public", "authzen"],
  summary: "OpenID AuthZEN 1.0 PDP metadata",
  responses: { 200: jsonResponse(MetadataSchema, "the metadata") },
});

/** Whether `semantic` stops after this decision. */
function stopsAfter(semantic: EvaluationsSemantic, decision: boolean): boolean {
  return (
    (semantic === "deny_on_first_deny" && !decision) || (semantic === "permit_on_first_permit" && decision)
  );
}

/** Registers the AuthZEN endpoints. Bodies are read by hand: AuthZEN's 400s, not Baton's strictness. */
export function registerAuthzenRoutes(app: ServiceApp, ctx: ServiceContext): void {
  app.openapi(metadataRoute, (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(
      {
        policy_decision_point: ctx.config.issuer,
        access_evaluation_endpoint: ctx.publicUrl(EVALUATION_PATH),
        access_evaluations_endpoint: ctx.publicUrl(EVALUATIONS_PATH),
        capabilities: [],
      },
      200,
    );
  });

  /** The caller's audience: only a tool server's secret names one (it fixes the audience). */
  const audienceOf = async (c: Parameters<typeof requireToolServerOrOperator>[0]) => {
    const caller = await requireToolServerOrOperator(c, ctx);
    if (caller.kind !== "audience") {
      throw new ProblemError({
        status: 403,
        code: "forbidden",
        detail: "an AuthZEN PEP authenticates with its audience secret, which names the audience it asks for",
      });
    }
    return caller;
  };
  const decide = async (
    caller: { kind: "audience"; audience: string },
    evaluation: AccessEvaluation,
  ): Promise<AuthzenDecision> => authzenDecision(await evaluateAccess(ctx.useCases, caller, evaluation));

  app.openAPIRegistry.registerPath(evaluationRoute);
  app.post(EVALUATION_PATH, async (c) => {
    const caller = await audienceOf(c);
    const evaluation = parseEvaluation(readJsonBody(c.req.header("content-type"), await c.req.text()));
    if (evaluation instanceof ProblemError) throw evaluation;
    return c.json(await decide(caller, evaluation), 200);
  });

  app.openAPIRegistry.registerPath(evaluationsRoute);
  app.post(EVALUATIONS_PATH, async (c) => {
    const caller = await audienceOf(c);
    const body = readJsonBody(c.req.header("content-type"), await c.req.text());
    const { semantic, items } = parseEvaluations(body);
    if (items === undefined) {
      // No evaluations array: a single Access Evaluation (AuthZEN 1.0 backwards compatibility).
      const evaluation = parseEvaluation(body);
      if (evaluation instanceof ProblemError) throw evaluation;
      return c.json(await decide(caller, evaluation), 200);
    }
    const evaluations: AuthzenDecision[] = [];
    for (const item of items) {
      let answer: AuthzenDecision;
      if (item instanceof ProblemError) answer = failedItem(item);
      else {
        try {
          answer = await decide(caller, item);
        } catch (error) {
          // A refusal of this one item (e.g. approval_limit) fails it alone; anything else fails all.
          if (!(error instanceof UseCaseError)) throw error;
          answer = failedItem(error);
        }
      }
      evaluations.push(answer);
      if (stopsAfter(semantic, answer.decision)) break;
    }
    return c.json({ evaluations }, 200);
  });
}
