/**
 * A validated, pre-parsed Cedar policy set and its evaluator. Built by {@link compilePolicySet}
 * (pure: sources in, set or error out); `loadPolicySet` reads the sources from files first.
 */
import {
  checkParsePolicySet,
  checkParseSchema,
  type DetailedError,
  type PolicyJson,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  schemaToJsonWithResolvedTypes,
  statefulIsAuthorized,
  validate,
} from "@cedar-policy/cedar-wasm/nodejs";
import { AnswerMemo, plainKey } from "./answer-memo.ts";
import { CEDAR_REQUEST_MODEL, cedarRequest } from "./cedar-request.ts";
import { clockIn, isKnownZone } from "./clock-reading.ts";
import { avoidJsToWasmDeoptCrash } from "./js-to-wasm-inlining.ts";
import { PolicyLoadError, type PolicyLoadErrorCode } from "./policy-load-error.ts";
import type { PolicyDecision, PolicyInput } from "./policy-types.ts";
import { projectContext, type RequestReads, requestReads } from "./request-reads.ts";

/** What Cedar answers a request. */
type CedarAnswer = ReturnType<typeof statefulIsAuthorized>;

/** One policy file's text and the name to report errors under. */
export interface PolicySource {
  readonly file: string;
  readonly text: string;
}

/** What {@link compilePolicySet} needs. */
export interface CompilePolicySetOptions {
  readonly sources: readonly PolicySource[];
  /** The Cedar schema (human-readable syntax) policies are validated and requests checked against. */
  readonly schema: PolicySource;
  /** IANA zone for `context.local` and business hours. Default `UTC`. */
  readonly zone?: string;
  /**
   * Also check each request against the schema while deciding. Default false: the policies are
   * validated against the schema (strict mode) at load, and every request is built by
   * `cedarRequest`, whose output a property test proves schema-conforming (the answers with and
   * without this check agree for arbitrary questions), so checking again per call only costs time.
   * True also turns off the lean request (see {@link CedarPolicySet.leanRequests}).
   */
  readonly validateRequests?: boolean;
}

/** A loaded policy set. `evaluate` is synchronous and does no I/O. */
export interface CedarPolicySet {
  /** Every policy id (`@id` annotations), in file order. */
  readonly ids: readonly string[];
  /** The ids of `@step_up` policies. */
  readonly stepUpIds: ReadonlySet<string>;
  readonly files: readonly string[];
  readonly zone: string;
  /**
   * True when each call hands Cedar only what the policies can read (the context attributes their
   * conditions reach; the entities only if a condition can see entity data), parsed without the
   * schema. That holds when the schema's request model is the one `cedarRequest` builds
   * (`CEDAR_REQUEST_MODEL`, the shipped schema's) and `validateRequests` is off: the model has no
   * action groups and no entity- or extension-typed values, so the schema changes nothing in how
   * Cedar reads a built request. Otherwise every call sends the whole request with the schema.
   */
  readonly leanRequests: boolean;
  /** Decides one question: allow, deny (naming the policies), or step_up. */
  evaluate(input: PolicyInput): PolicyDecision;
}

/** A result value: the set, or why it was refused. */
export type CompileResult =
  | { readonly ok: true; readonly value: CedarPolicySet }
  | { readonly ok: false; readonly error: PolicyLoadError };

// Pre-parsed sets live in the wasm module's memory under a name; each load gets a fresh name so
// a reload never disturbs the set that is serving until the new one is ready.
let generation = 0;

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

function refuse(
  code: PolicyLoadErrorCode,
  source: PolicySource,
  error: DetailedError | undefined,
  fallback: string,
  baseOffset = 0,
): { ok: false; error: PolicyLoadError } {
  const location = error?.sourceLocations?.[0];
  const where =
    location === undefined
      ? { file: source.file }
      : { file: source.file, ...lineAndColumn(source.text, baseOffset + location.start) };
  const help = error?.help ? ` (${error.help})` : "";
  const label = location?.label ? `: ${location.label}` : "";
  return {
    ok: false,
    error: new PolicyLoadError(code, `${error?.message ?? fallback}${label}${help}`, where),
  };
}

interface ParsedPolicy {
  readonly id: string;
  readonly text: string;
  readonly stepUp: boolean;
  readonly effect: "permit" | "forbid";
}

/**
 * Parses, validates (strict mode, against the schema) and pre-parses a policy set. Every policy
 * must carry a unique `@id("…")`: ids are what decisions and the decision log name.
 */
