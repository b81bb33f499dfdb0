/**
 * The scope algebra: what a capability allows, and when one capability covers another.
 *
 * Normalization is refusal, not repair. A pattern or a concrete name that is not already in its
 * one canonical spelling (no `..`, no `%`, no empty segment, no Unicode, no stray wildcard) is
 * `malformed`, so two spellings of one resource can never compare differently.
 */
import { fail, ok, type Result, TokenError } from "./token-error.ts";

/** Longest action or resource pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 512;
/** Most named argument limits one capability may carry. */
export const MAX_LIMITS_PER_CAPABILITY = 16;
/** Most values one `in` limit may list. */
export const MAX_LIMIT_VALUES = 64;

/** A limit on one named call argument. Every constraint present must hold. */
export interface ArgumentLimit {
  /** The argument is a finite number ≤ `max`. */
  readonly max?: number;
  /** The argument is a finite number ≥ `min`. */
  readonly min?: number;
  /** The argument is one of these values (compared by type and value). */
  readonly in?: readonly (string | number)[];
}

/** Argument limits by argument name. */
export type ArgumentLimits = Readonly<Record<string, ArgumentLimit>>;

/** `{act, res, lim?}`: an action pattern, a resource pattern, optional argument limits. */
export interface Capability {
  readonly act: string;
  readonly res: string;
  readonly lim?: ArgumentLimits;
}

/** A concrete call that a tool server is asked to perform. */
export interface Call {
  readonly action: string;
  readonly resource: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

type Pattern =
  | { readonly kind: "any" }
  | { readonly kind: "prefix"; readonly segments: readonly string[] }
  | { readonly kind: "exact"; readonly segments: readonly string[] };

/** The resource pattern keeps its scheme apart so `repo:` never matches `mail:`. */
type ResourcePattern =
  | { readonly kind: "any" }
  | { readonly kind: "prefix" | "exact"; readonly scheme: string; readonly segments: readonly string[] };

const ACTION_SEGMENT = /^[A-Za-z0-9_-]+$/;
const SCHEME = /^[a-z][a-z0-9+-]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9\-._~:@+=,!]+$/;
const ARGUMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_LIMIT_STRING = 256;

function malformed(claim: string, message: string): { ok: false; error: TokenError } {
  return fail(new TokenError("malformed", message, { claim }));
}

// Capability patterns recur in every hop below the one that names them, and parsing one is a pure
// function of its text, so accepted ones are remembered (frozen: callers share them).
const MAX_REMEMBERED_PATTERNS = 1024;
const acceptedActionPatterns = new Map<string, Pattern>();
const acceptedResourcePatterns = new Map<string, ResourcePattern>();

function remember<P extends Pattern | ResourcePattern>(
  accepted: Map<string, P>,
  text: string,
  parsed: Result<P>,
): Result<P> {
  if (parsed.ok) {
    if (accepted.size >= MAX_REMEMBERED_PATTERNS) accepted.clear();
    if ("segments" in parsed.value) Object.freeze(parsed.value.segments);
    accepted.set(text, Object.freeze(parsed.value));
  }
  return parsed;
}

/**
 * A capability's action pattern (wildcards allowed), remembered once accepted. `capability` names
 * the capability in a refusal (`cap[2]`); its `.act` is added only when there is one to make.
 */
function parseCapabilityAction(text: string, capability: string): Result<Pattern> {
  const known = acceptedActionPatterns.get(text);
  return known === undefined
    ? remember(acceptedActionPatterns, text, parseActionPattern(text, `${capability}.act`, true))
    : ok(known);
}

/** A capability's resource pattern (wildcards allowed), remembered once accepted. */
function parseCapabilityResource(text: string, capability: string): Result<ResourcePattern> {
  const known = acceptedResourcePatterns.get(text);
  return known === undefined
    ? remember(acceptedResourcePatterns, text, parseResourcePattern(text, `${capability}.res`, true))
    : ok(known);
}

