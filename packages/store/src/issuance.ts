/**
 * Issuance: a root grant (with the task it opens), a hop, a revalidation. Each writes its
 * delegation and token (and optional audit decision) in one IMMEDIATE transaction, after checking
 * the graph's invariants against the rows as they are at commit time.
 */
import { audiencesCover, CLAIM_LIMITS, capsCover } from "@baton/token";
import { toDelegationRecord } from "./delegation-rows.ts";
import {
  checkAgentId,
  checkAudiences,
  checkAudit,
  checkCapabilities,
  checkCount,
  checkInterval,
  checkObject,
  checkOptionalText,
  checkRandomId,
  checkTaskHours,
  checkTaskId,
  checkText,
  checkTime,
  checkTokenInput,
  invalidInput,
} from "./input-checks.ts";
import * as schema from "./schema.ts";
import type { SqliteContext } from "./sqlite-context.ts";
import type {
  GrantInput,
  GrantRecord,
  HopInput,
  HopRecord,
  RevalidationInput,
  TokenRecord,
} from "./store.ts";
import { StoreError } from "./store-error.ts";

/** Opens a task with its root delegation and first token. */
export function recordGrant(ctx: SqliteContext, input: GrantInput): GrantRecord {
  const value = checkObject(input, "grant");
  const d = checkObject(value.delegation, "grant.delegation");
  const did = checkRandomId(d.did, "grant.delegation.did");
  const taskInput = checkObject(d.task, "grant.delegation.task");
  const taskId = checkTaskId(taskInput.id, "grant.delegation.task.id");
  const intent = checkText(taskInput.intent, "grant.delegation.task.intent");
  const hours =
    taskInput.hours === undefined ? null : checkTaskHours(taskInput.hours, "grant.delegation.task.hours");
  const to = checkAgentId(d.to, "grant.delegation.to");
  const cap = checkCapabilities(d.cap, "grant.delegation.cap");
  const aud = checkAudiences(d.aud, "grant.delegation.aud");
  const mdp = checkCount(d.mdp, "grant.delegation.mdp", CLAIM_LIMITS.maxDepth);
  const exp = checkTime(d.exp, "grant.delegation.exp");
  const rvi = d.rvi === undefined ? null : checkInterval(d.rvi, "grant.delegation.rvi");
  if (d.depth !== undefined && d.depth !== 0)
    throw invalidInput("grant.delegation.depth", "must be 0 on a root grant");
  const token = checkTokenInput(value.token, "grant.token", "absent");
  if (token.exp > exp) throw invalidInput("grant.token.exp", "must not be after the delegation's exp");
  const at = checkTime(value.at, "grant.at");
  const audit = checkAudit(value.audit, "grant.audit");

  return ctx.write(() => {
    if (ctx.findTask(taskId) !== undefined) {
      throw new StoreError(
        "conflict",
        `grant.delegation.task.id: task ${taskId} already exists; use a new task id`,
        {
          field: "grant.delegation.task.id",
        },
      );
    }
    if (ctx.statements.delegation.get(did) !== undefined) {
      throw new StoreError("conflict", `grant.delegation.did: delegation ${did} already exists`, {
        field: "grant.delegation.did",
      });
    }
    ctx.requireNewJti(token.jti, "grant.token.jti");
    const holder = ctx.requireAgent(to, "grant.delegation.to");
    if (holder.status !== "active") {
      throw new StoreError("revoked", `grant.delegation.to: agent ${to} is disabled`, {
        field: "grant.delegation.to",
      });
    }
    const task = ctx.db
      .insert(schema.tasks)
      .values({ id: taskId, intent, hours, rootAgent: to, rootDid: did, openedAt: at })
      .returning()
      .get();
    const delegation = ctx.insertDelegation({
      did,
      parent: null,
      root: did,
      task: taskId,
      depth: 0,
      from: null,
      to,
      intent: null,
      cap,
      aud,
      mdp,
      exp,
      rvi,
      createdAt: at,
    });
    const tokenRecord = ctx.insertToken(did, token, 1, null, at);
    ctx.audit(audit);
    return { task, delegation, token: tokenRecord };
  });
}

