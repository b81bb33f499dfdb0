/**
 * Issuance on PostgreSQL: a root grant (with the task it opens), a hop, a revalidation. The rules
 * are `@baton/store`'s: the input is checked before the transaction; inside it the rows the rules
 * read are locked first (the parent's whole path `FOR SHARE`, root first, then the agents), so a
 * racing cascade or disable either committed before these reads or waits for this commit.
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
import { lockPath } from "./graph-walks.ts";
import {
  audit,
  findAgent,
  findDelegation,
  findTask,
  hopFacts,
  insertDelegationAndToken,
  insertToken,
  latestToken,
  linkStatus,
  type PgContext,
  parentTokenWithHash,
  statusEntryFacts,
  toDelegationRecord,
  tokenExists,
} from "./pg-context.ts";

/** An agent row read under a share lock: a disable waits for this transaction's commit. */
const SHARED = "for share";

/** Opens a task with its root delegation and first token. */
export async function recordGrant(ctx: PgContext, input: GrantInput): Promise<GrantRecord> {
  const grant = checkGrant(input);
  return ctx.write(async (tx) => {
    grantFits(grant, {
      taskExists: (await findTask(tx, grant.task.id)) !== undefined,
      delegationExists: (await findDelegation(tx, grant.did)) !== undefined,
      jtiExists: await tokenExists(tx, grant.token.jti),
      holder: await findAgent(tx, grant.to, SHARED),
      statusEntry: await statusEntryFacts(tx, grant.statusEntry),
    });
    await tx.rows(
      `insert into tasks (id, intent, hours, root_agent, root_did, opened_at) values ($1, $2, $3, $4, $5, $6)`,
      [
        grant.task.id,
        grant.task.intent,
        grant.task.hours === null ? null : JSON.stringify(grant.task.hours),
        grant.to,
        grant.did,
        grant.at,
      ],
    );
    const { delegation, token } = await insertDelegationAndToken(tx, grantDelegation(grant), grant.token);
    await audit(tx, grant.audit);
    const task = {
      id: grant.task.id,
      intent: grant.task.intent,
      hours: grant.task.hours,
      rootAgent: grant.to,
      rootDid: grant.did,
      status: "open" as const,
      openedAt: grant.at,
      closedAt: null,
      closeReason: null,
    };
    return { task, delegation, token };
  });
}

/** Records one hop below a live parent, with its first token. */
export async function recordHop(ctx: PgContext, input: HopInput): Promise<HopRecord> {
  const hop = checkHop(input);
  return ctx.write(async (tx) => {
    const parentRow = await lockPath(tx, hop.parent);
    const parent = parentRow === undefined ? undefined : toDelegationRecord(parentRow);
    // Agents in id order, after the delegation rows: the lock order every write keeps.
    const facts = await hopFacts(tx, {
      did: hop.did,
      jti: hop.token.jti,
      parent: hop.parent,
      prf: hop.token.prf,
      from: hop.from,
      to: hop.to,
      task: hop.task,
      statusEntry: hop.statusEntry,
    });
    hopFits(hop, {
      parent,
      delegationExists: facts.delegationExists,
      jtiExists: facts.jtiExists,
      from: facts.agents.get(hop.from),
      to: facts.agents.get(hop.to),
      cycleAt: parent === undefined ? undefined : facts.cycleAt,
      prfRecorded: facts.prfRecorded,
      task: facts.task,
      statusEntry: facts.statusEntry,
    });
    const { delegation, token } = await insertDelegationAndToken(
      tx,
      hopDelegation(hop, (parent as NonNullable<typeof parent>).root),
      hop.token,
    );
    await audit(tx, hop.audit);
    return { delegation, token };
  });
}

/** Records a new token version of a live delegation. */
export async function recordRevalidation(ctx: PgContext, input: RevalidationInput): Promise<TokenRecord> {
  const revalidation = checkRevalidation(input);
  const { did, token, at } = revalidation;
  return ctx.write(async (tx) => {
    // Locked: a cascade reaching this row waits for the new version, a version never lands on a
    // delegation whose revocation committed first, and two re-issues of one delegation take turns.
    const row = await findDelegation(tx, did, "for update");
    const latest = await latestToken(tx, did);
    const status = row === undefined ? undefined : (await linkStatus(tx, [did]))[0];
    revalidationFits(revalidation, {
      delegation: row === undefined ? undefined : toDelegationRecord(row),
      jtiExists: await tokenExists(tx, token.jti),
      prfRecorded:
        row?.parent != null && token.prf !== null && (await parentTokenWithHash(tx, row.parent, token.prf)),
      latestIat: latest?.iat,
      notLive: status !== undefined && !status.live ? status.problem : undefined,
    });
    const record = await insertToken(tx, did, token, (latest?.version ?? 0) + 1, latest?.jti ?? null, at);
    await audit(tx, revalidation.audit);
    return record;
  });
}
