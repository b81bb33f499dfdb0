/**
 * Request and response schemas. The same zod schemas validate requests and generate
 * `/openapi.json`. Objects are strict (an unknown field is a 400), strings and arrays are bounded,
 * and anything with a grammar of its own (agent ids, task ids, audiences, capabilities, JWKs) is
 * checked with the @baton/token parser that tokens are checked with, so the service never issues
 * what a verifier would refuse.
 */

import { EXPORT_FORMATS, MAX_SEARCH_LENGTH } from "@baton/core";
import { TEXT_PROBLEM_MESSAGES, textProblem } from "@baton/store";
import {
  CLAIM_LIMITS,
  INPUT_LIMITS,
  isAgentId,
  isAudience,
  isTaskId,
  MAX_LIMIT_VALUES,
  MAX_PATTERN_LENGTH,
  parseAgentJwk,
  parseCapability,
  TASK_HOURS_CLOCK_TIME,
} from "@baton/token";
import { type CallBoundsField, callFieldProblem } from "@baton/verifier";
import { z } from "@hono/zod-openapi";

/** Longest free text (intent, reason) accepted; the store keeps exactly this much. */
export const MAX_TEXT = INPUT_LIMITS.maxTextLength;
/** Most decisions in one `POST /v1/decisions` batch; the store takes the same batch. */
export const MAX_DECISION_BATCH = INPUT_LIMITS.maxDecisionBatch;
/** Largest request body. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Largest `POST /v1/decisions` body: a full batch of reports with deep chains. */
export const MAX_REPORT_BODY_BYTES = 1024 * 1024;

/**
 * Marks a validation issue as `malformed` (text that is not well-formed Unicode) rather than
 * `invalid_request`; the app's validation hook reads it.
 */
export const MALFORMED_ISSUE = { problem: "malformed" } as const;

/**
 * Refuses text the store would refuse ({@link textProblem}, the one text check): ill-formed
 * Unicode as `malformed`, control, line-break and bidi-control characters as `invalid_request`,
 * so such a request is a 400 naming the field, never a 500 from the store.
 */
const storable = <T extends z.ZodString>(schema: T) =>
  schema.superRefine((value, ctx) => {
    const problem = textProblem(value);
    if (problem === undefined) return;
    ctx.addIssue({
      code: "custom",
      message: TEXT_PROBLEM_MESSAGES[problem],
      ...(problem === "ill_formed" ? { params: MALFORMED_ISSUE } : {}),
    });
  });

/** Text that is stored or hashed as is, where a control character is not an attack: only well-formed. */
const wellFormed = <T extends z.ZodString>(schema: T) =>
  schema.refine((value) => value.isWellFormed(), {
    message: TEXT_PROBLEM_MESSAGES.ill_formed,
    params: MALFORMED_ISSUE,
  });

/** Free text (names, intents, reasons): 1 to `max` characters the store accepts. */
const text = (max: number = MAX_TEXT) => storable(z.string().min(1).max(max));

export const AgentIdSchema = z
  .string()
  .max(CLAIM_LIMITS.maxAgentIdLength)
  .refine(isAgentId, "must be an agent id: agent:name or spiffe://trust-domain/path")
  .openapi({ example: "agent:planner" });

export const TaskIdSchema = z
  .string()
  .max(CLAIM_LIMITS.maxTaskIdLength)
  .refine(isTaskId, "must be a task id of [A-Za-z0-9._:-], starting with a letter or digit")
  .openapi({ example: "task-42" });

export const AudienceSchema = z
  .string()
  .max(CLAIM_LIMITS.maxAudienceLength)
  .refine(isAudience, "must be an audience name ([A-Za-z0-9._~:/@+-]) or *")
  .openapi({ example: "repo-tool" });

const HTTP_METHOD = new RegExp(`^[A-Z]{1,${INPUT_LIMITS.maxMethodLength}}$`);

/** A `did`: 16 base64url characters (22 for delegations issued before ids were 96-bit). */
const DelegationIdSchema = z
  .string()
  .regex(
    /^(?:[A-Za-z0-9_-]{16}|[A-Za-z0-9_-]{22})$/,
    "must be a delegation id (16 or 22 base64url characters)",
  )
  .openapi({ example: "3q2-7wAAAAAAAAAA" });

