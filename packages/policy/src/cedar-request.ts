/**
 * Turns a policy question (a {@link PolicyInput}) into a Cedar request: principal, action,
 * resource, entities and the context record the shipped schema describes. Pure.
 */
import type { Context, EntityJson, EntityUidJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { ClockReading } from "./clock-reading.ts";
import type { BusinessHours, PolicyInput } from "./policy-types.ts";

/** The parts of one Cedar authorization call that depend on the question asked. */
export interface CedarRequest {
  readonly principal: EntityUidJson;
  readonly action: EntityUidJson;
  readonly resource: EntityUidJson;
  readonly context: Context;
  readonly entities: EntityJson[];
}

const SENSITIVITIES: ReadonlySet<unknown> = new Set(["low", "medium", "high"]);

function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function tagValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? "";
}

/** Business hours as declared, or undefined when they are absent or not well formed. */
export function businessHoursOf(value: unknown): BusinessHours | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { days, start, end } = value as Record<string, unknown>;
  const minute = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= 1440;
  if (!Array.isArray(days) || !days.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= 7))
    return undefined;
  if (!minute(start) || !minute(end)) return undefined;
  return { days: days as number[], start: start as number, end: end as number };
}

/** Builds the Cedar request for `input` at its `now`, with clock readings from `readLocal`. */
export function cedarRequest(
  input: PolicyInput,
  readUtc: (seconds: number) => ClockReading,
  readLocal: (seconds: number) => ClockReading,
): CedarRequest {
  const leaf = input.hops[input.hops.length - 1];
  const declared = input.context;
  const holder = leaf?.sub ?? "";
  const delegating = input.kind === "delegate";
  const hours = businessHoursOf(declared.taskHours);
  const openedAt =
    typeof declared.taskOpenedAt === "number" && Number.isSafeInteger(declared.taskOpenedAt)
      ? declared.taskOpenedAt
      : Math.min(input.now, ...input.hops.map((hop) => hop.iat));
  const args = Object.entries(input.args);
  const context: Context = {
    kind: input.kind,
    depth: (leaf?.dpt ?? 0) + (delegating ? 1 : 0),
    delegator: delegating ? holder : (leaf?.dlg ?? ""),
    delegate: delegating ? text(declared.to, input.resource) : holder,
    task: {
      id: leaf?.tsk ?? "",
      intent: text(declared.taskIntent),
      hours: {
        declared: hours !== undefined,
        days: [...(hours?.days ?? [])],
        start: hours?.start ?? 0,
        end: hours?.end ?? 1440,
      },
    },
    audience: input.audience,
    action: input.action,
    resource: input.resource,
    args: args.map(([name]) => name),
    sensitivity: SENSITIVITIES.has(declared.sensitivity) ? (declared.sensitivity as string) : "unknown",
    // Undeclared means reversible: tool servers mark the routes that cannot be undone.
    reversible: declared.reversible !== false,
    utc: { ...readUtc(input.now) },
    local: { ...readLocal(input.now) },
    now: input.now,
    approvals: [...(leaf?.apv ?? [])],
    approved: (input.approved ?? []).length > 0,
    chainAge: Math.max(0, input.now - openedAt),
  };
  return {
    principal: { type: "Agent", id: holder },
    action: { type: "Action", id: input.kind },
    resource: { type: "Resource", id: input.resource },
    context,
    entities: [
      { uid: { type: "Agent", id: holder }, attrs: {}, parents: [] },
      {
        uid: { type: "Resource", id: input.resource },
        attrs: {},
        parents: [],
        tags: Object.fromEntries(args.map(([name, value]) => [name, tagValue(value)])),
      },
    ],
  };
}

/**
 * The request model `cedarRequest` builds, as Cedar's schema JSON with common types resolved
 * (`schemaToJsonWithResolvedTypes`): the shipped schema's model, which a test keeps equal to it.
 * A set whose schema has exactly this model can be decided without handing Cedar the schema on
 * each call (see `compilePolicySet`); any other schema keeps the schema on every call.
 */
export const CEDAR_REQUEST_MODEL: unknown = {
  "": {
    commonTypes: {
      BatonContext: {
        type: "Record",
        attributes: {
          action: { type: "String" },
          approvals: { type: "Set", element: { type: "String" } },
          approved: { type: "Bool" },
          args: { type: "Set", element: { type: "String" } },
          audience: { type: "String" },
          chainAge: { type: "Long" },
          delegate: { type: "String" },
          delegator: { type: "String" },
          depth: { type: "Long" },
          kind: { type: "String" },
          local: { type: "Clock" },
          now: { type: "Long" },
          resource: { type: "String" },
          reversible: { type: "Bool" },
          sensitivity: { type: "String" },
          task: {
            type: "Record",
            attributes: {
              hours: { type: "Hours" },
              id: { type: "String" },
              intent: { type: "String" },
            },
          },
          utc: { type: "Clock" },
        },
      },
      Clock: {
        type: "Record",
        attributes: {
          hour: { type: "Long" },
          minute: { type: "Long" },
          minuteOfDay: { type: "Long" },
          weekday: { type: "Long" },
        },
      },
      Hours: {
        type: "Record",
        attributes: {
          days: { type: "Set", element: { type: "Long" } },
          declared: { type: "Bool" },
          end: { type: "Long" },
          start: { type: "Long" },
        },
      },
    },
    entityTypes: { Agent: {}, Resource: { tags: { type: "String" } } },
    actions: {
      delegate: {
        appliesTo: {
          resourceTypes: ["Resource"],
          principalTypes: ["Agent"],
          context: { type: "BatonContext" },
        },
      },
      use: {
        appliesTo: {
          resourceTypes: ["Resource"],
          principalTypes: ["Agent"],
          context: { type: "BatonContext" },
        },
      },
    },
  },
};
