/**
 * Reading OpenID AuthZEN 1.0 requests (issue 20): the wire shapes, checked as that spec asks.
 * Unlike Baton's own API, unknown fields are ignored (AuthZEN's forward compatibility); a missing
 * `subject`, `action` or `resource`, or their `type`, `id` or `name`, or a field of the wrong type
 * is a 400. A Baton chain rides in `subject.properties.baton_chain` and the PEP-forwarded proof
 * in `context.baton_pop`; both are lifted out here so the rest never reads them from the bag of
 * properties (and policy never sees them).
 */
import type { AccessEvaluation } from "@baton/core";
import { INPUT_LIMITS } from "@baton/token";
import { z } from "./openapi.ts";
import { type ProblemError, problems } from "./problem.ts";

/** Most evaluations one `POST /access/v1/evaluations` may ask. */
export const MAX_EVALUATIONS = 64;

/** The 1.0 `options.evaluations_semantic` values; `execute_all` is the default. */
export const EVALUATIONS_SEMANTICS = ["execute_all", "deny_on_first_deny", "permit_on_first_permit"] as const;
export type EvaluationsSemantic = (typeof EVALUATIONS_SEMANTICS)[number];

const Properties = z.record(z.string(), z.unknown());

const EntitySchema = (what: string) =>
  z
    .object({
      type: z
        .string()
        .min(1)
        .max(256)
        .openapi({ description: `the ${what}'s type` }),
      id: z.string().min(1).max(INPUT_LIMITS.maxTargetLength),
      properties: Properties.optional(),
    })
    .openapi({ description: `the ${what}; unknown members are ignored` });

export const AuthzenSubjectSchema = EntitySchema("subject")
  .extend({
    properties: z
      .object({
        baton_chain: z
          .string()
          .min(1)
          .max(256 * 1024)
          .optional()
          .openapi({
            description: "a Baton chain t0~…~tn, root first: the call is re-authorized hop by hop",
          }),
      })
      .catchall(z.unknown())
      .optional(),
  })
  .openapi("AuthzenSubject", {
    example: { type: "agent", id: "agent:researcher", properties: { baton_chain: "eyJ…~eyJ…" } },
  });

export const AuthzenResourceSchema = EntitySchema("resource").openapi("AuthzenResource", {
  description: "with a chain: the Baton resource <type>:<id> (scheme and path)",
  example: { type: "repo", id: "acme/web/issues/42" },
});

export const AuthzenActionSchema = z
  .object({
    name: z.string().min(1).max(INPUT_LIMITS.maxTargetLength),
    properties: Properties.optional().openapi({ description: "with a chain: the call's arguments" }),
  })
  .openapi("AuthzenAction", { example: { name: "repo.issues.read" } });

const ForwardedProofSchema = z
  .object({
    dpop: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .openapi({ description: "the agent's DPoP proof, as it sent it" }),
    htm: z
      .string()
      .regex(/^[A-Za-z]{1,16}$/, "must be an HTTP method")
      .optional(),
    htu: z
      .string()
      .url()
      .max(2048)
      .optional()
      .openapi({ description: "the public URL of the agent's request" }),
  })
  .openapi("AuthzenForwardedProof");

export const AuthzenContextSchema = z
  .object({ baton_pop: ForwardedProofSchema.optional() })
  .catchall(z.unknown())
  .openapi("AuthzenContext", {
    description:
      "with a chain: baton_pop carries the agent's proof and request line; the rest is declared call context",
  });

export const AuthzenEvaluationSchema = z
  .object({
    subject: AuthzenSubjectSchema,
    action: AuthzenActionSchema,
    resource: AuthzenResourceSchema,
    context: AuthzenContextSchema.optional(),
  })
  .openapi("AuthzenEvaluationRequest");

export const AuthzenEvaluationsSchema = z
  .object({
    subject: z.unknown().optional().openapi({ description: "default subject (AuthzenSubject)" }),
    action: z.unknown().optional().openapi({ description: "default action (AuthzenAction)" }),
    resource: z.unknown().optional().openapi({ description: "default resource (AuthzenResource)" }),
    context: z.unknown().optional().openapi({ description: "default context (AuthzenContext)" }),
    options: z.object({ evaluations_semantic: z.enum(EVALUATIONS_SEMANTICS).optional() }).optional(),
    // Items are read one by one (parseEvaluation) so that a bad item fails alone.
    evaluations: z.array(z.record(z.string(), z.unknown())).max(MAX_EVALUATIONS).optional().openapi({
      description:
        "each an AuthzenEvaluationRequest whose subject, action, resource and context default, each whole, to the request's",
    }),
  })
  .openapi("AuthzenEvaluationsRequest");

function message(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ");
}

/** The JSON body of an AuthZEN request: 400 for another content type, an empty body or bad JSON. */
export function readJsonBody(contentType: string | undefined, text: string): unknown {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? ""))
    throw problems.invalid("send the body as application/json (AuthZEN 1.0)");
  if (text.trim() === "") throw problems.invalid("the body is empty: send an AuthZEN request");
  try {
    return JSON.parse(text);
  } catch {
    throw problems.invalid("the body is not JSON");
  }
}

/** A checked evaluation as the use case takes it: chain and proof lifted out. */
function evaluationOf(parsed: z.infer<typeof AuthzenEvaluationSchema>): AccessEvaluation {
  const { baton_chain: chain, ...properties } = parsed.subject.properties ?? {};
  const { baton_pop: pop, ...context } = parsed.context ?? {};
  return {
    subject: { type: parsed.subject.type, id: parsed.subject.id, properties },
    action: parsed.action,
    resource: parsed.resource,
    context,
    ...(chain === undefined ? {} : { chain }),
    ...(pop === undefined ? {} : { pop }),
  };
}

/** One evaluation request, or why it is not one (a 400 problem). */
export function parseEvaluation(body: unknown): AccessEvaluation | ProblemError {
  const parsed = AuthzenEvaluationSchema.safeParse(body);
  if (!parsed.success) return problems.invalid(message(parsed.error));
  return evaluationOf(parsed.data);
}

/** A batch: the semantic, and each evaluation with the defaults applied (or why it cannot be read). */
export interface ParsedEvaluations {
  readonly semantic: EvaluationsSemantic;
  /** Undefined when the request has no (or an empty) `evaluations` array: a single evaluation. */
  readonly items: readonly (AccessEvaluation | ProblemError)[] | undefined;
}

/**
 * Reads an evaluations request. An item takes each of `subject`, `action`, `resource` and
 * `context` whole from itself when present, from the request's defaults otherwise (no merging
 * inside an entity); an item that is then incomplete fails alone, so the rest still run.
 */
export function parseEvaluations(body: unknown): ParsedEvaluations {
  const parsed = AuthzenEvaluationsSchema.safeParse(body);
  if (!parsed.success) throw problems.invalid(message(parsed.error));
  const { evaluations, options, subject, action, resource, context } = parsed.data;
  const semantic = options?.evaluations_semantic ?? "execute_all";
  if (evaluations === undefined || evaluations.length === 0) return { semantic, items: undefined };
  const defaults = { subject, action, resource, context };
  const items = evaluations.map((item) => {
    const merged: Record<string, unknown> = {};
    for (const key of ["subject", "action", "resource", "context"] as const) {
      const value = item[key] ?? defaults[key];
      if (value !== undefined) merged[key] = value;
    }
    return parseEvaluation(merged);
  });
  return { semantic, items };
}