/** A `jti`: 22 base64url characters. */
const TokenIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, "must be a token id (22 base64url characters)")
  .openapi({ example: "3q2-7wAAAAAAAAAAAAAAAA" });

const ArgumentLimitSchema = z.strictObject({
  max: z.number().optional(),
  min: z.number().optional(),
  in: z
    .array(z.union([z.string().max(MAX_PATTERN_LENGTH), z.number()]))
    .max(MAX_LIMIT_VALUES)
    .optional(),
});

export const CapabilitySchema = z
  .strictObject({
    act: z.string().min(1).max(MAX_PATTERN_LENGTH),
    res: z.string().min(1).max(MAX_PATTERN_LENGTH),
    lim: z.record(z.string().max(64), ArgumentLimitSchema).optional(),
  })
  .superRefine((value, ctx) => {
    const parsed = parseCapability(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error.message });
  })
  .openapi("Capability", { example: { act: "repo.issues.*", res: "repo:acme/web/**" } });

const CapabilitiesSchema = z.array(CapabilitySchema).min(1).max(CLAIM_LIMITS.maxCapabilities);
const AudiencesSchema = z
  .array(AudienceSchema)
  .min(1)
  .max(CLAIM_LIMITS.maxAudiences)
  .refine((list) => new Set(list).size === list.length, "audiences must be distinct");

const SecondsSchema = z
  .number()
  .int()
  .min(1)
  .max(366 * 86_400);
const DepthSchema = z.number().int().min(0).max(CLAIM_LIMITS.maxDepth);

export const JwkSchema = z
  .record(z.string().max(16), z.unknown())
  .superRefine((value, ctx) => {
    const key = parseAgentJwk(value);
    if (!key.ok) ctx.addIssue({ code: "custom", message: key.error.message });
  })
  .openapi("Ed25519PublicJwk", {
    example: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
  });

// ---------------------------------------------------------------------------------------------
// Requests

export const RegisterAgentBody = z
  .strictObject({
    id: AgentIdSchema,
    jwk: JwkSchema,
    name: text(INPUT_LIMITS.maxNameLength).optional(),
    owner: text(INPUT_LIMITS.maxNameLength).optional(),
  })
  .openapi("RegisterAgentRequest");

export const DisableAgentBody = z.strictObject({ reason: text().optional() }).openapi("DisableAgentRequest");

const ClockTime = z.string().regex(TASK_HOURS_CLOCK_TIME, "must be HH:MM, 00:00 to 24:00");

/**
 * A task's business hours (`TaskHours` of @baton/token) in the policy zone: distinct ISO weekdays
 * (1 = Monday) and HH:MM, end exclusive. The store checks the same rules again and keeps them on
 * the task.
 */
export const BusinessHoursSchema = z
  .strictObject({
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .max(7)
      .refine((days) => new Set(days).size === days.length, "must not repeat a weekday"),
    start: ClockTime,
    end: ClockTime,
  })
  .refine((hours) => hours.start < hours.end, "start must be before end")
  .openapi("BusinessHours");

export const GrantBody = z
  .strictObject({
    agent: AgentIdSchema,
    task: z.strictObject({
      id: TaskIdSchema.optional(),
      intent: text(),
      hours: BusinessHoursSchema.optional(),
    }),
    cap: CapabilitiesSchema,
    aud: AudiencesSchema,
    ttl: SecondsSchema.optional(),
    rvi: SecondsSchema.optional(),
    mdp: DepthSchema.optional(),
  })
  .openapi("GrantRequest");

export const DelegationBody = z
  .strictObject({
    to: AgentIdSchema,
    cap: CapabilitiesSchema,
    aud: AudiencesSchema.optional(),
    ttl: SecondsSchema.optional(),
    rvi: SecondsSchema.optional(),
    mdp: DepthSchema.optional(),
    intent: text().optional(),
  })
  .openapi("DelegationRequest");

