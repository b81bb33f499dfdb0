/**
 * Cedar's answers, remembered by the exact request that produced them. Cedar is a pure function
 * of the policy set and the request (it reads no clock and no state), so while one pre-parsed set
 * is in use, a request equal to one already decided gets the same answer. The lean request of a
 * call (request-reads.ts) names only what the policies can observe, so calls that differ in
 * nothing a policy reads share an answer: on a tool server, the same agent calling the same
 * action on the same resource. Each answer costs Cedar tens of microseconds; a hit costs a key.
 * Pure.
 */

/** How many answers one policy set keeps; the oldest goes first. */
export const ANSWER_MEMO_SIZE = 1024;

/**
 * A text that is equal for two values exactly when they are equal JSON data: strings, finite
 * numbers other than -0, booleans, and arrays and plain objects of those (object keys in their
 * order). Undefined for anything else (null, undefined, NaN, ±Infinity, -0, other objects), whose
 * conversion into Cedar a JSON text would not pin down: such requests are never remembered.
 */
export function plainKey(value: unknown): string | undefined {
  return isPlainJson(value) ? JSON.stringify(value) : undefined;
}

/** True for the values {@link plainKey} accepts; checked before serializing, natively, in one go. */
function isPlainJson(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (!isPlainJson(item)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) {
        if (Object.hasOwn(value, key) && !isPlainJson((value as Record<string, unknown>)[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** At most `size` answers by key; a new one past that evicts the oldest. */
export class AnswerMemo<T> {
  readonly #answers = new Map<string, T>();
  readonly #size: number;

  constructor(size = ANSWER_MEMO_SIZE) {
    this.#size = size;
  }

  get(key: string): T | undefined {
    return this.#answers.get(key);
  }

  set(key: string, answer: T): void {
    if (this.#answers.size >= this.#size && !this.#answers.has(key)) {
      const oldest = this.#answers.keys().next().value;
      if (oldest !== undefined) this.#answers.delete(oldest);
    }
    this.#answers.set(key, answer);
  }

  get size(): number {
    return this.#answers.size;
  }
}
