/**
 * What the decision log accepts, written once for every adapter: single and batched appends, and
 * the options of its query and verification. The hash chain itself is `decision-chain.ts`.
 */
import { INPUT_LIMITS } from "@baton/token";
import {
  type CheckedDecision,
  checkAgentId,
  checkCount,
  checkDecisionInput,
  checkDelegationId,
  checkLimit,
  checkObject,
  checkTaskId,
  invalidInput,
  MAX_DECISION_BATCH,
} from "./input-checks.ts";
import { StoreError } from "./store-error.ts";

export function checkAppendDecisionInput(input: unknown): CheckedDecision {
  return checkDecisionInput(input, "decision");
}

function checkBatch(inputs: unknown): unknown[] {
  if (!Array.isArray(inputs) || inputs.length > MAX_DECISION_BATCH) {
    throw invalidInput("decisions", `must be an array of at most ${MAX_DECISION_BATCH} decisions`);
  }
  return inputs;
}

/** A batch appended all or nothing: the first bad input refuses the whole batch. */
export function checkAppendDecisionsInput(inputs: unknown): CheckedDecision[] {
  return checkBatch(inputs).map((input, i) => checkDecisionInput(input, `decisions[${i}]`));
}

/**
 * A batch appended input by input: each entry is its checked decision or the `StoreError` that
 * refused it, so one bad report does not drop the others. Only a bad batch itself throws.
 */
export function checkAppendEachDecisionInput(inputs: unknown): (CheckedDecision | StoreError)[] {
  return checkBatch(inputs).map((input, i) => {
    try {
      return checkDecisionInput(input, `decisions[${i}]`);
    } catch (error) {
      if (error instanceof StoreError) return error;
      throw error;
    }
  });
}

/** A decision query, checked; absent filters stay undefined. */
export interface CheckedDecisionQuery {
  readonly limit: number;
  readonly order: "newest" | "oldest";
  readonly task: string | undefined;
  readonly agent: string | undefined;
  readonly did: string | undefined;
  /** Decisions about this delegation, its ancestors or its descendants. */
  readonly path: string | undefined;
  /** The id of the last decision of the previous page. */
  readonly cursor: number | undefined;
}

export function checkDecisionQuery(query: unknown): CheckedDecisionQuery {
  const input = checkObject(query, "query");
  const limit = checkLimit(input.limit, "query.limit", INPUT_LIMITS.maxPageSize, 100);
  const order = input.order ?? "newest";
  if (order !== "newest" && order !== "oldest") throw invalidInput("query.order", "must be newest or oldest");
  const optional = <T>(value: unknown, check: (value: unknown) => T): T | undefined =>
    value === undefined ? undefined : check(value);
  return {
    limit,
    order,
    task: optional(input.task, (v) => checkTaskId(v, "query.task")),
    agent: optional(input.agent, (v) => checkAgentId(v, "query.agent")),
    did: optional(input.did, (v) => checkDelegationId(v, "query.did")),
    path: optional(input.path, (v) => checkDelegationId(v, "query.path")),
    cursor: optional(input.cursor, (v) => checkCount(v, "query.cursor", Number.MAX_SAFE_INTEGER)),
  };
}

/** The largest `progressEvery` a verification takes. */
export const MAX_PROGRESS_EVERY = 10_000_000;

export interface CheckedVerifyOptions {
  readonly progressEvery: number;
  readonly onProgress: ((rowsChecked: number) => void) | undefined;
}

export function checkVerifyDecisionLogOptions(options: unknown): CheckedVerifyOptions {
  const input = checkObject(options, "options");
  if (input.onProgress !== undefined && typeof input.onProgress !== "function") {
    throw invalidInput("options.onProgress", "must be a function");
  }
  return {
    progressEvery: checkLimit(input.progressEvery, "options.progressEvery", MAX_PROGRESS_EVERY, 10_000),
    onProgress: input.onProgress as ((rowsChecked: number) => void) | undefined,
  };
}
