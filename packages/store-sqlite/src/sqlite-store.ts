/**
 * The `Store` on SQLite through better-sqlite3 and drizzle: one file, created on first use, WAL,
 * `synchronous=FULL` unless configured otherwise. Every write runs in an IMMEDIATE transaction (so
 * the checks it makes still hold when it commits) and is committed before its promise resolves;
 * writes asked for in the same turn of the event loop share one commit, each in its own savepoint
 * (group commit). The methods are `async` over synchronous better-sqlite3 calls, so SQLite stays
 * one writer.
 * Agents, tasks, revocation and graph reads live here; issuance, the decision log, approvals and
 * the service's own records live in their own modules over the shared `SqliteContext`.
 */
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
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
  TaskHours,
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
  StoreError,
  statusListBitsOf,
} from "@baton/store/adapter-kit";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import * as approvals from "./approvals.ts";
import * as decisionLog from "./decision-log.ts";
import * as issuance from "./issuance.ts";
import { MIGRATIONS_FOLDER, migrateDatabase, readMigrationJournal } from "./migrations.ts";
import type { CascadeResult } from "./revocation-cascade.ts";
import * as schema from "./schema.ts";
import * as serviceRecords from "./service-records.ts";
import { SqliteContext, toAgentRecord } from "./sqlite-context.ts";

/** How to open a {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file (created with its directory on first use), or `:memory:`. */
  readonly path: string;
  /**
   * `FULL` (default): a commit survives power loss. `NORMAL`: in WAL mode, a commit survives a
   * crash of the process but the last ones may roll back on power loss; faster.
   */
  readonly synchronous?: "FULL" | "NORMAL";
  /** How long a write waits for another connection's lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * `true` (default): writes requested in the same turn of the event loop share one transaction
   * and one commit (each in its own savepoint; none answered before that commit). `false`: one
   * transaction and one commit per write, for measuring what grouping gains.
   */
  readonly groupCommit?: boolean;
  /**
   * SQLite's page cache for this connection, in MiB. Default 64: the build's own (16 MB) sends a
   * graph walk over a store of a million delegations back to the file for many pages. 0 keeps
   * the build's default.
   */
  readonly cacheMiB?: number;
  /** Where the migrations are; only tests point this elsewhere. */
  readonly migrationsFolder?: string;
  /**
   * Told when an existing database file (or its `-wal`/`-shm`) was readable by others and was made
   * owner-only. Default: a process warning (`BATON_FILE_MODE`).
   */
  readonly onWarning?: (message: string) => void;
}

/** What {@link SqliteStore.health} reports: the contract's health and the SQLite facts behind it. */
export interface SqliteStoreHealth extends StoreHealth {
  /** `wal` for a file database; `memory` for `:memory:`. */
  readonly journalMode: string;
  readonly synchronous: "OFF" | "NORMAL" | "FULL" | "EXTRA";
}

/** The files SQLite keeps for a database in WAL mode. */
function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * Makes the database's files owner-only (issue 14: they hold the graph, the decision log and the
 * sealed signing keys). A new file is created 0600 before SQLite opens it, and SQLite gives its
 * `-wal` and `-shm` the database file's mode; an existing file others can read is fixed, with a
 * warning, since what it held may already have been read.
 */
function restrictDatabaseFiles(path: string, warn: (message: string) => void): void {
  if (process.platform === "win32") return;
  for (const file of databaseFiles(path)) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) === 0) continue;
    chmodSync(file, 0o600);
    warn(`${file} was readable by others (mode ${mode.toString(8)}); made it owner-only (600)`);
  }
}

function createOwnerOnly(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600));
}

/** The page cache a connection gets unless told otherwise, in MiB. */
const DEFAULT_CACHE_MIB = 64;

const SYNCHRONOUS_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"] as const;

/**
 * The SQLite implementation of {@link Store}, and of {@link SigningKeyStore} in the same file.
 * Open it with {@link openSqliteStore}.
 */
export class SqliteStore implements Store, SigningKeyStore {
  private readonly ctx: SqliteContext;
  private readonly schemaTag: string;

