/**
 * The `Store` on PostgreSQL through node-postgres: a connection pool per instance, any number of
 * instances (processes, hosts) on one database. Every write is one transaction on one connection,
 * committed before its promise resolves; the rows its checks depend on are locked first, so the
 * checks still hold at commit whatever the other instances do (see README, "Concurrency").
 * Agents, tasks, revocation and graph reads live here; issuance, the decision log, approvals and
 * the service's own records live in their own modules over the shared `PgContext`.
 */
import type {
  AddSigningKeyInput,
  AgentRecord,
  AppendOutcome,
  ApprovalRecord,
  ApprovalStatus,
  AudienceRecord,
  BlastRadius,
  ChainFacts,
  ChainFactsOptions,
  ChainLinkStatus,
  CompleteTaskOptions,
  CreateApprovalInput,
  DecideApprovalInput,
  DecisionInput,
  DecisionLogVerification,
  DecisionPage,
  DecisionQuery,
  DecisionRecord,
  DelegationRecord,
  DescendantsOptions,
  GrantInput,
  GrantRecord,
  HopInput,
  HopRecord,
  ListTasksOptions,
  RegisterAgentInput,
  RegisterAudienceInput,
  ReplaceSigningKeyMaterial,
  RevalidationInput,
  RevocationFeedPage,
  RevocationResult,
  RevokeOptions,
  SigningKeyRecord,
  SigningKeyStore,
  StatusEntryBlock,
  StatusListBits,
  Store,
  StoreHealth,
  TaskRecord,
  TaskSummary,
  TokenRecord,
  VerifyDecisionLogOptions,
  WalkedDelegation,
} from "@baton/store/adapter-kit";
import {
  checkAncestorsInput,
  checkBlastRadiusInput,
  checkChainFactsOptions,
  checkChainStatusInput,
  checkCompleteTaskInput,
  checkCount,
  checkDescendantsInput,
  checkListTasksOptions,
  checkObject,
  checkRegisterAgentInput,
  checkReservationCount,
  checkRevocationsSinceInput,
  checkRevokeAgentInput,
  checkRevokeDelegationInput,
  checkRevokeTaskInput,
  checkStatusListNumber,
  checkTaskTreeInput,
  checkTime,
  completeTaskFits,
  invalidInput,
  nextStatusReservation,
  registerAgentFits,
  revokeAgentFits,
  revokeDelegationFits,
  revokeTaskFits,
  statusListBitsOf,
} from "@baton/store/adapter-kit";
import pg from "pg";
import * as approvals from "./approvals.ts";
import * as decisionLog from "./decision-log.ts";
import * as walks from "./graph-walks.ts";
import * as issuance from "./issuance.ts";
import { MIGRATIONS_FOLDER, migrateDatabase, readMigrationJournal } from "./migrations.ts";
import {
  AGENT_COLUMNS,
  type AgentRow,
  audit,
  chainFacts,
  findAgent,
  findDelegation,
  findTask,
  latestToken,
  linkStatus,
  PgContext,
  TASK_COLUMNS,
  TOKEN_COLUMNS,
  type Tx,
  toAgentRecord,
  toDelegationRecord,
  toTaskRecord,
} from "./pg-context.ts";
import { cascade, lockFeedHead, lockTargets, type RevocationTarget } from "./revocation-cascade.ts";
import * as serviceRecords from "./service-records.ts";

/** How to open a {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` (or `postgresql://`) connection URL. */
  readonly url: string;
  /** Connections this instance keeps open at most. Default 10. */
  readonly maxConnections?: number;
  /**
   * `true` (default): writes asked for together (in one event-loop turn, or while the previous
   * batch commits) share one transaction and one commit, each in its own savepoint; none is
   * answered before that commit. `false`: one transaction and one commit per write, for measuring
   * what grouping gains.
   */
  readonly groupCommit?: boolean;
  /** Where the migrations are; only tests point this elsewhere. */
  readonly migrationsFolder?: string;
}