function parseActionPattern(text: string, claim: string, allowWildcard: boolean): Result<Pattern> {
  if (text.length === 0 || text.length > MAX_PATTERN_LENGTH) {
    return malformed(claim, `${claim} must be 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  if (text === "*") {
    return allowWildcard
      ? ok({ kind: "any" })
      : malformed(claim, `${claim} must be a concrete action, not *`);
  }
  const segments = text.split(".");
  let kind: "prefix" | "exact" = "exact";
  if (segments[segments.length - 1] === "*") {
    if (!allowWildcard) return malformed(claim, `${claim} must be a concrete action without a wildcard`);
    kind = "prefix";
    segments.pop();
  }
  for (const segment of segments) {
    if (!ACTION_SEGMENT.test(segment)) {
      return malformed(
        claim,
        `${claim} ${JSON.stringify(text)} is not a canonical action: use dot-separated [A-Za-z0-9_-] segments, with * only as the whole last segment`,
      );
    }
  }
  return ok({ kind, segments });
}

function parseResourcePattern(text: string, claim: string, allowWildcard: boolean): Result<ResourcePattern> {
  if (text.length === 0 || text.length > MAX_PATTERN_LENGTH) {
    return malformed(claim, `${claim} must be 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  if (text === "**") {
    return allowWildcard
      ? ok({ kind: "any" })
      : malformed(claim, `${claim} must be a concrete resource, not **`);
  }
  const colon = text.indexOf(":");
  const scheme = colon < 0 ? "" : text.slice(0, colon);
  if (!SCHEME.test(scheme)) {
    return malformed(claim, `${claim} ${JSON.stringify(text)} needs a lowercase scheme: scheme:path`);
  }
  const segments = text.slice(colon + 1).split("/");
  let kind: "prefix" | "exact" = "exact";
  if (segments[segments.length - 1] === "**") {
    if (!allowWildcard) return malformed(claim, `${claim} must be a concrete resource without a wildcard`);
    kind = "prefix";
    // `scheme:**` (every path of a scheme) is thereby the one pattern with no path segments.
    segments.pop();
  }
  for (const segment of segments) {
    if (!PATH_SEGMENT.test(segment) || segment === "." || segment === "..") {
      return malformed(
        claim,
        `${claim} ${JSON.stringify(text)} is not a canonical resource: path segments are non-empty, use only A-Z a-z 0-9 - . _ ~ : @ + = , !, are never . or .., and ** may only end the pattern`,
      );
    }
  }
  return ok({ kind, scheme, segments });
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function parseLimit(value: unknown, claim: string): Result<ArgumentLimit> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return malformed(claim, `${claim} must be an object with max, min or in`);
  }
  // Keys, then each value: Object.entries would make a pair per member.
  const keys = Object.keys(value);
  if (keys.length === 0) return malformed(claim, `${claim} must state at least one of max, min, in`);
  const limit: { max?: number; min?: number; in?: (string | number)[] } = {};
  for (const key of keys) {
    const bound = (value as Record<string, unknown>)[key];
    if (key === "max" || key === "min") {
      if (!isFiniteNumber(bound))
        return malformed(`${claim}.${key}`, `${claim}.${key} must be a finite number`);
      limit[key] = bound;
    } else if (key === "in") {
      if (!Array.isArray(bound) || bound.length === 0 || bound.length > MAX_LIMIT_VALUES) {
        return malformed(`${claim}.in`, `${claim}.in must be an array of 1 to ${MAX_LIMIT_VALUES} values`);
      }
      const seen = new Set<string | number>();
      for (const item of bound) {
        const valid =
          isFiniteNumber(item) ||
          (typeof item === "string" && item.length <= MAX_LIMIT_STRING && item.isWellFormed());
        if (!valid || seen.has(item)) {
          return malformed(`${claim}.in`, `${claim}.in must hold distinct strings or finite numbers`);
        }
        seen.add(item);
      }
      limit.in = [...seen];
    } else {
      return malformed(
        `${claim}.${key}`,
        `${claim} has unknown constraint ${JSON.stringify(key)}; use max, min or in`,
      );
    }
  }
  if (limit.max !== undefined && limit.min !== undefined && limit.min > limit.max) {
    return malformed(claim, `${claim} has min greater than max, which allows nothing`);
  }
  return ok(limit);
}

function parseLimits(value: unknown, claim: string): Result<ArgumentLimits> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return malformed(claim, `${claim} must be an object of argument limits`);
  }
  const names = Object.keys(value);
  // `lim: {}` would be a second spelling of "no limits"; one spelling only.
  if (names.length === 0) return malformed(claim, `${claim} is empty; omit lim when there are no limits`);
  if (names.length > MAX_LIMITS_PER_CAPABILITY) {
    return malformed(claim, `${claim} may limit at most ${MAX_LIMITS_PER_CAPABILITY} arguments`);
  }
  const limits: Record<string, ArgumentLimit> = {};
  for (const name of names) {
    const raw = (value as Record<string, unknown>)[name];
    // `__proto__` matches the pattern, but assigning it to a plain object sets the prototype
    // instead of adding a limit: the limit would vanish silently (refusal, not repair).
    if (!ARGUMENT_NAME.test(name) || name === "__proto__") {
      return malformed(
        claim,
        `${claim} argument name ${JSON.stringify(name)} must match [A-Za-z_][A-Za-z0-9_]*, not __proto__`,
      );
    }
    const limit = parseLimit(raw, `${claim}.${name}`);
    if (!limit.ok) return limit;
    limits[name] = limit.value;
  }
  return ok(limits);
}