  private constructor(ctx: SqliteContext, schemaTag: string) {
    this.ctx = ctx;
    this.schemaTag = schemaTag;
  }

  /**
   * The underlying connection, for tools inside this repository (the seed generator, benchmarks,
   * tests). Application code goes through the `Store` methods.
   */
  get database(): Database.Database {
    return this.ctx.database;
  }

  /** Opens (creating and migrating as needed) the database at `options.path`. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const input = checkObject(options, "options");
    if (typeof input.path !== "string" || input.path.length === 0) {
      throw invalidInput("options.path", "must be a file path or :memory:");
    }
    const synchronous = input.synchronous ?? "FULL";
    if (synchronous !== "FULL" && synchronous !== "NORMAL") {
      throw invalidInput("options.synchronous", "must be FULL or NORMAL");
    }
    const busyTimeoutMs =
      input.busyTimeoutMs === undefined
        ? 5000
        : checkCount(input.busyTimeoutMs, "options.busyTimeoutMs", 600_000);
    if (input.groupCommit !== undefined && typeof input.groupCommit !== "boolean") {
      throw invalidInput("options.groupCommit", "must be true or false");
    }
    const groupCommit = input.groupCommit !== false;
    const cacheMiB =
      input.cacheMiB === undefined
        ? DEFAULT_CACHE_MIB
        : checkCount(input.cacheMiB, "options.cacheMiB", 65_536);
    const path = input.path;
    const warn: (message: string) => void =
      typeof input.onWarning === "function"
        ? (message) => (input.onWarning as (message: string) => void)(message)
        : (message) => process.emitWarning(message, { code: "BATON_FILE_MODE" });
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true });
      createOwnerOnly(path);
      restrictDatabaseFiles(path, warn);
    }

    const client = new Database(path, { timeout: busyTimeoutMs });
    try {
      client.pragma(`busy_timeout = ${busyTimeoutMs}`);
      client.pragma("journal_mode = WAL");
      // Files SQLite created before this process chose their mode; checked again once they exist.
      if (path !== ":memory:") restrictDatabaseFiles(path, warn);
      client.pragma(`synchronous = ${synchronous}`);
      client.pragma("foreign_keys = ON");
      // Each write of a group commit is a savepoint, and a statement with triggers keeps a
      // statement journal: SQLite copies every page such a write touches into those journals first.
      // In temporary files that was one pwrite per page, most of a hop's cost; in memory it is a
      // copy. They live only until the transaction ends.
      client.pragma("temp_store = MEMORY");
      // A negative cache_size is in KiB.
      if (cacheMiB > 0) client.pragma(`cache_size = ${-cacheMiB * 1024}`);
      const db = drizzle({ client, schema });
      const tag = migrateDatabase(
        db as unknown as BetterSQLite3Database<Record<string, unknown>>,
        client,
        options.migrationsFolder ?? MIGRATIONS_FOLDER,
      );
      const ctx = new SqliteContext(client, db, groupCommit);
      serviceRecords.ensureFeedEpoch(ctx);
      return new SqliteStore(ctx, tag);
    } catch (error) {
      client.close();
      throw error;
    }
  }

  // agents ---------------------------------------------------------------------------------------

  async registerAgent(input: RegisterAgentInput): Promise<AgentRecord> {
    const agent = checkRegisterAgentInput(input);
    const { id, jwk, jkt, name, owner, at } = agent;

    // The look-alike checks run inside the write transaction, which is IMMEDIATE: it holds
    // SQLite's single write lock from before these reads until the insert commits, so no other
    // connection can register a look-alike id or the same key in between. Race-free without a
    // unique index (issue 14).
    return this.ctx.write(() => {
      const agents = schema.agents;
      // Agent ids are ASCII (agent:name, spiffe://…), which NOCASE folds completely.
      const lookalike = this.ctx.database
        .prepare("SELECT id FROM agents WHERE id = ? COLLATE NOCASE LIMIT 1")
        .get(id) as { id: string } | undefined;
      registerAgentFits(agent, {
        idTaken:
          this.ctx.db.select({ id: agents.id }).from(agents).where(eq(agents.id, id)).get() !== undefined,
        lookalike: lookalike?.id,
        keyHolder: this.ctx.db.select({ id: agents.id }).from(agents).where(eq(agents.jkt, jkt)).get()?.id,
      });
      const row = this.ctx.db
        .insert(schema.agents)
        .values({ id, jwk: JSON.stringify(jwk), jkt, name, owner, createdAt: at })
        .returning()
        .get();
      this.ctx.audit(agent.audit);
      return toAgentRecord(row);
    });
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    const row = typeof id === "string" ? this.ctx.findAgent(id) : undefined;
    return row === undefined ? undefined : toAgentRecord(row);
  }

  async listAgents(): Promise<AgentRecord[]> {
    return this.ctx.db.select().from(schema.agents).orderBy(schema.agents.id).all().map(toAgentRecord);
  }

  async disableAgent(id: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeAgentInput(id, options);
    const { agent, reason, at, audit } = revocation;
    return this.ctx.write(() => {
      const row = revokeAgentFits(revocation, { agent: this.ctx.findAgent(agent) });
      const result = this.ctx.cascade.revoke({ kind: "agent", agent }, at, reason);
      if (row.status === "active") {
        this.ctx.db
          .update(schema.agents)
          .set({ status: "disabled", disabledAt: at, disabledReason: reason })
          .where(eq(schema.agents.id, agent))
          .run();
      }
      this.ctx.audit(audit);
      return result;
    });
  }

  async revokeAgent(id: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeAgentInput(id, options);
    const { agent, reason, at, audit } = revocation;
    return this.ctx.write(() => {
      revokeAgentFits(revocation, { agent: this.ctx.findAgent(agent) });
      const result = this.ctx.cascade.revoke({ kind: "agent", agent }, at, reason);
      this.ctx.audit(audit);
      return result;
    });
  }

  // tasks ----------------------------------------------------------------------------------------

  async getTask(id: string): Promise<TaskRecord | undefined> {
    return this.ctx.findTask(id);
  }

  async listTasks(options: ListTasksOptions = {}): Promise<TaskSummary[]> {
    const { status, limit } = checkListTasksOptions(options);
    return this.ctx.statements.taskSummaries
      .all({ status: status ?? null, limit })
      .map((row) => ({ ...row, hours: row.hours === null ? null : (JSON.parse(row.hours) as TaskHours) }));
  }

  async completeTask(id: string, options: CompleteTaskOptions): Promise<RevocationResult> {
    const completion = checkCompleteTaskInput(id, options);
    const { task: taskId, at, reason, audit } = completion;
    return this.ctx.write(() => {
      completeTaskFits(completion, { task: this.ctx.findTask(taskId) });
      this.ctx.db
        .update(schema.tasks)
        .set({ status: "completed", closedAt: at, closeReason: reason })
        .where(eq(schema.tasks.id, taskId))
        .run();
      const result = this.ctx.cascade.revoke({ kind: "task", task: taskId }, at, reason);
      this.ctx.audit(audit);
      return result;
    });
  }

  async revokeTask(id: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeTaskInput(id, options);
    const { task: taskId, reason, at, audit } = revocation;
    return this.ctx.write(() => {
      const task = this.ctx.findTask(taskId);
      revokeTaskFits(revocation, { task });
      if (task?.status === "open") {
        this.ctx.db
          .update(schema.tasks)
          .set({ status: "revoked", closedAt: at, closeReason: reason })
          .where(eq(schema.tasks.id, taskId))
          .run();
      }
      const result = this.ctx.cascade.revoke({ kind: "task", task: taskId }, at, reason);
      this.ctx.audit(audit);
      return result;
    });
  }

  // delegations ----------------------------------------------------------------------------------

  async getDelegation(did: string): Promise<DelegationRecord | undefined> {
    if (typeof did !== "string") return undefined;
    return this.ctx.findDelegation(did);
  }

  async latestToken(did: string): Promise<TokenRecord | undefined> {
    if (typeof did !== "string") return undefined;
    return this.ctx.statements.latestToken.get(did);
  }

  async tokenVersions(did: string): Promise<TokenRecord[]> {
    if (typeof did !== "string") return [];
    return this.ctx.statements.tokenVersions.all(did);
  }

  async chainStatus(dids: readonly string[]): Promise<ChainLinkStatus[]> {
    return this.ctx.linkStatus(checkChainStatusInput(dids));
  }

  chainFacts(dids: readonly string[], options?: ChainFactsOptions): Promise<ChainFacts> {
    // Every verify and every hop starts here: read in the turn, with the requests that came with it.
    return this.ctx.readInTurn(() => {
      const checked = checkChainStatusInput(dids);
      const { agent } = checkChainFactsOptions(options);
      const facts = this.ctx.chainFacts(checked);
      if (agent === undefined) return facts;
      const row = this.ctx.findAgent(agent);
      return { ...facts, agent: row === undefined ? undefined : toAgentRecord(row) };
    });
  }

  // revocation -----------------------------------------------------------------------------------

  async revokeDelegation(did: string, options: RevokeOptions): Promise<RevocationResult> {
    const revocation = checkRevokeDelegationInput(did, options);
    const { did: target, reason, at, audit } = revocation;
    return this.ctx.write((): CascadeResult => {
      revokeDelegationFits(revocation, {
        delegationExists: this.ctx.delegationExists(target),
      });
      const result = this.ctx.cascade.revoke({ kind: "delegation", did: target }, at, reason);
      this.ctx.audit(audit);
      return result;
    });
  }

  async revocationsSince(since: number, limit = 1000): Promise<RevocationFeedPage> {
    const { since: after, limit: pageSize } = checkRevocationsSinceInput(since, limit);
    return this.ctx.read(() => {
      const rows = this.ctx.statements.feed.all(after, pageSize + 1);
      const more = rows.length > pageSize;
      const items = more ? rows.slice(0, pageSize) : rows;
      return {
        epoch: serviceRecords.feedEpoch(this.ctx),
        items,
        next: more ? (items.at(-1)?.seq ?? after) : null,
        head: this.ctx.cascade.lastSeq(),
      };
    });
  }

  // status lists ---------------------------------------------------------------------------------

  async reserveStatusEntries(count: number, at: number): Promise<StatusEntryBlock> {
    const wanted = checkReservationCount(count, "count");
    const when = checkTime(at, "at");
    return this.ctx.write(() => {
      const block = nextStatusReservation(this.ctx.statements.newestStatusList.get(), wanted);
      if (block.opens) {
        this.ctx.statements.openStatusList.run(block.list, block.count, when);
      } else {
        this.ctx.statements.setStatusListAllocated.run(block.first + block.count, block.list);
      }
      return { list: block.list, first: block.first, count: block.count };
    });
  }

  async statusListBits(list: number): Promise<StatusListBits | undefined> {
    const number = checkStatusListNumber(list, "list");
    return this.ctx.read(() => {
      const allocated = this.ctx.statements.statusListAllocated.get(number)?.allocated;
      if (allocated === undefined) return undefined;
      const revoked = this.ctx.statements.revokedStatusIndexes.all(number).map((row) => row.idx);
      return statusListBitsOf(number, allocated, revoked);
    });
  }

  // graph walks ----------------------------------------------------------------------------------

  async ancestors(did: string): Promise<DelegationRecord[]> {
    return this.ctx.walks.ancestors(checkAncestorsInput(did));
  }

  async descendants(did: string, options: DescendantsOptions = {}): Promise<WalkedDelegation[]> {
    const walk = checkDescendantsInput(did, options);
    return this.ctx.walks.descendants(walk.did, walk.maxDepth, walk.liveOnly);
  }

  async taskTree(taskId: string): Promise<DelegationRecord[]> {
    return this.ctx.walks.taskTree(checkTaskTreeInput(taskId));
  }

  async blastRadius(agentId: string): Promise<BlastRadius> {
    const agent = checkBlastRadiusInput(agentId);
    return this.ctx.read(() => this.ctx.walks.blastRadius(agent));
  }

  // lifecycle ------------------------------------------------------------------------------------

  async health(): Promise<SqliteStoreHealth> {
    const one = this.ctx.database.prepare<[], { one: number }>("select 1 as one").get();
    const journalMode = String(this.ctx.database.pragma("journal_mode", { simple: true }));
    const level = Number(this.ctx.database.pragma("synchronous", { simple: true }));
    const synchronous = SYNCHRONOUS_NAMES[level] ?? "FULL";
    const isFile = this.ctx.database.name !== ":memory:" && this.ctx.database.name !== "";
    return {
      ok: one?.one === 1 && (!isFile || journalMode === "wal"),
      journalMode,
      synchronous,
      schemaVersion: this.schemaTag,
    };
  }

  /** The migration tag the database is at (same as `health().schemaVersion`, without a query). */
  get schemaVersion(): string {
    return this.schemaTag;
  }

