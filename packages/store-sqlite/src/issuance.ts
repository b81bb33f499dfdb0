/**
 * Issuance on SQLite: a root grant (with the task it opens), a hop, a revalidation. The rules are
 * `@baton/store`'s; this module reads the rows they need and writes the delegation and token (and
 * optional audit decision) in one IMMEDIATE transaction, so the rules still hold at commit time.
 */
import {
  checkGrant,
  checkHop,
  checkRevalidation,
  type GrantInput,
  type GrantRecord,
  grantDelegation,
  grantFits,
  type HopInput,
  type HopRecord,
  hopDelegation,
  hopFits,
  type RevalidationInput,
  revalidationFits,
  type TokenRecord,
} from "@baton/store/adapter-kit";
import * as schema from "./schema.ts";
import type { SqliteContext } from "./sqlite-context.ts";

/** Opens a task with its root delegation and first token. */
export function recordGrant(ctx: SqliteContext, input: GrantInput): Promise<GrantRecord> {
  const grant = checkGrant(input);
  return ctx.write(() => {
    grantFits(grant, {
      taskExists: ctx.findTask(grant.task.id) !== undefined,
      delegationExists: ctx.delegationExists(grant.did),
      jtiExists: ctx.statements.tokenExists.get(grant.token.jti) !== undefined,
      holder: ctx.findAgent(grant.to),
      statusEntry: ctx.statusEntryFacts(grant.statusEntry),
    });
    const task = ctx.db
      .insert(schema.tasks)
      .values({
        id: grant.task.id,
        intent: grant.task.intent,
        hours: grant.task.hours,
        rootAgent: grant.to,
        rootDid: grant.did,
        openedAt: grant.at,
      })
      .returning()
      .get();
    const delegation = ctx.insertDelegation(grantDelegation(grant));
    const token = ctx.insertToken(grant.did, grant.token, 1, null, grant.at);
    ctx.audit(grant.audit);
    return { task, delegation, token };
  });
}

/** Records one hop below a live parent, with its first token. */
export function recordHop(ctx: SqliteContext, input: HopInput): Promise<HopRecord> {
  const hop = checkHop(input);
  return ctx.write(() => {
    const parent = ctx.findDelegation(hop.parent);
    hopFits(hop, {
      parent,
      delegationExists: ctx.delegationExists(hop.did),
      jtiExists: ctx.statements.tokenExists.get(hop.token.jti) !== undefined,
      from: ctx.findAgent(hop.from),
      to: ctx.findAgent(hop.to),
      cycleAt: parent === undefined ? undefined : ctx.walks.heldOnPath(hop.parent, hop.to),
      prfRecorded: ctx.statements.parentTokenWithHash.get(hop.parent, hop.token.prf) !== undefined,
      task: ctx.findTask(hop.task),
      statusEntry: ctx.statusEntryFacts(hop.statusEntry),
    });
    const delegation = ctx.insertDelegation(hopDelegation(hop, (parent as NonNullable<typeof parent>).root));
    const token = ctx.insertToken(hop.did, hop.token, 1, null, hop.at);
    ctx.audit(hop.audit);
    return { delegation, token };
  });
}

/** Records a new token version of a live delegation. */
export function recordRevalidation(ctx: SqliteContext, input: RevalidationInput): Promise<TokenRecord> {
  const revalidation = checkRevalidation(input);
  const { did, token, at } = revalidation;
  return ctx.write(() => {
    const delegation = ctx.findDelegation(did);
    const latest = ctx.statements.latestToken.get(did);
    const status = delegation === undefined ? undefined : ctx.linkStatus([did])[0];
    revalidationFits(revalidation, {
      delegation,
      jtiExists: ctx.statements.tokenExists.get(token.jti) !== undefined,
      prfRecorded:
        delegation?.parent != null &&
        token.prf !== null &&
        ctx.statements.parentTokenWithHash.get(delegation.parent, token.prf) !== undefined,
      latestIat: latest?.iat,
      notLive: status !== undefined && !status.live ? status.problem : undefined,
    });
    const record = ctx.insertToken(did, token, (latest?.version ?? 0) + 1, latest?.jti ?? null, at);
    ctx.audit(revalidation.audit);
    return record;
  });
}
