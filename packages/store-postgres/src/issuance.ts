/**
 * Issuance on PostgreSQL: a root grant (with the task it opens), a hop, a revalidation. The rules
 * are `@baton/store`'s: the input is checked before the transaction; inside it the rows the rules
 * read are locked first (the parent's whole path `FOR SHARE`, root first, then the agents), so a
 * racing cascade or disable either committed before these reads or waits for this commit.
 */
import {
  type CheckedHop,
  checkGrant,
  checkHop,
  checkRevalidation,
  type DelegationRecord,
  type GrantInput,
  type GrantRecord,
  grantDelegation,
  grantFits,
  type HopInput,
  type HopRecord,
  hopDelegation,
  hopFits,
  newDelegationRecord,
  type RevalidationInput,
  revalidationFits,
  type TokenRecord,
} from "@baton/store/adapter-kit";
import pg from "pg";
import { lockPath } from "./graph-walks.ts";
import {
  audit,
  findAgent,
  findDelegation,
  findTask,
  type HopFacts,
  type HopKeys,
  hopFacts,
  insertDelegationAndToken,
  insertToken,
  latestToken,
  linkStatus,
  type PgContext,
  parentTokenWithHash,
  type RecordedHopRow,
  recordHopRow,
  statusEntryFacts,
  toDelegationRecord,
  tokenExists,
  type WriteTx,
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

/** SQLSTATE class 23: a key, a foreign key or a check refused a statement. */
const INTEGRITY_VIOLATION = /^23/;

/**
 * Records one hop below a live parent, with its first token. A hop that fits (nearly every one)
 * costs one statement, {@link HOP_RECORD}: it is inserted as its facts are read, then judged on
 * them, and a refusal undoes the insert with the rest of the write. When the statement itself is
 * refused (a taken did, jti or status entry, an unknown agent or task) or finds no parent, the
 * write undoes it and checks the hop the long way, so that the refusal names the rule it broke.
 */
export async function recordHop(ctx: PgContext, input: HopInput): Promise<HopRecord> {
  const hop = checkHop(input);
  const keys = hopKeysOf(hop);
  return ctx.write(async (tx) => {
    let recorded: RecordedHopRow | undefined;
    try {
      // Any root will do: the statement inserts the parent's.
      const { root: _, ...row } = hopDelegation(hop, "");
      recorded = await recordHopRow(tx, keys, row, hop.token);
    } catch (error) {
      if (!(error instanceof pg.DatabaseError && INTEGRITY_VIOLATION.test(error.code ?? ""))) throw error;
    }
    if (recorded === undefined) {
      await tx.undo();
      return recordHopTheLongWay(tx, hop, keys);
    }
    const parent = toDelegationRecord(recorded.parent);
    hopFits(hop, ruleFacts(hop, parent, recorded.facts));
    await audit(tx, hop.audit);
    return { delegation: newDelegationRecord(hopDelegation(hop, parent.root)), token: recorded.token };
  });
}

/**
 * The hop checked step by step: the parent's path locked, then the facts read, then the rules,
 * then the insert. What {@link recordHop} falls back to when its one statement was refused.
 */
async function recordHopTheLongWay(tx: WriteTx, hop: CheckedHop, keys: HopKeys): Promise<HopRecord> {
  const parentRow = await lockPath(tx, hop.parent);
  const parent = parentRow === undefined ? undefined : toDelegationRecord(parentRow);
  // Agents in id order, after the delegation rows: the lock order every write keeps.
  const facts = await hopFacts(tx, keys);
  hopFits(hop, ruleFacts(hop, parent, facts));
  const { delegation, token } = await insertDelegationAndToken(
    tx,
    hopDelegation(hop, (parent as NonNullable<typeof parent>).root),
    hop.token,
  );
  await audit(tx, hop.audit);
  return { delegation, token };
}

function hopKeysOf(hop: CheckedHop): HopKeys {
  return {
    did: hop.did,
    jti: hop.token.jti,
    parent: hop.parent,
    prf: hop.token.prf,
    from: hop.from,
    to: hop.to,
    task: hop.task,
    statusEntry: hop.statusEntry,
  };
}

/** What the shared rule reads, from the parent's row and the facts read beside it. */
function ruleFacts(hop: CheckedHop, parent: DelegationRecord | undefined, facts: HopFacts) {
  return {
    parent,
    delegationExists: facts.delegationExists,
    jtiExists: facts.jtiExists,
    from: facts.agents.get(hop.from),
    to: facts.agents.get(hop.to),
    cycleAt: parent === undefined ? undefined : facts.cycleAt,
    prfRecorded: facts.prfRecorded,
    task: facts.task,
    statusEntry: facts.statusEntry,
  };
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