  async close(): Promise<void> {
    if (!this.ctx.database.open) return;
    // Reads and writes already asked for are answered (the writes committed) before it goes.
    this.ctx.answerQueuedReads();
    this.ctx.flushWrites();
    this.ctx.database.close();
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
    serviceRecords.replaceSigningKeyMaterial(this.ctx, changes);
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
    return serviceRecords.setSetting(this.ctx, key, value, at);
  }

  // maintenance (SQLite facts, so not part of the Store port) ----------------------------------

  /**
   * What SQLite's `integrity_check` and `foreign_key_check` find wrong with the file, one line per
   * problem; empty when the file is sound. A damaged page or a row whose reference points nowhere
   * (written with foreign keys off, or by a crash the journal could not undo) shows up here.
   */
  async checkIntegrity(): Promise<string[]> {
    const checked = this.ctx.database.pragma("integrity_check") as { integrity_check: unknown }[];
    const problems = checked.map((row) => String(row.integrity_check)).filter((line) => line !== "ok");
    const broken = this.ctx.database.pragma("foreign_key_check") as {
      table: string;
      rowid: number | null;
      parent: string;
      fkid: number;
    }[];
    for (const row of broken) {
      problems.push(`${row.table} row ${row.rowid ?? "?"} refers to a missing row of ${row.parent}`);
    }
    return problems;
  }