/** What {@link PostgresStore.health} reports: the contract's health and the server behind it. */
export interface PostgresStoreHealth extends StoreHealth {
  /** `server_version` as the server reports it, e.g. `15.8 (Debian 15.8-0+deb12u1)`. */
  readonly serverVersion: string;
  /** The server's `synchronous_commit`: `on` (or stricter) for commits that survive a crash of the server. */
  readonly synchronousCommit: string;
}

/** Whether `location` names a PostgreSQL database (a `postgres://` or `postgresql://` URL). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}

/** node-postgres parses int8 (bigint) as a string; every bigint here is a time or a count within 2^53. */
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** Every revocation: the feed head, the aimed-at rows, then whatever `also` locks, then the cascade. */
async function revokeInTx(
  tx: Tx,
  target: RevocationTarget,
  at: number,
  reason: string,
  also?: () => Promise<void>,
): Promise<RevocationResult> {
  const base = await lockFeedHead(tx);
  await lockTargets(tx, target);
  await also?.();
  return cascade(tx, target, base, at, reason);
}

/**
 * The PostgreSQL implementation of {@link Store} and {@link SigningKeyStore}. Open it with
 * {@link openPostgresStore}.
 */
export class PostgresStore implements Store, SigningKeyStore {
  private closed = false;

  private constructor(
    private readonly ctx: PgContext,
    private readonly schemaTag: string,
  ) {}

  /** The connection pool, for tools inside this repository (tests, benchmarks). */
  get pool(): pg.Pool {
    return this.ctx.pool;
  }

