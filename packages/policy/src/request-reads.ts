/**
 * What of a Cedar request a policy set can observe, found from the policies' JSON form at load, and
 * the projection of a context onto it. Cedar's per-call cost grows with every context value it has
 * to parse (a few microseconds each); a value no condition can reach cannot change a decision, so
 * it need not cross into Cedar at all. Pure.
 */
import type { Clause, Context, PolicyJson } from "@cedar-policy/cedar-wasm/nodejs";

/**
 * The context attributes a set can read, as a tree of attribute paths. `whole` means the value at
 * this path is used as a whole (compared, tested for membership, passed to a function…), so it is
 * sent as it is; otherwise only the `children` named are sent.
 */
export interface ContextReads {
  readonly whole: boolean;
  readonly children: ReadonlyMap<string, ContextReads>;
}

/** What a policy set can observe of a request besides principal, action and resource ids. */
export interface RequestReads {
  readonly context: ContextReads;
  /**
   * True when a condition could observe entity data (tags, attributes, ancestors). Baton's
   * entities carry no attributes or parents, and their only data is the resource's tags (the call
   * arguments); an entity absent from the request reads exactly like one without data.
   */
  readonly entities: boolean;
}

interface MutableReads {
  whole: boolean;
  readonly children: Map<string, MutableReads>;
}

const BINARY = new Set([
  "==",
  "!=",
  "in",
  "<",
  "<=",
  ">",
  ">=",
  "&&",
  "||",
  "+",
  "-",
  "*",
  "contains",
  "containsAll",
  "containsAny",
  "getTag",
  "hasTag",
]);
const UNARY = new Set(["!", "neg", "isEmpty"]);
/** Operators through which a condition may reach entity data rather than ids. */
const ENTITY_READS = new Set(["in", "getTag", "hasTag", ".", "has", "is"]);

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The attribute path `expr` names inside `context` (`[]` for `context` itself), else undefined. */
function contextPath(expr: unknown): readonly string[] | undefined {
  if (!isNode(expr)) return undefined;
  if (expr.Var === "context") return [];
  const access = expr["."];
  if (isNode(access) && typeof access.attr === "string") {
    const parent = contextPath(access.left);
    return parent === undefined ? undefined : [...parent, access.attr];
  }
  return undefined;
}

/**
 * True when `policy` cannot apply to `action` (the id of an `Action` entity): its scope names
 * another action with `==`. Cedar checks the scope before the conditions, so such a policy reads
 * nothing of that request.
 */
function outOfScope(policy: PolicyJson, action: string): boolean {
  const scope = policy.action as unknown;
  if (!isNode(scope) || scope.op !== "==" || !isNode(scope.entity)) return false;
  const uid = isNode(scope.entity.__entity) ? scope.entity.__entity : scope.entity;
  return uid.type === "Action" && typeof uid.id === "string" && uid.id !== action;
}

/**
 * Reads the conditions of `policies` for what they can observe; with `action`, only of the
 * policies whose scope can apply to that action.
 */
export function requestReads(policies: readonly PolicyJson[], action?: string): RequestReads {
  const root: MutableReads = { whole: false, children: new Map() };
  let entities = false;
  const need = (path: readonly string[]) => {
    let node = root;
    for (const attr of path) {
      if (node.whole) return;
      let child = node.children.get(attr);
      if (child === undefined) {
        child = { whole: false, children: new Map() };
        node.children.set(attr, child);
      }
      node = child;
    }
    node.whole = true;
  };

  // Whatever this reader does not recognise may read anything.
  const readsAnything = () => {
    need([]);
    entities = true;
  };
  const walkAll = (exprs: unknown) => {
    if (Array.isArray(exprs)) for (const expr of exprs) walk(expr);
    else readsAnything();
  };

  const walk = (expr: unknown): void => {
    if (!isNode(expr)) {
      readsAnything();
      return;
    }
    const path = contextPath(expr);
    if (path !== undefined) {
      need(path);
      return;
    }
    const keys = Object.keys(expr);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) {
      readsAnything();
      return;
    }
    const arg = expr[op];
    const operands = isNode(arg) ? arg : {};
    // `.`/`has` on a context path read the context only; on anything else, maybe an entity.
    if (ENTITY_READS.has(op) && !((op === "." || op === "has") && contextPath(operands.left))) {
      entities = true;
    }
    if (op === "Value" || op === "Slot" || op === "Var") {
      // A literal, a template slot, or principal/action/resource (their ids; context is a path).
    } else if (op === "has") {
      const base = contextPath(operands.left);
      const attrs = typeof operands.attr === "string" ? [operands.attr] : operands.attr;
      if (base !== undefined && Array.isArray(attrs) && attrs.every((a) => typeof a === "string")) {
        need([...base, ...attrs]);
      } else walk(operands.left);
    } else if (op === "." || op === "like") {
      walk(operands.left);
    } else if (op === "is") {
      walk(operands.left);
      if ("in" in operands) walk(operands.in);
    } else if (op === "if-then-else") {
      walkAll([operands.if, operands.then, operands.else]);
    } else if (op === "Set") {
      walkAll(arg);
    } else if (op === "Record") {
      // Values are expressions; keys are attribute names (a key may well be "Value").
      walkAll(isNode(arg) ? Object.values(arg) : undefined);
    } else if (BINARY.has(op)) {
      walkAll([operands.left, operands.right]);
    } else if (UNARY.has(op)) {
      walk(operands.arg);
    } else {
      // An extension function call (`ip`, `decimal`, `isInRange`, …): its arguments are expressions.
      walkAll(arg);
    }
  };

  for (const policy of policies) {
    if (action !== undefined && outOfScope(policy, action)) continue;
    for (const clause of policy.conditions as readonly Clause[]) walk(clause.body);
  }
  return { context: root, entities };
}

/** `context` with only the attributes `reads` names; the same object when it reads it whole. */
export function projectContext(context: Context, reads: ContextReads): Context {
  return project(context, reads) as Context;
}

function project(value: unknown, reads: ContextReads): unknown {
  // Only a plain record can be cut; Cedar's JSON escapes (`__entity`, `__extn`) stay whole.
  if (reads.whole || !isNode(value) || "__entity" in value || "__extn" in value) return value;
  const out: Record<string, unknown> = {};
  for (const [attr, child] of reads.children) {
    if (Object.hasOwn(value, attr)) out[attr] = project(value[attr], child);
  }
  return out;
}