/** Records one hop below a live parent, with its first token. */
export function recordHop(ctx: SqliteContext, input: HopInput): HopRecord {
  const value = checkObject(input, "hop");
  const d = checkObject(value.delegation, "hop.delegation");
  const did = checkRandomId(d.did, "hop.delegation.did");
  const parentDid = checkRandomId(d.parent, "hop.delegation.parent");
  const from = checkAgentId(d.from, "hop.delegation.from");
  const to = checkAgentId(d.to, "hop.delegation.to");
  const taskId = checkTaskId(d.task, "hop.delegation.task");
  const cap = checkCapabilities(d.cap, "hop.delegation.cap");
  const aud = checkAudiences(d.aud, "hop.delegation.aud");
  const mdp = checkCount(d.mdp, "hop.delegation.mdp", CLAIM_LIMITS.maxDepth);
  const exp = checkTime(d.exp, "hop.delegation.exp");
  const depth = checkCount(d.depth, "hop.delegation.depth", CLAIM_LIMITS.maxDepth);
  if (depth === 0)
    throw invalidInput("hop.delegation.depth", "must be at least 1 on a hop (0 is a root grant)");
  const rvi = d.rvi === undefined ? null : checkInterval(d.rvi, "hop.delegation.rvi");
  const intent = checkOptionalText(d.intent, "hop.delegation.intent");
  const token = checkTokenInput(value.token, "hop.token", "required");
  if (token.exp > exp) throw invalidInput("hop.token.exp", "must not be after the delegation's exp");
  const at = checkTime(value.at, "hop.at");
  const audit = checkAudit(value.audit, "hop.audit");
  if (did === parentDid) throw invalidInput("hop.delegation.did", "must differ from its parent (a cycle)");
  if (from === to) throw invalidInput("hop.delegation.to", "an agent cannot delegate to itself");

  return ctx.write(() => {
    const parent = ctx.requireDelegation(parentDid, "hop.delegation.parent");
    if (ctx.statements.delegation.get(did) !== undefined) {
      throw new StoreError("conflict", `hop.delegation.did: delegation ${did} already exists`, {
        field: "hop.delegation.did",
      });
    }
    ctx.requireNewJti(token.jti, "hop.token.jti");
    const toAgent = ctx.requireAgent(to, "hop.delegation.to");
    const fromAgent = ctx.requireAgent(from, "hop.delegation.from");

    // The graph's own invariants: the store refuses to hold an edge that widens or misplaces.
    if (parent.task !== taskId) {
      throw invalidInput("hop.delegation.task", `must equal the parent's task ${parent.task}`);
    }
    if (depth !== parent.depth + 1) {
      throw invalidInput("hop.delegation.depth", `must be the parent's depth + 1 (${parent.depth + 1})`);
    }
    if (parent.to !== from) {
      throw invalidInput("hop.delegation.from", `must be the parent's holder ${parent.to}`);
    }
    if (parent.mdp < 1 || mdp > parent.mdp - 1) {
      throw invalidInput("hop.delegation.mdp", `must be at most the parent's mdp - 1 (${parent.mdp - 1})`);
    }
    if (exp > parent.exp) throw invalidInput("hop.delegation.exp", "must not be after the parent's exp");
    const parentRecord = toDelegationRecord(parent);
    if (capsCover(parentRecord.cap, cap).length > 0) {
      throw invalidInput("hop.delegation.cap", "must be covered by the parent's capabilities");
    }
    if (!audiencesCover(parentRecord.aud, aud)) {
      throw invalidInput("hop.delegation.aud", "must be covered by the parent's audiences");
    }
    const cycle = ctx.walks.heldOnPath(parentDid, to);
    if (cycle !== undefined) {
      throw invalidInput(
        "hop.delegation.to",
        `${to} already holds ${cycle} on this chain: the hop would form a cycle`,
      );
    }
    if (ctx.statements.parentTokenWithHash.get(parentDid, token.prf ?? "") === undefined) {
      throw invalidInput("hop.token.prf", "must be the hash of a recorded token of the parent delegation");
    }

    // Checked last, inside the write lock: a revocation either committed before (refused here)
    // or runs after this commit and finds the new hop in the subtree it revokes.
    if (parent.status !== "live") {
      throw new StoreError("revoked", `hop.delegation.parent: delegation ${parentDid} is revoked`, {
        field: "hop.delegation.parent",
      });
    }
    const task = ctx.requireTask(taskId, "hop.delegation.task");
    if (task.status !== "open") {
      throw new StoreError("revoked", `hop.delegation.task: task ${taskId} is ${task.status}`, {
        field: "hop.delegation.task",
      });
    }
    for (const [agent, field] of [
      [fromAgent, "hop.delegation.from"],
      [toAgent, "hop.delegation.to"],
    ] as const) {
      if (agent.status !== "active")
        throw new StoreError("revoked", `${field}: agent ${agent.id} is disabled`, { field });
    }

    const delegation = ctx.insertDelegation({
      did,
      parent: parentDid,
      root: parent.root,
      task: taskId,
      depth,
      from,
      to,
      intent,
      cap,
      aud,
      mdp,
      exp,
      rvi,
      createdAt: at,
    });
    const tokenRecord = ctx.insertToken(did, token, 1, null, at);
    ctx.audit(audit);
    return { delegation, token: tokenRecord };
  });
}

/** Records a new token version of a live delegation. */
export function recordRevalidation(ctx: SqliteContext, input: RevalidationInput): TokenRecord {
  const value = checkObject(input, "revalidation");
  const did = checkRandomId(value.did, "revalidation.did");
  const token = checkTokenInput(value.token, "revalidation.token", "optional");
  const at = checkTime(value.at, "revalidation.at");
  const audit = checkAudit(value.audit, "revalidation.audit");

  return ctx.write(() => {
    const delegation = ctx.requireDelegation(did, "revalidation.did");
    ctx.requireNewJti(token.jti, "revalidation.token.jti");
    if (token.exp > delegation.exp) {
      throw invalidInput("revalidation.token.exp", "must not be after the delegation's exp");
    }
    if (delegation.parent === null) {
      if (token.prf !== null) throw invalidInput("revalidation.token.prf", "must be absent on a root grant");
    } else if (token.prf === null) {
      throw invalidInput("revalidation.token.prf", "is required on a hop");
    } else if (ctx.statements.parentTokenWithHash.get(delegation.parent, token.prf) === undefined) {
      throw invalidInput(
        "revalidation.token.prf",
        "must be the hash of a recorded token of the parent delegation",
      );
    }
    const latest = ctx.statements.latestToken.get(did);
    if (latest !== undefined && token.iat < latest.iat) {
      throw invalidInput("revalidation.token.iat", "must not be before the iat of the version it supersedes");
    }
    const status = ctx.linkStatus([did])[0];
    if (status !== undefined && !status.live) {
      throw new StoreError(
        "revoked",
        `revalidation.did: delegation ${did} cannot be re-issued (${status.problem})`,
        {
          field: "revalidation.did",
        },
      );
    }
    const record = ctx.insertToken(did, token, (latest?.version ?? 0) + 1, latest?.jti ?? null, at);
    ctx.audit(audit);
    return record;
  });
}