  /** Connects, applies pending migrations (refusing a newer or foreign schema) and makes sure the feed has its epoch. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const input = checkObject(options, "options");
    if (typeof input.url !== "string" || !isPostgresUrl(input.url)) {
      throw invalidInput("options.url", "must be a postgres:// or postgresql:// URL");
    }
    const max =
      input.maxConnections === undefined
        ? 10
        : checkCount(input.maxConnections, "options.maxConnections", 1000);
    if (max < 1) throw invalidInput("options.maxConnections", "must be at least 1");
    if (input.groupCommit !== undefined && typeof input.groupCommit !== "boolean") {
      throw invalidInput("options.groupCommit", "must be true or false");
    }
    // JIT off: the store runs short transactional queries, and the planner's inflated estimate for
    // a recursive walk otherwise buys ~200 ms of compilation for a query that reads a few rows.
    // Generic plans only: every statement is written to be planned right without its parameters
    // (see "Plans that stay lookups" in the README), and under the default PostgreSQL re-plans the
    // link-status read at every call, as its plan for a list of 1 to 3 dids looks cheaper than one
    // for "some" dids.
    const pool = new pg.Pool({
      connectionString: input.url,
      max,
      types: TYPES,
      options: "-c jit=off -c plan_cache_mode=force_generic_plan",
    });
    // An idle connection the server dropped (a restart) must not crash the process; the pool replaces it.
    pool.on("error", () => {});
    try {
      const tag = await migrateDatabase(pool, options.migrationsFolder ?? MIGRATIONS_FOLDER);
      // Half the pool commits batches side by side; the other half serves reads.
      const ctx = new PgContext(pool, input.groupCommit !== false, Math.max(1, Math.floor(max / 2)));
      await serviceRecords.ensureFeedEpoch(ctx);
      return new PostgresStore(ctx, tag);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  // agents ---------------------------------------------------------------------------------------

  async registerAgent(input: RegisterAgentInput): Promise<AgentRecord> {
    const agent = checkRegisterAgentInput(input);
    return this.ctx.write(async (tx) => {
      // Registrations take turns across every instance (a transaction-scoped advisory lock), so
      // the look-alike and key checks cannot both pass for two racing registrations.
      await tx.rows("select pg_advisory_xact_lock(hashtext('baton.agents.register'))");
      // Agent ids are ASCII (agent:name, spiffe://…), which lower() folds completely.
      const sameName = await tx.rows<{ id: string }>("select id from agents where lower(id) = lower($1)", [
        agent.id,
      ]);
      registerAgentFits(agent, {
        idTaken: sameName.some((row) => row.id === agent.id),
        lookalike: sameName.find((row) => row.id !== agent.id)?.id,
        keyHolder: (await tx.row<{ id: string }>("select id from agents where jkt = $1 limit 1", [agent.jkt]))
          ?.id,
      });
      const row = await tx.row<AgentRow>(
        `insert into agents (id, jwk, jkt, name, owner, created_at) values ($1, $2, $3, $4, $5, $6)
         returning ${AGENT_COLUMNS}`,
        [agent.id, JSON.stringify(agent.jwk), agent.jkt, agent.name, agent.owner, agent.at],
      );
      await audit(tx, agent.audit);
      return toAgentRecord(row as AgentRow);
    });
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    if (typeof id !== "string") return undefined;
    const row = await findAgent(this.ctx, id);
    return row === undefined ? undefined : toAgentRecord(row);
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await this.ctx.rows<AgentRow>(`select ${AGENT_COLUMNS} from agents order by id`)).map(
      toAgentRecord,
    );
  }

  async disableAgent(id: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeAgentInput(id, options);
    const { agent, reason, at } = revocation;
    return this.ctx.write(async (tx) => {
      let active = false;
      // The agent row is locked after the delegation rows (the lock order): a grant or hop to
      // this agent that holds its share lock commits first, and the cascade then sees it.
      const result = await revokeInTx(tx, { kind: "agent", agent }, at, reason, async () => {
        const row = revokeAgentFits(revocation, { agent: await findAgent(tx, agent, "for update") });
        active = row.status === "active";
      });
      if (active) {
        await tx.rows(
          "update agents set status = 'disabled', disabled_at = $2, disabled_reason = $3 where id = $1",
          [agent, at, reason],
        );
      }
      await audit(tx, revocation.audit);
      return result;
    });
  }

  async revokeAgent(id: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeAgentInput(id, options);
    const { agent, reason, at } = revocation;
    return this.ctx.write(async (tx) => {
      revokeAgentFits(revocation, { agent: await findAgent(tx, agent) });
      const result = await revokeInTx(tx, { kind: "agent", agent }, at, reason);
      await audit(tx, revocation.audit);
      return result;
    });
  }

  // tasks ----------------------------------------------------------------------------------------

  async getTask(id: string): Promise<TaskRecord | undefined> {
    if (typeof id !== "string") return undefined;
    return findTask(this.ctx, id);
  }

  async listTasks(options: ListTasksOptions = {}): Promise<TaskSummary[]> {
    const { status, limit } = checkListTasksOptions(options);
    const rows = await this.ctx.rows<Omit<TaskSummary, "hours"> & { hours: string | null }>(
      `select ${TASK_COLUMNS},
        (select count(*) from delegations d where d.task = t.id and d.status = 'live') as "liveDelegations",
        (select count(*) from delegations d where d.task = t.id and d.status = 'revoked') as "revokedDelegations"
      from tasks t where ($1::text is null or t.status = $1)
      order by t.opened_at desc, t.id limit $2`,
      [status ?? null, limit],
    );
    return rows.map((row) => ({ ...row, ...toTaskRecord(row) }));
  }

  async completeTask(id: string, options: CompleteTaskOptions): Promise<RevocationResult> {
    const completion = checkCompleteTaskInput(id, options);
    const { task: taskId, reason, at } = completion;
    return this.ctx.write(async (tx) => {
      const result = await revokeInTx(tx, { kind: "task", task: taskId }, at, reason, async () => {
        completeTaskFits(completion, { task: await findTask(tx, taskId, "for update") });
        await tx.rows(
          "update tasks set status = 'completed', closed_at = $2, close_reason = $3 where id = $1",
          [taskId, at, reason],
        );
      });
      await audit(tx, completion.audit);
      return result;
    });
  }

  async revokeTask(id: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeTaskInput(id, options);
    const { task: taskId, reason, at } = revocation;
    return this.ctx.write(async (tx) => {
      const result = await revokeInTx(tx, { kind: "task", task: taskId }, at, reason, async () => {
        const task = await findTask(tx, taskId, "for update");
        revokeTaskFits(revocation, { task });
        if (task?.status === "open") {
          await tx.rows(
            "update tasks set status = 'revoked', closed_at = $2, close_reason = $3 where id = $1",
            [taskId, at, reason],
          );
        }
      });
      await audit(tx, revocation.audit);
      return result;
    });
  }

  // delegations ----------------------------------------------------------------------------------

  async getDelegation(did: string): Promise<DelegationRecord | undefined> {
    if (typeof did !== "string") return undefined;
    const row = await findDelegation(this.ctx, did);
    return row === undefined ? undefined : toDelegationRecord(row);
  }

  async latestToken(did: string): Promise<TokenRecord | undefined> {
    if (typeof did !== "string") return undefined;
    return latestToken(this.ctx, did);
  }

  async tokenVersions(did: string): Promise<TokenRecord[]> {
    if (typeof did !== "string") return [];
    return this.ctx.rows<TokenRecord>(
      `select ${TOKEN_COLUMNS} from tokens t where t.did = $1 order by t.version`,
      [did],
    );
  }

  async chainStatus(dids: readonly string[]): Promise<ChainLinkStatus[]> {
    return linkStatus(this.ctx, checkChainStatusInput(dids));
  }

  async chainFacts(dids: readonly string[], options?: ChainFactsOptions): Promise<ChainFacts> {
    const checked = checkChainStatusInput(dids);
    return chainFacts(this.ctx, checked, checkChainFactsOptions(options).agent);
  }

  // revocation -----------------------------------------------------------------------------------

  async revokeDelegation(did: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeDelegationInput(did, options);
    const { did: target, reason, at } = revocation;
    return this.ctx.write(async (tx) => {
      revokeDelegationFits(revocation, {
        delegationExists: (await findDelegation(tx, target)) !== undefined,
      });
      const result = await revokeInTx(tx, { kind: "delegation", did: target }, at, reason);
      await audit(tx, revocation.audit);
      return result;
    });
  }

  /**
   * One page of the feed, read from one snapshot: the rows and `head` agree. Revocations commit
   * in sequence order (the feed head lock), so the page never skips a number a later read could
   * still fill in.
   */
  async revocationsSince(since: number, limit?: number): Promise<RevocationFeedPage> {
    const { since: after, limit: pageSize } = checkRevocationsSinceInput(since, limit);
    return this.ctx.read(async (tx) => {
      const rows = await tx.rows<{ seq: number; did: string; at: number; reason: string | null }>(
        `select revocation_seq as seq, did, revoked_at as at, revoke_reason as reason from delegations
         where revocation_seq > $1 order by revocation_seq limit $2`,
        [after, pageSize + 1],
      );
      const head = await tx.row<{ lastSeq: number }>(
        `select last_seq as "lastSeq" from revocation_feed_head where singleton = 1`,
      );
      const more = rows.length > pageSize;
      const items = more ? rows.slice(0, pageSize) : rows;
      return {
        epoch: await serviceRecords.feedEpoch(tx),
        items,
        next: more ? (items.at(-1)?.seq ?? after) : null,
        head: head?.lastSeq ?? 0,
      };
    });
  }

