/**
 * What revocation, task closing, the revocation feed and the graph walks accept, written once for
 * every adapter. The cascade itself (which delegations a revocation reaches) is the adapter's
 * query; the rules here say what may be revoked or closed and in which state.
 */
import { INPUT_LIMITS } from "@baton/token";
import {
  type CheckedDecision,
  checkAgentId,
  checkAudit,
  checkCount,
  checkDelegationId,
  checkLimit,
  checkObject,
  checkOptionalText,
  checkRevokeOptions,
  checkTaskId,
  checkTime,
  invalidInput,
  MAX_CHAIN_STATUS_DIDS,
} from "./input-checks.ts";
import { notFound, requireAgent } from "./rule-errors.ts";
import type { TaskRecord, TaskStatus } from "./store.ts";
import { StoreError } from "./store-error.ts";

/** Why and when something is revoked or closed, checked. */
interface CheckedRevocationReason {
  readonly reason: string;
  readonly at: number;
  readonly audit: CheckedDecision | null;
}

// agents ----------------------------------------------------------------------------------------

export interface CheckedAgentRevocation extends CheckedRevocationReason {
  readonly agent: string;
}

/** The input of `disableAgent` and `revokeAgent`. */
export function checkRevokeAgentInput(id: unknown, options: unknown): CheckedAgentRevocation {
  const agent = checkAgentId(id, "agent");
  return { agent, ...checkRevokeOptions(options, "options") };
}

/** Only a registered agent is disabled or revoked (again: the cascade is idempotent). */
export function revokeAgentFits<T>(
  revocation: CheckedAgentRevocation,
  facts: { readonly agent: T | undefined },
): T {
  return requireAgent(facts.agent, revocation.agent, "agent");
}

// tasks -----------------------------------------------------------------------------------------

export interface CheckedTaskRevocation extends CheckedRevocationReason {
  readonly task: string;
}

export function checkRevokeTaskInput(id: unknown, options: unknown): CheckedTaskRevocation {
  const task = checkTaskId(id, "task");
  return { task, ...checkRevokeOptions(options, "options") };
}

/** What closing a task read: the task, if it exists. */
export interface TaskCloseFacts {
  readonly task: Pick<TaskRecord, "status"> | undefined;
}

/** Only an existing task is revoked; revoking a closed one again only re-runs the cascade. */
export function revokeTaskFits(revocation: CheckedTaskRevocation, facts: TaskCloseFacts): void {
  if (facts.task === undefined) throw notFound("task", `no task ${revocation.task}`);
}

/** The reason a completed task records when the caller gives none. */
export const DEFAULT_COMPLETION_REASON = "task completed";

export function checkCompleteTaskInput(id: unknown, options: unknown): CheckedTaskRevocation {
  const task = checkTaskId(id, "task");
  const input = checkObject(options, "options");
  const at = checkTime(input.at, "options.at");
  const reason = checkOptionalText(input.reason, "options.reason") ?? DEFAULT_COMPLETION_REASON;
  return { task, at, reason, audit: checkAudit(input.audit, "options.audit") };
}

/** A task is completed once, and only while open: a revoked task is never turned into a completed one. */
export function completeTaskFits(completion: CheckedTaskRevocation, facts: TaskCloseFacts): void {
  if (facts.task === undefined) throw notFound("task", `no task ${completion.task}`);
  // The message names the task without the field prefix; callers match it as it is.
  if (facts.task.status !== "open") {
    throw new StoreError("conflict", `task ${completion.task} is already ${facts.task.status}`, {
      field: "task",
    });
  }
}

export interface CheckedTaskListing {
  readonly status: TaskStatus | undefined;
  readonly limit: number;
}

export function checkListTasksOptions(options: unknown): CheckedTaskListing {
  const input = checkObject(options, "options");
  const status = input.status;
  if (status !== undefined && status !== "open" && status !== "completed" && status !== "revoked") {
    throw invalidInput("options.status", "must be open, completed or revoked");
  }
  return { status, limit: checkLimit(input.limit, "options.limit", INPUT_LIMITS.maxPageSize, 100) };
}

// delegations -----------------------------------------------------------------------------------

export interface CheckedDelegationRevocation extends CheckedRevocationReason {
  readonly did: string;
}

export function checkRevokeDelegationInput(did: unknown, options: unknown): CheckedDelegationRevocation {
  const target = checkDelegationId(did, "did");
  return { did: target, ...checkRevokeOptions(options, "options") };
}

/** Only a recorded delegation is revoked (again: the cascade is idempotent). */
export function revokeDelegationFits(
  revocation: CheckedDelegationRevocation,
  facts: { readonly delegationExists: boolean },
): void {
  if (!facts.delegationExists) throw notFound("did", `no delegation ${revocation.did}`);
}

export function checkChainStatusInput(dids: unknown): string[] {
  if (!Array.isArray(dids) || dids.length > MAX_CHAIN_STATUS_DIDS) {
    throw invalidInput("dids", `must be an array of at most ${MAX_CHAIN_STATUS_DIDS} delegation ids`);
  }
  return dids.map((did: unknown, i) => checkDelegationId(did, `dids[${i}]`));
}

/** `chainFacts`'s options, checked: the agent to read with the chain, if any. */
export function checkChainFactsOptions(options: unknown): { agent: string | undefined } {
  if (options === undefined) return { agent: undefined };
  const agent = checkObject(options, "options").agent;
  if (agent !== undefined && typeof agent !== "string") {
    throw invalidInput("options.agent", "must be an agent id (a string)");
  }
  return { agent };
}

// the revocation feed ---------------------------------------------------------------------------

/** The default and the largest page of the revocation feed. */
export const DEFAULT_FEED_PAGE_SIZE = 1000;

export function checkRevocationsSinceInput(since: unknown, limit: unknown): { since: number; limit: number } {
  return {
    since: checkCount(since, "since", Number.MAX_SAFE_INTEGER),
    limit: checkLimit(limit, "limit", INPUT_LIMITS.maxFeedPageSize, DEFAULT_FEED_PAGE_SIZE),
  };
}

// graph walks -----------------------------------------------------------------------------------

export function checkAncestorsInput(did: unknown): string {
  return checkDelegationId(did, "did");
}

export interface CheckedDescendantsWalk {
  readonly did: string;
  readonly maxDepth: number | undefined;
  readonly liveOnly: boolean;
}

export function checkDescendantsInput(did: unknown, options: unknown): CheckedDescendantsWalk {
  const start = checkDelegationId(did, "did");
  const input = checkObject(options, "options");
  const maxDepth =
    input.maxDepth === undefined
      ? undefined
      : checkCount(input.maxDepth, "options.maxDepth", Number.MAX_SAFE_INTEGER);
  if (input.liveOnly !== undefined && typeof input.liveOnly !== "boolean") {
    throw invalidInput("options.liveOnly", "must be a boolean");
  }
  return { did: start, maxDepth, liveOnly: input.liveOnly === true };
}

export function checkTaskTreeInput(task: unknown): string {
  return checkTaskId(task, "task");
}

export function checkBlastRadiusInput(agent: unknown): string {
  return checkAgentId(agent, "agent");
}