/**
 * Validates untrusted input as a capability, returning it in canonical form.
 *
 * @example
 * parseCapability({ act: "github.issues.*", res: "repo:acme/web/**", lim: { count: { max: 5 } } })
 */
export function parseCapability(value: unknown, claim = "cap"): Result<Capability> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return malformed(claim, `${claim} must be an object {act, res, lim?}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== "act" && key !== "res" && key !== "lim") {
      return malformed(
        `${claim}.${key}`,
        `${claim} has unknown member ${JSON.stringify(key)}; only act, res, lim`,
      );
    }
  }
  const { act, res, lim } = value as { act?: unknown; res?: unknown; lim?: unknown };
  if (typeof act !== "string") return malformed(`${claim}.act`, `${claim}.act must be a string`);
  if (typeof res !== "string") return malformed(`${claim}.res`, `${claim}.res must be a string`);
  const action = parseCapabilityAction(act, claim);
  if (!action.ok) return action;
  const resource = parseCapabilityResource(res, claim);
  if (!resource.ok) return resource;
  if (lim === undefined) return ok({ act, res });
  const limits = parseLimits(lim, `${claim}.lim`);
  return limits.ok ? ok({ act, res, lim: limits.value }) : limits;
}

// The coverage checks find a capability's patterns by its text in the maps of accepted patterns,
// which parseCapability filled: two string lookups, where a WeakMap from each capability object to
// its parsed form cost more to fill (0.4–1 µs a capability) than parsing its patterns again.

/** A capability's action pattern. Throws `malformed` for one that is not canonical: a bug. */
function actionOf(capability: Capability): Pattern {
  const known = acceptedActionPatterns.get(capability.act);
  if (known !== undefined) return known;
  const action = parseCapabilityAction(capability.act, "cap");
  if (!action.ok) throw action.error;
  return action.value;
}

/** A capability's resource pattern. Throws `malformed` for one that is not canonical: a bug. */
function resourceOf(capability: Capability): ResourcePattern {
  const known = acceptedResourcePatterns.get(capability.res);
  if (known !== undefined) return known;
  const resource = parseCapabilityResource(capability.res, "cap");
  if (!resource.ok) throw resource.error;
  return resource.value;
}

function startsWith(whole: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > whole.length) return false;
  for (let i = 0; i < prefix.length; i++) if (whole[i] !== prefix[i]) return false;
  return true;
}

function segmentsCover(parent: Pattern, child: Pattern): boolean {
  if (parent.kind === "any") return true;
  if (child.kind === "any") return false;
  if (parent.kind === "exact") {
    return (
      child.kind === "exact" &&
      child.segments.length === parent.segments.length &&
      startsWith(child.segments, parent.segments)
    );
  }
  // A prefix pattern `P.*` matches one or more segments after P, never P itself.
  if (!startsWith(child.segments, parent.segments)) return false;
  return child.kind === "prefix" ? true : child.segments.length > parent.segments.length;
}

function resourceCovers(parent: ResourcePattern, child: ResourcePattern): boolean {
  if (parent.kind === "any") return true;
  if (child.kind === "any") return false;
  if (parent.scheme !== child.scheme) return false;
  return segmentsCover(parent, child);
}

function limitCovers(parent: ArgumentLimit, child: ArgumentLimit | undefined): boolean {
  if (child === undefined) return false;
  if (parent.max !== undefined && (child.max === undefined || child.max > parent.max)) return false;
  if (parent.min !== undefined && (child.min === undefined || child.min < parent.min)) return false;
  if (parent.in !== undefined) {
    if (child.in === undefined) return false;
    const allowed = new Set(parent.in);
    if (!child.in.every((value) => allowed.has(value))) return false;
  }
  return true;
}

/**
 * True when every concrete call `child` allows, `parent` allows too: the action pattern, the
 * resource pattern and each of the parent's argument limits are each covered. A child may add
 * limits the parent lacks; it may never drop or loosen one.
 */
export function covers(parent: Capability, child: Capability): boolean {
  if (!segmentsCover(actionOf(parent), actionOf(child))) return false;
  if (!resourceCovers(resourceOf(parent), resourceOf(child))) return false;
  const parentLimits = parent.lim;
  if (parentLimits === undefined) return true;
  const childLimits = child.lim;
  for (const name of Object.keys(parentLimits)) {
    // Own limits only: an argument named `constructor` must not find Object.prototype's.
    const own = childLimits !== undefined && Object.hasOwn(childLimits, name) ? childLimits[name] : undefined;
    if (!limitCovers(parentLimits[name] as ArgumentLimit, own)) return false;
  }
  return true;
}

/** The child capabilities that no single parent capability covers; empty when `child ⊆ parent`. */
export function capsCover(parentCaps: readonly Capability[], childCaps: readonly Capability[]): Capability[] {
  // Loops rather than filter and some: this runs for every hop, and closures would be made per call.
  const uncovered: Capability[] = [];
  for (const child of childCaps) {
    let covered = false;
    for (const parent of parentCaps) {
      if (covers(parent, child)) {
        covered = true;
        break;
      }
    }
    if (!covered) uncovered.push(child);
  }
  return uncovered;
}

function argumentSatisfies(limit: ArgumentLimit, value: unknown): boolean {
  if (limit.max !== undefined || limit.min !== undefined) {
    if (!isFiniteNumber(value)) return false;
    if (limit.max !== undefined && value > limit.max) return false;
    if (limit.min !== undefined && value < limit.min) return false;
  }
  if (limit.in !== undefined) {
    if (typeof value !== "string" && typeof value !== "number") return false;
    if (!limit.in.includes(value)) return false;
  }
  return true;
}

function parseCallPatterns(call: Call): Result<{ action: Pattern; resource: ResourcePattern }> {
  // A call is often built from request data: check the types the signature promises, so that a
  // number or null is refused as malformed instead of throwing.
  if (typeof call.action !== "string") return malformed("action", "action must be a string");
  if (typeof call.resource !== "string") return malformed("resource", "resource must be a string");
  const action = parseActionPattern(call.action, "action", false);
  if (!action.ok) return action;
  const resource = parseResourcePattern(call.resource, "resource", false);
  if (!resource.ok) return resource;
  return ok({ action: action.value, resource: resource.value });
}

/** Validates a concrete call: a literal action and resource, no wildcards. */
export function parseCall(call: Call): Result<Call> {
  const patterns = parseCallPatterns(call);
  return patterns.ok ? ok(call) : patterns;
}

/**
 * True when one of `caps` could allow `action` on some resource with some arguments: for showing
 * what a chain may call (an MCP `tools/list`), never for deciding a call, which `allows` does.
 */
export function allowsAction(caps: readonly Capability[], action: string): boolean {
  const concrete = parseActionPattern(action, "action", false);
  if (!concrete.ok) return false;
  return caps.some((capability) => segmentsCover(actionOf(capability), concrete.value));
}

/**
 * True when one of `caps` allows the concrete call. A limited argument that is missing, or of
 * the wrong type, fails closed. A call that is not canonical is never allowed.
 *
 * @example
 * allows([{ act: "mail.send", res: "mailbox:ops/**", lim: { count: { max: 10 } } }],
 *   { action: "mail.send", resource: "mailbox:ops/alerts", args: { count: 3 } }) // true
 */
export function allows(caps: readonly Capability[], call: Call): boolean {
  const c = parseCallPatterns(call);
  if (!c.ok) return false;
  const args = call.args ?? {};
  return caps.some((capability) => {
    if (!segmentsCover(actionOf(capability), c.value.action)) return false;
    if (!resourceCovers(resourceOf(capability), c.value.resource)) return false;
    // As in `covers`: a capability without limits lists nothing.
    if (capability.lim === undefined) return true;
    const limits = capability.lim;
    return Object.keys(limits).every(
      (name) => Object.hasOwn(args, name) && argumentSatisfies(limits[name] as ArgumentLimit, args[name]),
    );
  });
}