  // status lists ---------------------------------------------------------------------------------

  /**
   * Reservations from every instance take one transaction-scoped advisory lock, so two of them
   * never open the same list or hand out the same block.
   */
  async reserveStatusEntries(count: number, at: number): Promise<StatusEntryBlock> {
    const wanted = checkReservationCount(count, "count");
    const when = checkTime(at, "at");
    return this.ctx.write(async (tx) => {
      await tx.rows("select pg_advisory_xact_lock(hashtext('baton.status_lists'))");
      const newest = await tx.row<{ list: number; allocated: number }>(
        "select list, allocated from status_lists order by list desc limit 1",
      );
      const block = nextStatusReservation(newest, wanted);
      if (block.opens) {
        await tx.rows("insert into status_lists (list, allocated, created_at) values ($1, $2, $3)", [
          block.list,
          block.count,
          when,
        ]);
      } else {
        await tx.rows("update status_lists set allocated = $1 where list = $2", [
          block.first + block.count,
          block.list,
        ]);
      }
      return { list: block.list, first: block.first, count: block.count };
    });
  }

  async statusListBits(list: number): Promise<StatusListBits | undefined> {
    const number = checkStatusListNumber(list, "list");
    return this.ctx.read(async (tx) => {
      const row = await tx.row<{ allocated: number }>("select allocated from status_lists where list = $1", [
        number,
      ]);
      if (row === undefined) return undefined;
      const revoked = await tx.rows<{ idx: number }>(
        "select status_index as idx from delegations where status_list = $1 and status = 'revoked'",
        [number],
      );
      return statusListBitsOf(
        number,
        row.allocated,
        revoked.map((entry) => entry.idx),
      );
    });
  }