/** A call's `args` or `context`: a JSON object within the verifier's `CALL_BOUNDS` (a 400, not a 500). */
function callFieldSchema(field: CallBoundsField) {
  return z.record(z.string().max(64), z.unknown()).superRefine((value, ctx) => {
    const problem = callFieldProblem(field, value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

export const VerifyBody = z
  .strictObject({
    chain: z
      .string()
      .min(1)
      .max(256 * 1024),
    proof: z.string().min(1).max(4096).optional(),
    htm: z
      .string()
      .regex(/^[A-Za-z]{1,16}$/, "must be an HTTP method")
      .optional(),
    htu: z.string().url().max(2048).optional(),
    audience: AudienceSchema.refine((value) => value !== "*", "must name one audience, not *"),
    action: storable(z.string().min(1).max(INPUT_LIMITS.maxTargetLength)),
    resource: storable(z.string().min(1).max(INPUT_LIMITS.maxTargetLength)),
    args: callFieldSchema("args").optional(),
    context: callFieldSchema("context").optional(),
  })
  .openapi("VerifyRequest");

const ReasonSchema = z.strictObject({
  hop: z.number().int().min(0).max(INPUT_LIMITS.maxReasonHop).nullable(),
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a reason code"),
  message: wellFormed(z.string().max(MAX_TEXT)),
  claim: storable(z.string().min(1).max(INPUT_LIMITS.maxReasonClaimLength)).optional(),
  evidence: z.record(z.string().max(64), z.unknown()).optional(),
  policies: z
    .array(wellFormed(z.string().max(INPUT_LIMITS.maxPolicyIdLength)))
    .max(INPUT_LIMITS.maxReasonPolicies)
    .optional(),
});

const ChainEntrySchema = z.strictObject({
  did: DelegationIdSchema,
  jti: TokenIdSchema,
  sub: AgentIdSchema,
  dlg: AgentIdSchema.nullable(),
  dpt: z.number().int().min(0).max(CLAIM_LIMITS.maxDepth),
});

const ActorSchema = z
  .strictObject({ agent: AgentIdSchema.nullable(), proven: z.boolean() })
  .openapi("Actor", { description: "the leaf holder that presented the chain; proven by its DPoP proof" });

const PresentedHopSchema = z.strictObject({
  did: DelegationIdSchema.nullable(),
  sub: AgentIdSchema.nullable(),
  verified: z.boolean(),
});

export const DecisionSchema = z
  .strictObject({
    decision: z.enum(["allow", "deny", "step_up"]),
    reasons: z.array(ReasonSchema).max(INPUT_LIMITS.maxReasons),
    chain: z.array(ChainEntrySchema).max(INPUT_LIMITS.maxChainEntries),
    task: TaskIdSchema.nullable(),
    actor: ActorSchema,
    presented: z.array(PresentedHopSchema).max(INPUT_LIMITS.maxChainEntries),
  })
  .openapi("Decision");

/** The answer of `/v1/verify`: a decision, and for a step_up the approval id that was requested. */
export const VerifyDecisionSchema = DecisionSchema.extend({
  approval: z.string().max(64).optional(),
}).openapi("VerifyDecision");

/**
 * One decision a tool server reports. Checked entry by entry: a refused entry never costs the
 * others their place in the log. `action` and `resource` are absent for a request no route mapped.
 */
export const DecisionReportSchema = z
  .strictObject({
    at: z.number().int().min(0).max(CLAIM_LIMITS.maxTime),
    audience: AudienceSchema,
    method: z.string().regex(HTTP_METHOD, "must be an upper-case HTTP method"),
    path: wellFormed(z.string().min(1).max(INPUT_LIMITS.maxPathLength)),
    pathTruncated: z.boolean().optional(),
    action: storable(z.string().min(1).max(INPUT_LIMITS.maxTargetLength)).optional(),
    resource: storable(z.string().min(1).max(INPUT_LIMITS.maxTargetLength)).optional(),
    argsDigest: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url SHA-256 digest")
      .optional(),
    decision: DecisionSchema,
  })
  .openapi("DecisionReport");

export const DecisionsBody = z
  .strictObject({
    decisions: z
      .array(z.unknown().openapi({ description: "a DecisionReport; each is checked on its own" }))
      .min(1)
      .max(MAX_DECISION_BATCH),
  })
  .openapi("DecisionReports");

export const DecisionsAcceptedSchema = z
  .object({
    accepted: z.number().int(),
    refused: z.array(z.object({ index: z.number().int(), code: z.string(), message: z.string() })),
  })
  .openapi("DecisionsAccepted");

export const RevocationBody = z
  .strictObject({
    did: DelegationIdSchema.optional(),
    agent: AgentIdSchema.optional(),
    task: TaskIdSchema.optional(),
    reason: text(),
  })
  .refine(
    (body) => [body.did, body.agent, body.task].filter((target) => target !== undefined).length === 1,
    "name exactly one of did, agent or task",
  )
  .openapi("RevocationRequest");

export const AudienceBody = z
  .strictObject({
    id: AudienceSchema.refine((value) => value !== "*", "an audience id cannot be *"),
    name: text(INPUT_LIMITS.maxNameLength).optional(),
  })
  .openapi("RegisterAudienceRequest");

const IntegerQuery = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, "must be a non-negative integer")
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be from ${min} to ${max}`);

export const RevocationFeedQuery = z.strictObject({
  since: IntegerQuery(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: IntegerQuery(1, INPUT_LIMITS.maxFeedPageSize).optional(),
});

export const DecisionQuerySchema = z.strictObject({
  task: TaskIdSchema.optional(),
  /** The actor. */
  agent: AgentIdSchema.optional(),
  /** Decisions about this delegation: as subject, or as the leaf of the presented chain. */
  did: DelegationIdSchema.optional(),
  /** Decisions of this delegation's path: it, its ancestors and its descendants. */
  path: DelegationIdSchema.optional(),
  limit: IntegerQuery(1, INPUT_LIMITS.maxPageSize).optional(),
  cursor: IntegerQuery(0, Number.MAX_SAFE_INTEGER).optional(),
  order: z.enum(["newest", "oldest"]).optional(),
  /** A search (`agent:`, `code:`, `did:`, `action:`, `decision:`, `since:`, `until:`, free words); see `baton decisions --help`. */
  q: z.string().max(MAX_SEARCH_LENGTH).optional(),
});

export const DecisionExportQuery = z.strictObject({
  task: TaskIdSchema.optional(),
  did: DelegationIdSchema.optional(),
  q: z.string().max(MAX_SEARCH_LENGTH).optional(),
  format: z.enum(EXPORT_FORMATS),
});

export const DecisionIdParam = z.strictObject({ id: IntegerQuery(1, Number.MAX_SAFE_INTEGER) });

export const ApprovalsQuery = z.strictObject({
  status: z.enum(["pending", "approved", "denied"]).optional(),
  limit: IntegerQuery(1, INPUT_LIMITS.maxPageSize).optional(),
});

export const EmptyQuery = z.strictObject({});

export const TasksQuery = z.strictObject({
  status: z.enum(["open", "completed", "revoked"]).optional(),
  limit: IntegerQuery(1, INPUT_LIMITS.maxPageSize).optional(),
});

export const DidParam = z.strictObject({ did: DelegationIdSchema });
export const AgentParam = z.strictObject({ id: AgentIdSchema });
export const TaskParam = z.strictObject({ id: TaskIdSchema });
export const ApprovalParam = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an approval id"),
});

// ---------------------------------------------------------------------------------------------
// Responses (documentation only; handlers build them from store records)

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({
      description: "A reason code (scope_widening, revoked, …) or a service code (invalid_request, …)",
    }),
    reasons: z.array(ReasonSchema).optional(),
    instance: z.string().optional(),
  })
  .openapi("Problem");

export const IssuedSchema = z
  .object({ did: z.string(), jti: z.string(), token: z.string(), chain: z.string() })
  .openapi("IssuedDelegation");
export const IssuedGrantSchema = IssuedSchema.extend({ task: z.string() }).openapi("IssuedGrant");
export const RevokedListSchema = z.object({ revoked: z.array(z.string()) }).openapi("Revoked");
export const RevokedCountSchema = z.object({ revoked: z.number().int() }).openapi("RevokedCount");
export const ChainSchema = z.object({ chain: z.string() }).openapi("Chain");
export const FeedSchema = z
  .object({
    epoch: z.string().openapi({
      description:
        "identity of the feed's history; a follower that meets another epoch resynchronizes from since=0",
    }),
    items: z.array(
      z.object({
        seq: z.number().int(),
        did: z.string(),
        at: z.number().int(),
        reason: z
          .string()
          .nullable()
          .optional()
          .openapi({ description: "the operator's note; only when the operator token is sent" }),
      }),
    ),
    next: z.number().int().nullable(),
    head: z.number().int(),
  })
  .openapi("RevocationFeed");
export const AnyObjectSchema = z.record(z.string(), z.unknown());