  /**
   * Writes a consistent copy of the database to `toPath` while the store stays open (SQLite's
   * online backup: committed writes, the WAL included, nothing half-done). The copy is created
   * owner-only (0600), like the database, since it holds the same graph and sealed keys. Refuses an
   * existing `toPath` with `conflict` rather than overwrite it.
   */
  async backup(toPath: string): Promise<void> {
    if (typeof toPath !== "string" || toPath.length === 0 || toPath === ":memory:") {
      throw invalidInput("toPath", "must be the path of a file to create");
    }
    try {
      closeSync(openSync(toPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
    } catch (error) {
      if ((error as { code?: unknown }).code === "EEXIST") {
        throw new StoreError(
          "conflict",
          `toPath: ${toPath} already exists; choose a new file for the backup`,
          {
            field: "toPath",
          },
        );
      }
      throw error;
    }
    try {
      await this.ctx.database.backup(toPath);
    } catch (error) {
      rmSync(toPath, { force: true });
      throw error;
    }
  }
}

/**
 * Opens the SQLite store at `options.path`: creates the file on first use, applies pending
 * migrations, and refuses a database migrated by newer code (`schema_too_new`).
 *
 * @example
 * const store = openSqliteStore({ path: "./data/baton.db" });
 * try {
 *   await store.registerAgent({ id: "agent:planner", jwk, jkt, at: now });
 * } finally {
 *   await store.close();
 * }
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return SqliteStore.open(options);
}

/** Reads the migration journal this code ships, for tools that report schema versions. */
export function knownSchemaVersions(): string[] {
  return readMigrationJournal().map((entry) => entry.tag);
}
