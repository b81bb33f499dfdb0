/**
 * Access policy: Cedar over an OpenID AuthZEN question that carries no delegation chain (issue 20).
 * Nothing was verified, so the answer is the policy's alone: the PEP names the subject, the
 * action and the resource, and their `properties` are what it says about them. The mapping:
 *
 * - principal `<subject.type>::"<subject.id>"`, resource `<resource.type>::"<resource.id>"`, their
 *   attributes the request's `properties` laid over the set's own entities (`entities.json`);
 * - action `Action::"<action.name>"`;
 * - context `{action: <action.properties>, request: <the request's context>}`.
 *
 * JSON maps onto Cedar values as strings, booleans, integers (Long), arrays (sets) and objects
 * (records); a value Cedar cannot hold (a fraction, null, an escape key such as `__entity`) is
 * left out, so a policy reading it sees the attribute missing. Pure once loaded.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkParsePolicySet,
  type EntityJson,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  statefulIsAuthorized,
} from "@cedar-policy/cedar-wasm/nodejs";
import { avoidJsToWasmDeoptCrash } from "./js-to-wasm-inlining.ts";
import { policyFilesIn } from "./load-policy-set.ts";
import { PolicyLoadError } from "./policy-load-error.ts";

/** One AuthZEN entity (subject or resource) as the request names it. */
export interface AccessEntity {
  readonly type: string;
  readonly id: string;
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
}

/** A chain-less AuthZEN question. */
export interface AccessQuestion {
  readonly subject: AccessEntity;
  readonly action: {
    readonly name: string;
    readonly properties?: Readonly<Record<string, unknown>> | undefined;
  };
  readonly resource: AccessEntity;
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

/** The answer: `policies` names the determining policy ids. */
export interface AccessAnswer {
  readonly decision: "allow" | "deny";
  readonly message?: string;
  readonly policies: readonly string[];
}

/** A loaded access policy set. */
export interface AccessPolicySet {
  readonly ids: readonly string[];
  readonly files: readonly string[];
  evaluate(question: AccessQuestion): AccessAnswer;
}

/** The file of a policy directory that holds its entities (the PIP data), when present. */
export const ACCESS_ENTITIES_FILE = "entities.json";

const CEDAR_TYPE = /^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*$/;
const MAX_VALUE_DEPTH = 8;
let generation = 0;

type CedarValue = string | number | boolean | CedarValue[] | { [key: string]: CedarValue };

/** A JSON value as a Cedar value, or undefined where Cedar has none (see the module comment). */
export function cedarValue(value: unknown, depth = 0): CedarValue | undefined {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (depth >= MAX_VALUE_DEPTH || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    return value.map((item) => cedarValue(item, depth + 1)).filter((item) => item !== undefined);
  }
  return cedarRecord(value as Record<string, unknown>, depth + 1);
}

function cedarRecord(value: Readonly<Record<string, unknown>>, depth = 0): { [key: string]: CedarValue } {
  const record: { [key: string]: CedarValue } = {};
  for (const [key, item] of Object.entries(value)) {
    // Cedar's JSON reads these keys as an entity reference or an extension call, not as data.
    if (key === "__entity" || key === "__extn" || key === "__expr") continue;
    const converted = cedarValue(item, depth);
    if (converted !== undefined) record[key] = converted;
  }
  return record;
}

interface EntityRecord {
  readonly uid: { readonly type: string; readonly id: string };
  readonly attrs: Record<string, CedarValue>;
  readonly parents: readonly { readonly type: string; readonly id: string }[];
}

const keyOf = (uid: { type: string; id: string }) => `${uid.type}\u0000${uid.id}`;

function parseEntities(file: string, text: string): Map<string, EntityRecord> | PolicyLoadError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return new PolicyLoadError("policy_syntax", `not JSON: ${(error as Error).message}`, { file });
  }
  if (!Array.isArray(parsed))
    return new PolicyLoadError("policy_syntax", "expected a JSON array of Cedar entities", { file });
  const entities = new Map<string, EntityRecord>();
  for (const [index, entry] of parsed.entries()) {
    const e = entry as { uid?: { type?: unknown; id?: unknown }; attrs?: unknown; parents?: unknown };
    const type = e?.uid?.type;
    const id = e?.uid?.id;
    if (typeof type !== "string" || !CEDAR_TYPE.test(type) || typeof id !== "string") {
      return new PolicyLoadError(
        "policy_syntax",
        `entity ${index} needs uid {type: a Cedar type name, id: a string}`,
        { file },
      );
    }
    const parents = Array.isArray(e.parents)
      ? e.parents.filter(
          (p): p is { type: string; id: string } =>
            typeof p?.type === "string" && CEDAR_TYPE.test(p.type) && typeof p?.id === "string",
        )
      : [];
    const attrs =
      typeof e.attrs === "object" && e.attrs !== null ? cedarRecord(e.attrs as Record<string, unknown>) : {};
    entities.set(keyOf({ type, id }), { uid: { type, id }, attrs, parents });
  }
  return entities;
}

/** What {@link compileAccessPolicySet} takes: policy texts and the entities file's text, if any. */
export interface AccessPolicySources {
  readonly sources: readonly { readonly file: string; readonly text: string }[];
  readonly entities?: { readonly file: string; readonly text: string } | undefined;
}

/**
 * Parses an access policy set. Every policy carries a unique `@id("…")` (the response context
 * names the determining ones). There is no schema: AuthZEN properties are whatever the PEP sends.
 */