  // graph walks ----------------------------------------------------------------------------------

  async ancestors(did: string): Promise<DelegationRecord[]> {
    return walks.ancestors(this.ctx, checkAncestorsInput(did));
  }

  async descendants(did: string, options: DescendantsOptions = {}): Promise<WalkedDelegation[]> {
    const walk = checkDescendantsInput(did, options);
    return walks.descendants(this.ctx, walk.did, walk.maxDepth, walk.liveOnly);
  }

  async taskTree(taskId: string): Promise<DelegationRecord[]> {
    return walks.taskTree(this.ctx, checkTaskTreeInput(taskId));
  }

  async blastRadius(agentId: string): Promise<BlastRadius> {
    const agent = checkBlastRadiusInput(agentId);
    return this.ctx.read((tx) => walks.blastRadius(tx, agent));
  }

  // lifecycle ------------------------------------------------------------------------------------

  async health(): Promise<PostgresStoreHealth> {
    const row = await this.ctx.row<{ one: number; serverVersion: string; synchronousCommit: string }>(
      `select 1 as one, current_setting('server_version') as "serverVersion",
        current_setting('synchronous_commit') as "synchronousCommit"`,
    );
    return {
      ok: row?.one === 1 && row.synchronousCommit !== "off",
      schemaVersion: this.schemaTag,
      serverVersion: row?.serverVersion ?? "unknown",
      synchronousCommit: row?.synchronousCommit ?? "unknown",
    };
  }

  /** The migration tag the database is at (same as `health().schemaVersion`, without a query). */
  get schemaVersion(): string {
    return this.schemaTag;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes already asked for are committed (and answered) before the connections close.
    await this.ctx.flush();
    await this.ctx.pool.end();
  }

  // issuance -------------------------------------------------------------------------------------

  async recordGrant(input: GrantInput): Promise<GrantRecord> {
    return issuance.recordGrant(this.ctx, input);
  }

  async recordHop(input: HopInput): Promise<HopRecord> {
    return issuance.recordHop(this.ctx, input);
  }

  async recordRevalidation(input: RevalidationInput): Promise<TokenRecord> {
    return issuance.recordRevalidation(this.ctx, input);
  }

  // decisions ------------------------------------------------------------------------------------

  async appendDecision(input: DecisionInput): Promise<DecisionRecord> {
    return decisionLog.appendDecision(this.ctx, input);
  }