export function compilePolicySet(options: CompilePolicySetOptions): CompileResult {
  // Before any set exists to evaluate: on Node 20 and 22, V8 aborts the process when a frame that
  // inlined a call into cedar-wasm is deoptimized during that call (see js-to-wasm-inlining.ts).
  avoidJsToWasmDeoptCrash();
  const zone = options.zone ?? "UTC";
  if (!isKnownZone(zone)) {
    return {
      ok: false,
      error: new PolicyLoadError("zone_invalid", `${zone} is not an IANA time zone this runtime knows`),
    };
  }
  const schema = options.schema;
  const schemaCheck = checkParseSchema(schema.text);
  if (schemaCheck.type === "failure") {
    return refuse("schema_invalid", schema, schemaCheck.errors[0], "the schema does not parse");
  }

  const policies: ParsedPolicy[] = [];
  const policyJsons: PolicyJson[] = [];
  const seen = new Map<string, string>();
  for (const source of options.sources) {
    const parsed = checkParsePolicySet({ staticPolicies: source.text });
    if (parsed.type === "failure") {
      return refuse("policy_syntax", source, parsed.errors[0], "the policy file does not parse");
    }
    const validation = validate({
      schema: schema.text,
      policies: { staticPolicies: source.text },
      validationSettings: { mode: "strict" },
    });
    if (validation.type === "failure") {
      return refuse("policy_schema", source, validation.errors[0], "the policy file does not validate");
    }
    const invalid = validation.validationErrors[0];
    if (invalid !== undefined) {
      return refuse("policy_schema", source, invalid.error, "the policy file does not match the schema");
    }
    const parts = policySetTextToParts(source.text);
    if (parts.type === "failure") {
      return refuse("policy_syntax", source, parts.errors[0], "the policy file does not parse");
    }
    if (parts.policy_templates.length > 0) {
      return refuse(
        "policy_syntax",
        source,
        undefined,
        "policy templates are not supported; write static policies",
      );
    }
    let cursor = 0;
    for (const text of parts.policies) {
      const offset = source.text.indexOf(text, cursor);
      cursor = offset < 0 ? cursor : offset + text.length;
      const where = { file: source.file, ...lineAndColumn(source.text, Math.max(offset, 0)) };
      const json = policyToJson(text);
      if (json.type === "failure") {
        return refuse(
          "policy_syntax",
          source,
          json.errors[0],
          "a policy does not parse",
          Math.max(offset, 0),
        );
      }
      const id = json.json.annotations?.id;
      if (typeof id !== "string" || id.length === 0) {
        return {
          ok: false,
          error: new PolicyLoadError("policy_id_missing", 'every policy needs an @id("…") annotation', where),
        };
      }
      const previous = seen.get(id);
      if (previous !== undefined) {
        return {
          ok: false,
          error: new PolicyLoadError(
            "policy_id_duplicate",
            `policy id ${id} is already used in ${previous}`,
            where,
          ),
        };
      }
      seen.set(id, `${where.file}:${where.line}`);
      policyJsons.push(json.json);
      policies.push({
        id,
        text,
        stepUp: json.json.annotations !== undefined && "step_up" in json.json.annotations,
        effect: json.json.effect,
      });
    }
  }
  if (policies.length === 0) {
    return {
      ok: false,
      error: new PolicyLoadError(
        "policy_set_empty",
        "no policies found: Cedar would deny everything; add at least a permit",
        options.sources[0] === undefined ? {} : { file: options.sources[0].file },
      ),
    };
  }

  generation++;
  const setName = `baton-policies-${generation}`;
  const schemaName = `baton-schema-${generation}`;
  const preparsed = preparsePolicySet(setName, {
    staticPolicies: Object.fromEntries(policies.map((policy) => [policy.id, policy.text])),
  });
  if (preparsed.type === "failure") {
    return refuse(
      "policy_syntax",
      options.sources[0] ?? schema,
      preparsed.errors[0],
      "the policy set does not parse",
    );
  }
  const schemaPreparsed = preparseSchema(schemaName, schema.text);
  if (schemaPreparsed.type === "failure") {
    return refuse("schema_invalid", schema, schemaPreparsed.errors[0], "the schema does not parse");
  }

  const stepUpIds = new Set(policies.filter((policy) => policy.stepUp).map((policy) => policy.id));
  const forbidIds = new Set(
    policies.filter((policy) => policy.effect === "forbid").map((policy) => policy.id),
  );
  const validateRequest = options.validateRequests === true;
  // Cedar lists policy ids in an order of its own that differs between loads of one set; decisions
  // (and the decision log) name them in file order.
  const position = new Map(policies.map((policy, index) => [policy.id, index]));
  const inFileOrder = (ids: readonly string[]): string[] =>
    ids.length < 2 ? [...ids] : [...ids].sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  const readUtc = clockIn("UTC");
  const readLocal = clockIn(zone);
  // Cedar's cost per call grows with each context value it parses, and parsing against the schema
  // costs more again; what no condition can reach cannot change a decision (request-reads.ts).
  const leanRequests = !validateRequest && hasRequestModel(schema.text, CEDAR_REQUEST_MODEL);
  // Per action: a policy scoped to `delegate` reads nothing of a `use` call.
  const readsOf: ReadonlyMap<string, RequestReads> = new Map([
    ["use", requestReads(policyJsons, "use")],
    ["delegate", requestReads(policyJsons, "delegate")],
  ]);
  const readsOfAnyAction = requestReads(policyJsons);

  // Answers by lean request, for this pre-parsed set only (answer-memo.ts). A request that sends
  // entities is not remembered: none of the shipped policies reads entity data.
  const answers = new AnswerMemo<CedarAnswer>();
  const leanAnswer = (request: ReturnType<typeof cedarRequest>, reads: RequestReads): CedarAnswer => {
    const context = projectContext(request.context, reads.context);
    const key = reads.entities
      ? undefined
      : plainKey([request.principal, request.action, request.resource, context]);
    const known = key === undefined ? undefined : answers.get(key);
    if (known !== undefined) return known;
    const answer = statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context,
      entities: reads.entities ? request.entities : [],
      preparsedPolicySetId: setName,
    });
    if (key !== undefined) answers.set(key, answer);
    return answer;
  };

  const evaluate = (input: PolicyInput): PolicyDecision => {
    const request = cedarRequest(input, readUtc, readLocal);
    const reads = readsOf.get(input.kind) ?? readsOfAnyAction;
    const answer = leanRequests
      ? leanAnswer(request, reads)
      : statefulIsAuthorized({
          ...request,
          preparsedPolicySetId: setName,
          preparsedSchemaName: schemaName,
          validateRequest,
        });
    if (answer.type === "failure") {
      // A request the schema refuses is a bug in the caller or the schema, never a reason to allow.
      return {
        decision: "deny",
        message: `policy evaluation failed: ${answer.errors[0]?.message ?? "unknown error"}`,
      };
    }
    const { decision, diagnostics } = answer.response;
    // Cedar skips a policy whose condition errors. A forbid that errored might have applied, so
    // it denies instead (fail closed); an errored permit only grants less.
    const erroredForbids = inFileOrder(
      diagnostics.errors.map((e) => e.policyId).filter((id) => forbidIds.has(id)),
    );
    if (erroredForbids.length > 0) {
      return {
        decision: "deny",
        message: `policy ${erroredForbids.join(", ")} failed to evaluate; fix it or the request`,
        policies: erroredForbids,
      };
    }
    const determining = inFileOrder(diagnostics.reason);
    if (decision === "allow") return { decision: "allow", policies: determining };
    if (determining.length === 0) {
      return { decision: "deny", message: "no policy permits this", policies: [] };
    }
    const hard = determining.filter((id) => !stepUpIds.has(id));
    if (hard.length > 0) {
      return { decision: "deny", message: `denied by policy ${hard.join(", ")}`, policies: hard };
    }
    // Every determining forbid asks for step-up: an approval held for exactly this call lifts them.
    const approved = input.approved ?? [];
    if (approved.length > 0) return { decision: "allow", policies: [...determining, ...approved] };
    return {
      decision: "step_up",
      message: `an operator must approve this (policy ${determining.join(", ")}); then revalidate the chain`,
      policies: determining,
    };
  };

  return {
    ok: true,
    value: {
      ids: policies.map((policy) => policy.id),
      stepUpIds,
      files: options.sources.map((source) => source.file),
      zone,
      leanRequests,
      evaluate,
    },
  };
}

/** True when `schemaText` declares exactly `model` (Cedar's schema JSON, common types resolved). */
function hasRequestModel(schemaText: string, model: unknown): boolean {
  const resolved = schemaToJsonWithResolvedTypes(schemaText);
  return resolved.type === "success" && canonicalJson(resolved.json) === canonicalJson(model);
}

/** JSON with object keys sorted, so that equal values compare equal as text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