export function compileAccessPolicySet(
  input: AccessPolicySources,
): { ok: true; value: AccessPolicySet } | { ok: false; error: PolicyLoadError } {
  avoidJsToWasmDeoptCrash();
  const policies: Record<string, string> = {};
  const ids: string[] = [];
  for (const source of input.sources) {
    const parsed = checkParsePolicySet({ staticPolicies: source.text });
    const parts = parsed.type === "success" ? policySetTextToParts(source.text) : undefined;
    if (parts === undefined || parts.type === "failure") {
      const message = parsed.type === "failure" ? parsed.errors[0]?.message : undefined;
      return {
        ok: false,
        error: new PolicyLoadError("policy_syntax", message ?? "the policy file does not parse", {
          file: source.file,
        }),
      };
    }
    for (const text of parts.policies) {
      const json = policyToJson(text);
      const id = json.type === "success" ? json.json.annotations?.id : undefined;
      if (typeof id !== "string" || id.length === 0) {
        return {
          ok: false,
          error: new PolicyLoadError("policy_id_missing", 'every policy needs an @id("…") annotation', {
            file: source.file,
          }),
        };
      }
      if (policies[id] !== undefined) {
        return {
          ok: false,
          error: new PolicyLoadError("policy_id_duplicate", `policy id ${id} is used twice`, {
            file: source.file,
          }),
        };
      }
      policies[id] = text;
      ids.push(id);
    }
  }
  if (ids.length === 0) {
    return {
      ok: false,
      error: new PolicyLoadError("policy_set_empty", "no policies found: Cedar would deny everything"),
    };
  }
  // Parsed once, kept in the wasm module under a fresh name (a reload never disturbs a serving set).
  const setName = `baton-access-policies-${++generation}`;
  const preparsed = preparsePolicySet(setName, { staticPolicies: policies });
  if (preparsed.type === "failure") {
    return {
      ok: false,
      error: new PolicyLoadError(
        "policy_syntax",
        preparsed.errors[0]?.message ?? "the policy set does not parse",
      ),
    };
  }
  const stored =
    input.entities === undefined ? new Map() : parseEntities(input.entities.file, input.entities.text);
  if (stored instanceof PolicyLoadError) return { ok: false, error: stored };

  /** The request's entity: the set's own attributes with the request's properties over them. */
  const entityOf = (entity: AccessEntity): EntityJson => {
    const known = stored.get(keyOf(entity));
    return {
      uid: { type: entity.type, id: entity.id },
      attrs: { ...known?.attrs, ...cedarRecord(entity.properties ?? {}) },
      parents: [...(known?.parents ?? [])],
    } as EntityJson;
  };

  const evaluate = (question: AccessQuestion): AccessAnswer => {
    for (const [what, type] of [
      ["subject", question.subject.type],
      ["resource", question.resource.type],
    ] as const) {
      if (!CEDAR_TYPE.test(type)) {
        return {
          decision: "deny",
          message: `the ${what} type ${JSON.stringify(type.slice(0, 64))} is not a Cedar entity type name, so no policy can name it`,
          policies: [],
        };
      }
    }
    const principal = entityOf(question.subject);
    const resource = entityOf(question.resource);
    const same = keyOf(question.subject) === keyOf(question.resource);
    const named = new Set([keyOf(question.subject), keyOf(question.resource)]);
    const others = [...stored.values()].filter((entity) => !named.has(keyOf(entity.uid))) as EntityJson[];
    const answer = statefulIsAuthorized({
      principal: { type: question.subject.type, id: question.subject.id },
      action: { type: "Action", id: question.action.name },
      resource: { type: question.resource.type, id: question.resource.id },
      context: {
        action: cedarRecord(question.action.properties ?? {}),
        request: cedarRecord(question.context ?? {}),
      },
      preparsedPolicySetId: setName,
      entities: same ? [principal, ...others] : [principal, resource, ...others],
    });
    if (answer.type === "failure") {
      return {
        decision: "deny",
        message: `policy evaluation failed: ${answer.errors[0]?.message ?? "unknown error"}`,
        policies: [],
      };
    }
    const { decision, diagnostics } = answer.response;
    if (decision === "allow") return { decision: "allow", policies: diagnostics.reason };
    return diagnostics.reason.length === 0
      ? { decision: "deny", message: "no policy permits this", policies: [] }
      : {
          decision: "deny",
          message: `denied by policy ${diagnostics.reason.join(", ")}`,
          policies: diagnostics.reason,
        };
  };

  return { ok: true, value: { ids, files: input.sources.map((source) => source.file), evaluate } };
}

/**
 * Loads an access policy set from a directory: its `*.cedar` files (sorted by name) and, when
 * present, `entities.json` (Cedar's entity JSON: the attributes and parents the set knows of).
 */
export function loadAccessPolicySet(
  dir: string,
): { ok: true; value: AccessPolicySet } | { ok: false; error: PolicyLoadError } {
  const files = policyFilesIn(dir);
  if (files instanceof PolicyLoadError) return { ok: false, error: files };
  const read = (file: string) => {
    try {
      return { file, text: readFileSync(file, "utf8") };
    } catch (error) {
      return new PolicyLoadError(
        "policy_dir_unreadable",
        `cannot read the file: ${(error as Error).message}`,
        {
          file,
        },
      );
    }
  };
  const sources = [];
  for (const file of files) {
    const source = read(file);
    if (source instanceof PolicyLoadError) return { ok: false, error: source };
    sources.push(source);
  }
  const entitiesFile = join(dir, ACCESS_ENTITIES_FILE);
  let entities: { file: string; text: string } | undefined;
  try {
    entities = { file: entitiesFile, text: readFileSync(entitiesFile, "utf8") };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      return {
        ok: false,
        error: new PolicyLoadError("policy_dir_unreadable", (error as Error).message, { file: entitiesFile }),
      };
  }
  return compileAccessPolicySet({ sources, entities });
}