  async appendDecisions(inputs: readonly DecisionInput[]): Promise<DecisionRecord[]> {
    return decisionLog.appendDecisions(this.ctx, inputs);
  }

  async appendEachDecision(inputs: readonly DecisionInput[]): Promise<AppendOutcome[]> {
    return decisionLog.appendEachDecision(this.ctx, inputs);
  }

  async queryDecisions(query: DecisionQuery): Promise<DecisionPage> {
    return decisionLog.queryDecisions(this.ctx, query);
  }

  async verifyDecisionLog(options: VerifyDecisionLogOptions = {}): Promise<DecisionLogVerification> {
    return decisionLog.verifyDecisionLog(this.ctx, options);
  }

  // approvals ------------------------------------------------------------------------------------

  async createApproval(input: CreateApprovalInput): Promise<ApprovalRecord> {
    return approvals.createApproval(this.ctx, input);
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return approvals.getApproval(this.ctx, id);
  }

  async listApprovals(
    options: { readonly status?: ApprovalStatus; readonly limit?: number } = {},
  ): Promise<ApprovalRecord[]> {
    return approvals.listApprovals(this.ctx, options);
  }

  async decideApproval(id: string, input: DecideApprovalInput): Promise<ApprovalRecord> {
    return approvals.decideApproval(this.ctx, id, input);
  }

  async activeApprovals(did: string, at: number): Promise<ApprovalRecord[]> {
    return approvals.activeApprovals(this.ctx, did, at);
  }

  async pendingApproval(
    subject: { readonly did: string; readonly action: string; readonly resource: string },
    at: number,
  ): Promise<ApprovalRecord | undefined> {
    return approvals.pendingApproval(this.ctx, subject, at);
  }

  // signing keys, audiences, settings ------------------------------------------------------------

  async addSigningKey(input: AddSigningKeyInput): Promise<SigningKeyRecord> {
    return serviceRecords.addSigningKey(this.ctx, input);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return serviceRecords.listSigningKeys(this.ctx);
  }

  async activeSigningKey(): Promise<SigningKeyRecord | undefined> {
    return serviceRecords.activeSigningKey(this.ctx);
  }

  async retireSigningKey(kid: string, at: number): Promise<SigningKeyRecord> {
    return serviceRecords.retireSigningKey(this.ctx, kid, at);
  }

  async replaceSigningKeyMaterial(changes: readonly ReplaceSigningKeyMaterial[]): Promise<void> {
    await serviceRecords.replaceSigningKeyMaterial(this.ctx, changes);
  }

  async registerAudience(input: RegisterAudienceInput): Promise<AudienceRecord> {
    return serviceRecords.registerAudience(this.ctx, input);
  }

  async getAudience(id: string): Promise<AudienceRecord | undefined> {
    return serviceRecords.getAudience(this.ctx, id);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return serviceRecords.getSetting(this.ctx, key);
  }

  async setSetting(key: string, value: string, at: number): Promise<void> {
    await serviceRecords.setSetting(this.ctx, key, value, at);
  }
}

/**
 * Opens the PostgreSQL store at `url`: applies pending migrations (once, whichever instance gets
 * there first) and refuses a database migrated by newer code (`schema_too_new`).
 *
 * @example
 * const store = await openPostgresStore("postgres://baton:secret@127.0.0.1:5432/baton");
 * try {
 *   await store.registerAgent({ id: "agent:planner", jwk, jkt, at: now });
 * } finally {
 *   await store.close();
 * }
 */
export async function openPostgresStore(
  url: string,
  options: Omit<PostgresStoreOptions, "url"> = {},
): Promise<PostgresStore> {
  return PostgresStore.open({ ...options, url });
}

/** Reads the migration journal this code ships, for tools that report schema versions. */
export function knownSchemaVersions(): string[] {
  return readMigrationJournal().map((entry) => entry.tag);
}
