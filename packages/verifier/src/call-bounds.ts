/**
 * Bounds on the free-form parts of a call: its `args` and the caller's `context`. Both reach
 * scope checks and policy (Cedar serializes them), so an unbounded value could exhaust the stack
 * or the heap there; anything past these bounds is refused as `malformed` before any other work.
 * Pure, and iterative: checking a value never recurses, however deep it is.
 */
import type { Reason } from "./decision.ts";

/** The bounds, per field (`args` and `context` each). */
export const CALL_BOUNDS = {
  /** Nesting levels of arrays and objects, the field itself being level 1. */
  maxDepth: 32,
  /** Object members and array elements, counted over the whole value. */
  maxMembers: 4096,
  /** Size as JSON, counted in UTF-16 code units (each string character once, escapes not expanded). */
  maxJsonLength: 64 * 1024,
} as const;

export type CallBoundsField = "args" | "context";

const MAX_PATH_IN_MESSAGE = 120;

function describePath(path: string): string {
  return path.length <= MAX_PATH_IN_MESSAGE ? path : `${path.slice(0, MAX_PATH_IN_MESSAGE)}…`;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Why `value` (the call's `field`) is out of bounds or not JSON, or undefined when it is fine.
 * `undefined` members are accepted (JSON leaves them out); functions, symbols, bigints, class
 * instances and a top level that is not an object are not.
 */
export function callFieldProblem(field: CallBoundsField, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value) || !isPlainObject(value)) {
    return `${field} must be a JSON object`;
  }
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 1, path: field }];
  let members = 0;
  let jsonLength = 0;
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; depth: number; path: string };
    const current = item.value;
    switch (typeof current) {
      case "undefined":
        continue;
      case "string":
        jsonLength += current.length + 2;
        break;
      case "number":
      case "boolean":
        jsonLength += String(current).length;
        break;
      case "object": {
        if (current === null) {
          jsonLength += 4;
          break;
        }
        if (item.depth > CALL_BOUNDS.maxDepth) {
          return `${field} nests deeper than ${CALL_BOUNDS.maxDepth} levels (at ${describePath(item.path)}); flatten it`;
        }
        if (Array.isArray(current)) {
          // Length first: a sparse array of a billion holes is refused without walking it.
          members += current.length;
          if (members > CALL_BOUNDS.maxMembers) break;
          jsonLength += 2 + Math.max(0, current.length - 1);
          for (let index = current.length - 1; index >= 0; index--) {
            stack.push({ value: current[index], depth: item.depth + 1, path: `${item.path}[${index}]` });
          }
          break;
        }
        if (!isPlainObject(current)) {
          return `${describePath(item.path)} is not a JSON value (an instance of a class); send plain JSON`;
        }
        const keys = Object.keys(current);
        members += keys.length;
        if (members > CALL_BOUNDS.maxMembers) break;
        jsonLength += 2 + Math.max(0, keys.length - 1);
        for (const key of keys) {
          jsonLength += key.length + 3;
          stack.push({
            value: (current as Record<string, unknown>)[key],
            depth: item.depth + 1,
            path: `${item.path}.${key}`,
          });
        }
        break;
      }
      default:
        return `${describePath(item.path)} is a ${typeof current}, not a JSON value; send plain JSON`;
    }
    if (members > CALL_BOUNDS.maxMembers) {
      return `${field} has more than ${CALL_BOUNDS.maxMembers} members and elements in all; send fewer`;
    }
    if (jsonLength > CALL_BOUNDS.maxJsonLength) {
      return `${field} is larger than ${CALL_BOUNDS.maxJsonLength} characters as JSON; send less`;
    }
  }
  return undefined;
}

/** The `malformed` reason for a call whose `args` or `context` is out of bounds, if any. */
export function callBoundsReason(call: {
  readonly args?: unknown;
  readonly context?: unknown;
}): Reason | undefined {
  const problem = callFieldProblem("args", call.args) ?? callFieldProblem("context", call.context);
  return problem === undefined ? undefined : { hop: null, code: "malformed", message: problem };
}
