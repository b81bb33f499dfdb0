/**
 * The `Store` on SQLite through better-sqlite3 and drizzle: one file, created on first use, WAL,
 * `synchronous=FULL` unless configured otherwise. Every write is one IMMEDIATE transaction (so
 * the checks it makes still hold when it commits) and is committed before the method returns.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  audiencesCover,
  type Capability,
  CLAIM_LIMITS,
  capsCover,
  parseAgentJwk,
  type ServicePublicJwk,
  sha256Base64url,
} from "@baton/token";
import Database from "better-sqlite3";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { type DecisionRowFields, decisionHash, GENESIS_HASH, verifyDecisionRows } from "./decision-chain.ts";
import {
  DELEGATION_COLUMNS,
  type DelegationRow,
  TOKEN_COLUMNS,
  toDelegationRecord,
} from "./delegation-rows.ts";
import { type GraphWalks, prepareGraphWalks } from "./graph-walks.ts";
import {
  checkAgentId,
  checkApprovalId,
  checkAudienceName,
  checkAudiences,
  checkBase64,
  checkCapabilities,
  checkCompactToken,
  checkCount,
  checkDecisionKind,
  checkDecisionOutcome,
  checkDetail,
  checkDigest,
  checkKeyId,
  checkLimit,
  checkObject,
  checkOptionalText,
  checkRandomId,
  checkReasons,
  checkSecretHash,
  checkSettingKey,
  checkSettingValue,
  checkTaskId,
  checkText,
  checkTime,
  invalidInput,
  MAX_NAME_LENGTH,
  parseDetail,
} from "./input-checks.ts";
import { MIGRATIONS_FOLDER, migrateDatabase, readMigrationJournal } from "./migrations.ts";
import {
  type CascadeResult,
  prepareRevocationCascade,
  type RevocationCascade,
} from "./revocation-cascade.ts";
import * as schema from "./schema.ts";
import type {
  AddSigningKeyInput,
  AgentRecord,
  ApprovalRecord,
  ApprovalStatus,
  AudienceRecord,
  BlastRadius,
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
  RevalidationInput,
  RevocationFeedPage,
  RevocationResult,
  RevokeOptions,
  SigningKeyRecord,
  Store,
  StoreHealth,
  TaskRecord,
  TaskSummary,
  TokenRecord,
  VerifyDecisionLogOptions,
  WalkedDelegation,
} from "./store.ts";
import { StoreError } from "./store-error.ts";

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
  /** Where the migrations are; only tests point this elsewhere. */
  readonly migrationsFolder?: string;
}

/** The most `did`s one {@link Store.chainStatus} call takes: a chain is at most 64 hops deep. */
export const MAX_CHAIN_STATUS_DIDS = CLAIM_LIMITS.maxDepth + 1;

type Db = BetterSQLite3Database<typeof schema>;
type AgentRow = typeof schema.agents.$inferSelect;
type SigningKeyRow = typeof schema.signingKeys.$inferSelect;
type DecisionRow = DecisionRowFields & { readonly hash: string };

const SYNCHRONOUS_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"] as const;

function toAgentRecord(row: AgentRow): AgentRecord {
  return { ...row, jwk: JSON.parse(row.jwk) as AgentRecord["jwk"] };
}

function toSigningKeyRecord(row: SigningKeyRow): SigningKeyRecord {
  return { ...row, publicJwk: JSON.parse(row.publicJwk) as ServicePublicJwk };
}

function toDecisionRecord(row: DecisionRow): DecisionRecord {
  return {
    ...row,
    decision: row.decision as DecisionRecord["decision"],
    reasons: JSON.parse(row.reasons) as DecisionRecord["reasons"],
    detail: parseDetail(row.detail),
  };
}

const DECISION_COLUMNS = `id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons,
  detail, prev_hash as prevHash, hash`;

/** A decision input after its boundary checks: exactly the columns to hash and insert. */
type CheckedDecision = Omit<DecisionRowFields, "id" | "prevHash">;

function checkDecisionInput(value: unknown, field: string): CheckedDecision {
  const input = checkObject(value, field);
  const optional = (name: string, check: (v: unknown, f: string) => string): string | null =>
    input[name] === undefined ? null : check(input[name], `${field}.${name}`);
  const text = (max: number) => (v: unknown, f: string) => checkText(v, f, max);
  return {
    at: checkTime(input.at, `${field}.at`),
    kind: checkDecisionKind(input.kind, `${field}.kind`),
    decision: checkDecisionOutcome(input.decision, `${field}.decision`),
    task: optional("task", checkTaskId),
    did: optional("did", checkRandomId),
    jti: optional("jti", checkRandomId),
    agent: optional("agent", checkAgentId),
    audience: optional("audience", text(CLAIM_LIMITS.maxAudienceLength)),
    action: optional("action", text(512)),
    resource: optional("resource", text(512)),
    reasons: JSON.stringify(checkReasons(input.reasons, `${field}.reasons`)),
    detail: checkDetail(input.detail, `${field}.detail`),
  };
}

/** Checks the shape of a token input; relations to the delegation are checked by the caller. */
function checkTokenInput(value: unknown, field: string, prf: "required" | "absent" | "optional") {
  const token = checkObject(value, field);
  const jti = checkRandomId(token.jti, `${field}.jti`);
  const compact = checkCompactToken(token.compact, `${field}.compact`);
  const iat = checkTime(token.iat, `${field}.iat`);
  const exp = checkTime(token.exp, `${field}.exp`);
  const rvl = checkTime(token.rvl, `${field}.rvl`);
  if (exp <= iat) throw invalidInput(`${field}.exp`, "must be after iat");
  if (rvl <= iat || rvl > exp) throw invalidInput(`${field}.rvl`, "must be after iat and no later than exp");
  if (prf === "absent" && token.prf !== undefined) {
    throw invalidInput(`${field}.prf`, "must be absent on a root grant");
  }
  if (prf === "required" && token.prf === undefined)
    throw invalidInput(`${field}.prf`, "is required on a hop");
  const checkedPrf = token.prf === undefined ? null : checkDigest(token.prf, `${field}.prf`);
  return { jti, compact, iat, exp, rvl, prf: checkedPrf };
}

type CheckedToken = ReturnType<typeof checkTokenInput>;

function checkRevokeOptions(
  value: unknown,
  field: string,
): { reason: string; at: number; audit: CheckedDecision | null } {
  const options = checkObject(value, field);
  return {
    reason: checkText(options.reason, `${field}.reason`),
    at: checkTime(options.at, `${field}.at`),
    audit: options.audit === undefined ? null : checkDecisionInput(options.audit, `${field}.audit`),
  };
}

function checkAudit(value: unknown, field: string): CheckedDecision | null {
  return value === undefined ? null : checkDecisionInput(value, field);
}

/** Positive seconds, within the token format's time range. */
function checkInterval(value: unknown, field: string): number {
  const seconds = checkCount(value, field, CLAIM_LIMITS.maxTime);
  if (seconds === 0) throw invalidInput(field, "must be at least 1 second");
  return seconds;
}

/** The prepared statements of the hot paths, prepared once per connection. */
function prepareStatements(client: Database.Database) {
  return {
    delegation: client.prepare<[string], DelegationRow>(
      `select ${DELEGATION_COLUMNS} from delegations d where d.did = ?`,
    ),
    latestToken: client.prepare<[string], TokenRecord>(
      `select ${TOKEN_COLUMNS} from tokens t where t.did = ? order by t.version desc limit 1`,
    ),
    tokenVersions: client.prepare<[string], TokenRecord>(
      `select ${TOKEN_COLUMNS} from tokens t where t.did = ? order by t.version`,
    ),
    tokenExists: client.prepare<[string], { one: number }>("select 1 as one from tokens where jti = ?"),
    parentTokenWithHash: client.prepare<[string, string], { one: number }>(
      "select 1 as one from tokens where did = ? and hash = ? limit 1",
    ),
    insertToken:
      client.prepare(`insert into tokens (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
      values (@jti, @did, @version, @supersedes, @prf, @hash, @iat, @exp, @rvl, @compact, @recordedAt)`),
    insertDelegation: client.prepare(`insert into delegations
      (did, parent, root, task, depth, from_agent, to_agent, intent, cap, aud, mdp, exp, rvi, created_at)
      values (@did, @parent, @root, @task, @depth, @from, @to, @intent, @cap, @aud, @mdp, @exp, @rvi, @createdAt)`),
    chainStatus: client.prepare<
      [string],
      {
        did: string;
        status: string;
        revokedAt: number | null;
        revokeReason: string | null;
        revocationSeq: number | null;
        taskStatus: string;
        taskClosedAt: number | null;
        taskCloseReason: string | null;
        toStatus: string;
        toDisabledAt: number | null;
        toDisabledReason: string | null;
        fromStatus: string | null;
        fromDisabledAt: number | null;
        fromDisabledReason: string | null;
      }
    >(`select d.did as did, d.status as status, d.revoked_at as revokedAt, d.revoke_reason as revokeReason,
        d.revocation_seq as revocationSeq, t.status as taskStatus, t.closed_at as taskClosedAt,
        t.close_reason as taskCloseReason, ta.status as toStatus, ta.disabled_at as toDisabledAt,
        ta.disabled_reason as toDisabledReason, fa.status as fromStatus, fa.disabled_at as fromDisabledAt,
        fa.disabled_reason as fromDisabledReason
      from delegations d
      join tasks t on t.id = d.task
      join agents ta on ta.id = d.to_agent
      left join agents fa on fa.id = d.from_agent
      where d.did in (select value from json_each(?))`),
    feed: client.prepare<[number, number], { seq: number; did: string; at: number; reason: string | null }>(
      `select revocation_seq as seq, did, revoked_at as at, revoke_reason as reason from delegations
       where revocation_seq > ? order by revocation_seq limit ?`,
    ),
    decisionHead: client.prepare<[], { id: number; hash: string }>(
      "select id, hash from decisions order by id desc limit 1",
    ),
    decisionSequence: client.prepare<[], { seq: number }>(
      "select seq from sqlite_sequence where name = 'decisions'",
    ),
    insertDecision: client.prepare(`insert into decisions
      (id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons, detail, prev_hash, hash)
      values (@id, @at, @kind, @decision, @task, @did, @jti, @agent, @audience, @action, @resource, @reasons,
        @detail, @prevHash, @hash)`),
    allDecisions: client.prepare<[], DecisionRow>(`select ${DECISION_COLUMNS} from decisions order by id`),
    taskSummaries: client.prepare<
      { status: string | null; limit: number },
      TaskRecord & { liveDelegations: number; revokedDelegations: number }
    >(`select t.id as id, t.intent as intent, t.root_agent as rootAgent, t.root_did as rootDid, t.status as status,
        t.opened_at as openedAt, t.closed_at as closedAt, t.close_reason as closeReason,
        (select count(*) from delegations d where d.task = t.id and d.status = 'live') as liveDelegations,
        (select count(*) from delegations d where d.task = t.id and d.status = 'revoked') as revokedDelegations
      from tasks t where (@status is null or t.status = @status)
      order by t.opened_at desc, t.id limit @limit`),
  };
}

/**
 * The SQLite implementation of {@link Store}. Open it with {@link openSqliteStore}.
 */
export class SqliteStore implements Store {
  /**
   * The underlying connection, for tools inside this repository (the seed generator, benchmarks,
   * tests). Application code goes through the `Store` methods.
   */
  readonly database: Database.Database;
  private readonly db: Db;
  private readonly schemaTag: string;
  private readonly walks: GraphWalks;
  private readonly cascade: RevocationCascade;
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly decisionQueries = new Map<string, Database.Statement<unknown[], DecisionRow>>();

  private constructor(client: Database.Database, db: Db, schemaTag: string) {
    this.database = client;
    this.db = db;
    this.schemaTag = schemaTag;
    this.walks = prepareGraphWalks(client);
    this.cascade = prepareRevocationCascade(client);
    this.inTransaction = client.transaction((fn: () => unknown) => fn());
    this.statements = prepareStatements(client);
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
    const path = input.path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });

    const client = new Database(path, { timeout: busyTimeoutMs });
    try {
      client.pragma(`busy_timeout = ${busyTimeoutMs}`);
      client.pragma("journal_mode = WAL");
      client.pragma(`synchronous = ${synchronous}`);
      client.pragma("foreign_keys = ON");
      const db = drizzle({ client, schema });
      const tag = migrateDatabase(
        db as unknown as BetterSQLite3Database<Record<string, unknown>>,
        client,
        options.migrationsFolder ?? MIGRATIONS_FOLDER,
      );
      return new SqliteStore(client, db, tag);
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** Runs `fn` in one IMMEDIATE transaction: the write lock is taken before the first read. */
  private write<T>(fn: () => T): T {
    return this.inTransaction.immediate(fn) as T;
  }

  /** Runs `fn` in one read transaction, so its statements see one snapshot. */
  private read<T>(fn: () => T): T {
    return this.inTransaction.deferred(fn) as T;
  }

  private insertDecision(decision: CheckedDecision): DecisionRecord {
    const head = this.statements.decisionHead.get();
    const issued = this.statements.decisionSequence.get()?.seq ?? 0;
    // Never reuse an id, even one whose row has gone: the gap is then visible to verification.
    const id = Math.max(head?.id ?? 0, issued) + 1;
    const row: DecisionRowFields = { id, ...decision, prevHash: head?.hash ?? GENESIS_HASH };
    const hash = decisionHash(row);
    this.statements.insertDecision.run({ ...row, hash });
    return toDecisionRecord({ ...row, hash });
  }

  private audit(decision: CheckedDecision | null): void {
    if (decision !== null) this.insertDecision(decision);
  }

  private requireAgent(id: string, field: string): AgentRow {
    const agent = this.db.select().from(schema.agents).where(eq(schema.agents.id, id)).get();
    if (agent === undefined)
      throw new StoreError("not_found", `${field}: no agent ${id} is registered`, { field });
    return agent;
  }

  private requireDelegation(did: string, field: string): DelegationRow {
    const row = this.statements.delegation.get(did);
    if (row === undefined) throw new StoreError("not_found", `${field}: no delegation ${did}`, { field });
    return row;
  }

  private requireTask(id: string, field: string): TaskRecord {
    const task = this.db.select().from(schema.tasks).where(eq(schema.tasks.id, id)).get();
    if (task === undefined) throw new StoreError("not_found", `${field}: no task ${id}`, { field });
    return task;
  }

  private requireNewJti(jti: string, field: string): void {
    if (this.statements.tokenExists.get(jti) !== undefined) {
      throw new StoreError("conflict", `${field}: token ${jti} is already recorded; use a fresh jti`, {
        field,
      });
    }
  }

  private insertToken(
    did: string,
    token: CheckedToken,
    version: number,
    supersedes: string | null,
    at: number,
  ): TokenRecord {
    const record: TokenRecord = {
      jti: token.jti,
      did,
      version,
      supersedes,
      prf: token.prf,
      hash: sha256Base64url(token.compact),
      iat: token.iat,
      exp: token.exp,
      rvl: token.rvl,
      compact: token.compact,
      recordedAt: at,
    };
    this.statements.insertToken.run(record);
    return record;
  }

  // agents -------------------------------------------------------------------------------------

  registerAgent(input: RegisterAgentInput): AgentRecord {
    const value = checkObject(input, "agent");
    const id = checkAgentId(value.id, "agent.id");
    const key = parseAgentJwk(value.jwk, "agent.jwk");
    if (!key.ok) throw invalidInput("agent.jwk", key.error.message);
    const jkt = checkDigest(value.jkt, "agent.jkt");
    if (jkt !== key.value.thumbprint)
      throw invalidInput("agent.jkt", "is not the RFC 7638 thumbprint of agent.jwk");
    const name = checkOptionalText(value.name, "agent.name", MAX_NAME_LENGTH);
    const owner = checkOptionalText(value.owner, "agent.owner", MAX_NAME_LENGTH);
    const at = checkTime(value.at, "agent.at");
    const audit = checkAudit(value.audit, "agent.audit");

    return this.write(() => {
      if (
        this.db.select({ id: schema.agents.id }).from(schema.agents).where(eq(schema.agents.id, id)).get()
      ) {
        throw new StoreError("conflict", `agent.id: agent ${id} is already registered`, {
          field: "agent.id",
        });
      }
      const row = this.db
        .insert(schema.agents)
        .values({ id, jwk: JSON.stringify(key.value.jwk), jkt, name, owner, createdAt: at })
        .returning()
        .get();
      this.audit(audit);
      return toAgentRecord(row);
    });
  }

  getAgent(id: string): AgentRecord | undefined {
    const row = this.db.select().from(schema.agents).where(eq(schema.agents.id, id)).get();
    return row === undefined ? undefined : toAgentRecord(row);
  }

  listAgents(): AgentRecord[] {
    return this.db.select().from(schema.agents).orderBy(schema.agents.id).all().map(toAgentRecord);
  }

  disableAgent(id: string, options: RevokeOptions): RevocationResult {
    const agent = checkAgentId(id, "agent");
    const { reason, at, audit } = checkRevokeOptions(options, "options");
    return this.write(() => {
      const row = this.requireAgent(agent, "agent");
      const result = this.cascade.revoke({ kind: "agent", agent }, at, reason);
      if (row.status === "active") {
        this.db
          .update(schema.agents)
          .set({ status: "disabled", disabledAt: at, disabledReason: reason })
          .where(eq(schema.agents.id, agent))
          .run();
      }
      this.audit(audit);
      return result;
    });
  }

  revokeAgent(id: string, options: RevokeOptions): RevocationResult {
    const agent = checkAgentId(id, "agent");
    const { reason, at, audit } = checkRevokeOptions(options, "options");
    return this.write(() => {
      this.requireAgent(agent, "agent");
      const result = this.cascade.revoke({ kind: "agent", agent }, at, reason);
      this.audit(audit);
      return result;
    });
  }

  // tasks --------------------------------------------------------------------------------------

  getTask(id: string): TaskRecord | undefined {
    return this.db.select().from(schema.tasks).where(eq(schema.tasks.id, id)).get();
  }

  listTasks(options: ListTasksOptions = {}): TaskSummary[] {
    const input = checkObject(options, "options");
    const status = input.status;
    if (status !== undefined && status !== "open" && status !== "completed" && status !== "revoked") {
      throw invalidInput("options.status", "must be open, completed or revoked");
    }
    const limit = checkLimit(input.limit, "options.limit", 1000, 100);
    return this.statements.taskSummaries.all({ status: status ?? null, limit });
  }

  completeTask(id: string, options: CompleteTaskOptions): RevocationResult {
    const taskId = checkTaskId(id, "task");
    const input = checkObject(options, "options");
    const at = checkTime(input.at, "options.at");
    const reason = checkOptionalText(input.reason, "options.reason") ?? "task completed";
    const audit = checkAudit(input.audit, "options.audit");
    return this.write(() => {
      const task = this.requireTask(taskId, "task");
      if (task.status !== "open") {
        throw new StoreError("conflict", `task ${taskId} is already ${task.status}`, { field: "task" });
      }
      this.db
        .update(schema.tasks)
        .set({ status: "completed", closedAt: at, closeReason: reason })
        .where(eq(schema.tasks.id, taskId))
        .run();
      const result = this.cascade.revoke({ kind: "task", task: taskId }, at, reason);
      this.audit(audit);
      return result;
    });
  }

  revokeTask(id: string, options: RevokeOptions): RevocationResult {
    const taskId = checkTaskId(id, "task");
    const { reason, at, audit } = checkRevokeOptions(options, "options");
    return this.write(() => {
      const task = this.requireTask(taskId, "task");
      if (task.status === "open") {
        this.db
          .update(schema.tasks)
          .set({ status: "revoked", closedAt: at, closeReason: reason })
          .where(eq(schema.tasks.id, taskId))
          .run();
      }
      const result = this.cascade.revoke({ kind: "task", task: taskId }, at, reason);
      this.audit(audit);
      return result;
    });
  }

  // issuance -----------------------------------------------------------------------------------

  recordGrant(input: GrantInput): GrantRecord {
    const value = checkObject(input, "grant");
    const d = checkObject(value.delegation, "grant.delegation");
    const did = checkRandomId(d.did, "grant.delegation.did");
    const taskInput = checkObject(d.task, "grant.delegation.task");
    const taskId = checkTaskId(taskInput.id, "grant.delegation.task.id");
    const intent = checkText(taskInput.intent, "grant.delegation.task.intent");
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

    return this.write(() => {
      if (this.getTask(taskId) !== undefined) {
        throw new StoreError(
          "conflict",
          `grant.delegation.task.id: task ${taskId} already exists; use a new task id`,
          {
            field: "grant.delegation.task.id",
          },
        );
      }
      if (this.statements.delegation.get(did) !== undefined) {
        throw new StoreError("conflict", `grant.delegation.did: delegation ${did} already exists`, {
          field: "grant.delegation.did",
        });
      }
      this.requireNewJti(token.jti, "grant.token.jti");
      const holder = this.requireAgent(to, "grant.delegation.to");
      if (holder.status !== "active") {
        throw new StoreError("revoked", `grant.delegation.to: agent ${to} is disabled`, {
          field: "grant.delegation.to",
        });
      }
      const task = this.db
        .insert(schema.tasks)
        .values({ id: taskId, intent, rootAgent: to, rootDid: did, openedAt: at })
        .returning()
        .get();
      const delegation = this.insertDelegation({
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
      const tokenRecord = this.insertToken(did, token, 1, null, at);
      this.audit(audit);
      return { task, delegation, token: tokenRecord };
    });
  }

  private insertDelegation(row: {
    did: string;
    parent: string | null;
    root: string;
    task: string;
    depth: number;
    from: string | null;
    to: string;
    intent: string | null;
    cap: Capability[];
    aud: string[];
    mdp: number;
    exp: number;
    rvi: number | null;
    createdAt: number;
  }): DelegationRecord {
    this.statements.insertDelegation.run({
      ...row,
      cap: JSON.stringify(row.cap),
      aud: JSON.stringify(row.aud),
    });
    return {
      ...row,
      status: "live",
      revokedAt: null,
      revokeReason: null,
      revokeCause: null,
      revocationSeq: null,
    };
  }

  recordHop(input: HopInput): HopRecord {
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

    return this.write(() => {
      const parent = this.requireDelegation(parentDid, "hop.delegation.parent");
      if (this.statements.delegation.get(did) !== undefined) {
        throw new StoreError("conflict", `hop.delegation.did: delegation ${did} already exists`, {
          field: "hop.delegation.did",
        });
      }
      this.requireNewJti(token.jti, "hop.token.jti");
      const toAgent = this.requireAgent(to, "hop.delegation.to");
      const fromAgent = this.requireAgent(from, "hop.delegation.from");

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
      const cycle = this.walks.heldOnPath(parentDid, to);
      if (cycle !== undefined) {
        throw invalidInput(
          "hop.delegation.to",
          `${to} already holds ${cycle} on this chain: the hop would form a cycle`,
        );
      }
      if (this.statements.parentTokenWithHash.get(parentDid, token.prf ?? "") === undefined) {
        throw invalidInput("hop.token.prf", "must be the hash of a recorded token of the parent delegation");
      }

      // Checked last, inside the write lock: a revocation either committed before (refused here)
      // or runs after this commit and finds the new hop in the subtree it revokes.
      if (parent.status !== "live") {
        throw new StoreError("revoked", `hop.delegation.parent: delegation ${parentDid} is revoked`, {
          field: "hop.delegation.parent",
        });
      }
      const task = this.requireTask(taskId, "hop.delegation.task");
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

      const delegation = this.insertDelegation({
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
      const tokenRecord = this.insertToken(did, token, 1, null, at);
      this.audit(audit);
      return { delegation, token: tokenRecord };
    });
  }

  recordRevalidation(input: RevalidationInput): TokenRecord {
    const value = checkObject(input, "revalidation");
    const did = checkRandomId(value.did, "revalidation.did");
    const token = checkTokenInput(value.token, "revalidation.token", "optional");
    const at = checkTime(value.at, "revalidation.at");
    const audit = checkAudit(value.audit, "revalidation.audit");

    return this.write(() => {
      const delegation = this.requireDelegation(did, "revalidation.did");
      this.requireNewJti(token.jti, "revalidation.token.jti");
      if (token.exp > delegation.exp) {
        throw invalidInput("revalidation.token.exp", "must not be after the delegation's exp");
      }
      if (delegation.parent === null) {
        if (token.prf !== null)
          throw invalidInput("revalidation.token.prf", "must be absent on a root grant");
      } else if (token.prf === null) {
        throw invalidInput("revalidation.token.prf", "is required on a hop");
      } else if (this.statements.parentTokenWithHash.get(delegation.parent, token.prf) === undefined) {
        throw invalidInput(
          "revalidation.token.prf",
          "must be the hash of a recorded token of the parent delegation",
        );
      }
      const latest = this.statements.latestToken.get(did);
      if (latest !== undefined && token.iat < latest.iat) {
        throw invalidInput(
          "revalidation.token.iat",
          "must not be before the iat of the version it supersedes",
        );
      }
      const status = this.linkStatus([did])[0];
      if (status !== undefined && !status.live) {
        throw new StoreError(
          "revoked",
          `revalidation.did: delegation ${did} cannot be re-issued (${status.problem})`,
          {
            field: "revalidation.did",
          },
        );
      }
      const record = this.insertToken(did, token, (latest?.version ?? 0) + 1, latest?.jti ?? null, at);
      this.audit(audit);
      return record;
    });
  }

  // delegations --------------------------------------------------------------------------------

  getDelegation(did: string): DelegationRecord | undefined {
    if (typeof did !== "string") return undefined;
    const row = this.statements.delegation.get(did);
    return row === undefined ? undefined : toDelegationRecord(row);
  }

  latestToken(did: string): TokenRecord | undefined {
    if (typeof did !== "string") return undefined;
    return this.statements.latestToken.get(did);
  }

  tokenVersions(did: string): TokenRecord[] {
    if (typeof did !== "string") return [];
    return this.statements.tokenVersions.all(did);
  }

  chainStatus(dids: readonly string[]): ChainLinkStatus[] {
    if (!Array.isArray(dids) || dids.length > MAX_CHAIN_STATUS_DIDS) {
      throw invalidInput("dids", `must be an array of at most ${MAX_CHAIN_STATUS_DIDS} delegation ids`);
    }
    for (const [i, did] of dids.entries()) checkRandomId(did, `dids[${i}]`);
    return this.linkStatus(dids);
  }

  private linkStatus(dids: readonly string[]): ChainLinkStatus[] {
    const rows = new Map(this.statements.chainStatus.all(JSON.stringify(dids)).map((row) => [row.did, row]));
    return dids.map((did): ChainLinkStatus => {
      const row = rows.get(did);
      if (row === undefined) {
        return { did, live: false, problem: "not_found", since: null, reason: null, revocationSeq: null };
      }
      if (row.status !== "live") {
        return {
          did,
          live: false,
          problem: "revoked",
          since: row.revokedAt,
          reason: row.revokeReason,
          revocationSeq: row.revocationSeq,
        };
      }
      if (row.taskStatus !== "open") {
        return {
          did,
          live: false,
          problem: "task_closed",
          since: row.taskClosedAt,
          reason: row.taskCloseReason,
          revocationSeq: null,
        };
      }
      if (row.toStatus !== "active") {
        return {
          did,
          live: false,
          problem: "agent_disabled",
          since: row.toDisabledAt,
          reason: row.toDisabledReason,
          revocationSeq: null,
        };
      }
      if (row.fromStatus !== null && row.fromStatus !== "active") {
        return {
          did,
          live: false,
          problem: "agent_disabled",
          since: row.fromDisabledAt,
          reason: row.fromDisabledReason,
          revocationSeq: null,
        };
      }
      return { did, live: true };
    });
  }

  // revocation ---------------------------------------------------------------------------------

  revokeDelegation(did: string, options: RevokeOptions): RevocationResult {
    const target = checkRandomId(did, "did");
    const { reason, at, audit } = checkRevokeOptions(options, "options");
    return this.write((): CascadeResult => {
      this.requireDelegation(target, "did");
      const result = this.cascade.revoke({ kind: "delegation", did: target }, at, reason);
      this.audit(audit);
      return result;
    });
  }

  revocationsSince(since: number, limit = 1000): RevocationFeedPage {
    const after = checkCount(since, "since", Number.MAX_SAFE_INTEGER);
    const pageSize = checkLimit(limit, "limit", 10_000, 1000);
    return this.read(() => {
      const rows = this.statements.feed.all(after, pageSize + 1);
      const more = rows.length > pageSize;
      const items = more ? rows.slice(0, pageSize) : rows;
      return {
        items,
        next: more ? (items.at(-1)?.seq ?? after) : null,
        head: this.cascade.lastSeq(),
      };
    });
  }

  // decisions ----------------------------------------------------------------------------------

  appendDecision(input: DecisionInput): DecisionRecord {
    const decision = checkDecisionInput(input, "decision");
    return this.write(() => this.insertDecision(decision));
  }

  queryDecisions(query: DecisionQuery): DecisionPage {
    const input = checkObject(query, "query");
    const limit = checkLimit(input.limit, "query.limit", 1000, 100);
    const order = input.order ?? "newest";
    if (order !== "newest" && order !== "oldest")
      throw invalidInput("query.order", "must be newest or oldest");
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (input.task !== undefined) {
      where.push("task = ?");
      params.push(checkTaskId(input.task, "query.task"));
    }
    if (input.agent !== undefined) {
      where.push("agent = ?");
      params.push(checkAgentId(input.agent, "query.agent"));
    }
    if (input.did !== undefined) {
      where.push("did = ?");
      params.push(checkRandomId(input.did, "query.did"));
    }
    if (input.cursor !== undefined) {
      where.push(order === "newest" ? "id < ?" : "id > ?");
      params.push(checkCount(input.cursor, "query.cursor", Number.MAX_SAFE_INTEGER));
    }
    const sql = `select ${DECISION_COLUMNS} from decisions ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
      order by id ${order === "newest" ? "desc" : "asc"} limit ?`;
    let statement = this.decisionQueries.get(sql);
    if (statement === undefined) {
      // At most 16 shapes (3 optional filters, optional cursor) times 2 orders: a bounded cache.
      statement = this.database.prepare<unknown[], DecisionRow>(sql);
      this.decisionQueries.set(sql, statement);
    }
    const rows = statement.all(...params, limit + 1);
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toDecisionRecord);
    return { items, next: more ? (items.at(-1)?.id ?? null) : null };
  }

  verifyDecisionLog(options: VerifyDecisionLogOptions = {}): DecisionLogVerification {
    const input = checkObject(options, "options");
    if (input.onProgress !== undefined && typeof input.onProgress !== "function") {
      throw invalidInput("options.onProgress", "must be a function");
    }
    const progressEvery = checkLimit(input.progressEvery, "options.progressEvery", 10_000_000, 10_000);
    return this.read(() => {
      const highestIdIssued = this.statements.decisionSequence.get()?.seq ?? 0;
      return verifyDecisionRows(this.statements.allDecisions.iterate(), {
        highestIdIssued,
        progressEvery,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      });
    });
  }

  // graph walks --------------------------------------------------------------------------------

  ancestors(did: string): DelegationRecord[] {
    return this.walks.ancestors(checkRandomId(did, "did"));
  }

  descendants(did: string, options: DescendantsOptions = {}): WalkedDelegation[] {
    const start = checkRandomId(did, "did");
    const input = checkObject(options, "options");
    const maxDepth =
      input.maxDepth === undefined
        ? undefined
        : checkCount(input.maxDepth, "options.maxDepth", Number.MAX_SAFE_INTEGER);
    if (input.liveOnly !== undefined && typeof input.liveOnly !== "boolean") {
      throw invalidInput("options.liveOnly", "must be a boolean");
    }
    return this.walks.descendants(start, maxDepth, input.liveOnly === true);
  }

  taskTree(taskId: string): DelegationRecord[] {
    return this.walks.taskTree(checkTaskId(taskId, "task"));
  }

  blastRadius(agentId: string): BlastRadius {
    const agent = checkAgentId(agentId, "agent");
    return this.read(() => this.walks.blastRadius(agent));
  }

  // approvals ----------------------------------------------------------------------------------

  createApproval(input: CreateApprovalInput): ApprovalRecord {
    const value = checkObject(input, "approval");
    const id = checkApprovalId(value.id, "approval.id");
    const did = checkRandomId(value.did, "approval.did");
    const agent = checkAgentId(value.agent, "approval.agent");
    const task = checkTaskId(value.task, "approval.task");
    const action = checkText(value.action, "approval.action", 512);
    const resource = checkText(value.resource, "approval.resource", 512);
    const reason = checkText(value.reason, "approval.reason");
    const at = checkTime(value.at, "approval.at");
    const expiresAt = checkTime(value.expiresAt, "approval.expiresAt");
    if (expiresAt <= at) throw invalidInput("approval.expiresAt", "must be after at");
    const audit = checkAudit(value.audit, "approval.audit");

    return this.write(() => {
      if (this.getApproval(id) !== undefined) {
        throw new StoreError("conflict", `approval.id: approval ${id} already exists`, {
          field: "approval.id",
        });
      }
      const delegation = this.requireDelegation(did, "approval.did");
      this.requireAgent(agent, "approval.agent");
      this.requireTask(task, "approval.task");
      if (delegation.task !== task)
        throw invalidInput("approval.task", `must be the delegation's task ${delegation.task}`);
      if (delegation.to !== agent)
        throw invalidInput("approval.agent", `must be the delegation's holder ${delegation.to}`);
      const status = this.linkStatus([did])[0];
      if (status !== undefined && !status.live) {
        throw new StoreError("revoked", `approval.did: delegation ${did} is not live (${status.problem})`, {
          field: "approval.did",
        });
      }
      const row = this.db
        .insert(schema.approvals)
        .values({ id, did, agent, task, action, resource, reason, createdAt: at, expiresAt })
        .returning()
        .get();
      this.audit(audit);
      return row;
    });
  }

  getApproval(id: string): ApprovalRecord | undefined {
    if (typeof id !== "string") return undefined;
    return this.db.select().from(schema.approvals).where(eq(schema.approvals.id, id)).get();
  }

  listApprovals(
    options: { readonly status?: ApprovalStatus; readonly limit?: number } = {},
  ): ApprovalRecord[] {
    const input = checkObject(options, "options");
    const status = input.status;
    if (status !== undefined && status !== "pending" && status !== "approved" && status !== "denied") {
      throw invalidInput("options.status", "must be pending, approved or denied");
    }
    const limit = checkLimit(input.limit, "options.limit", 1000, 100);
    const query = this.db.select().from(schema.approvals);
    const filtered = status === undefined ? query : query.where(eq(schema.approvals.status, status));
    return filtered.orderBy(desc(schema.approvals.createdAt), schema.approvals.id).limit(limit).all();
  }

  decideApproval(id: string, input: DecideApprovalInput): ApprovalRecord {
    const approvalId = checkApprovalId(id, "approval");
    const value = checkObject(input, "input");
    const decision = value.decision;
    if (decision !== "approved" && decision !== "denied")
      throw invalidInput("input.decision", "must be approved or denied");
    const by = checkText(value.by, "input.by", MAX_NAME_LENGTH);
    const at = checkTime(value.at, "input.at");
    const audit = checkAudit(value.audit, "input.audit");
    return this.write(() => {
      const approval = this.getApproval(approvalId);
      if (approval === undefined) {
        throw new StoreError("not_found", `approval: no approval ${approvalId}`, { field: "approval" });
      }
      if (approval.status !== "pending") {
        throw new StoreError("conflict", `approval ${approvalId} was already ${approval.status}`, {
          field: "approval",
        });
      }
      if (at >= approval.expiresAt) {
        throw new StoreError("conflict", `approval ${approvalId} expired; the agent must ask again`, {
          field: "approval",
        });
      }
      const row = this.db
        .update(schema.approvals)
        .set({ status: decision, decidedAt: at, decidedBy: by })
        .where(eq(schema.approvals.id, approvalId))
        .returning()
        .get();
      this.audit(audit);
      if (row === undefined) throw new Error(`approval ${approvalId} vanished inside its transaction`);
      return row;
    });
  }

  activeApprovals(did: string, at: number): ApprovalRecord[] {
    const target = checkRandomId(did, "did");
    const now = checkTime(at, "at");
    const a = schema.approvals;
    return this.db
      .select()
      .from(a)
      .where(and(eq(a.did, target), eq(a.status, "approved"), gt(a.expiresAt, now)))
      .orderBy(a.createdAt, a.id)
      .all();
  }

  // signing keys -------------------------------------------------------------------------------

  addSigningKey(input: AddSigningKeyInput): SigningKeyRecord {
    const value = checkObject(input, "key");
    const kid = checkKeyId(value.kid, "key.kid");
    const jwk = checkObject(value.publicJwk, "key.publicJwk");
    const key = parseAgentJwk(jwk, "key.publicJwk");
    if (!key.ok) throw invalidInput("key.publicJwk", key.error.message);
    if (jwk.kid !== kid || jwk.alg !== "EdDSA" || jwk.use !== "sig") {
      throw invalidInput("key.publicJwk", 'must carry kid equal to key.kid, alg "EdDSA" and use "sig"');
    }
    const publicJwk: ServicePublicJwk = { ...key.value.jwk, kid, alg: "EdDSA", use: "sig" };
    const privateKeyPkcs8 = checkBase64(value.privateKeyPkcs8, "key.privateKeyPkcs8");
    const createdAt = checkTime(value.createdAt, "key.createdAt");
    return this.write(() => {
      if (this.db.select().from(schema.signingKeys).where(eq(schema.signingKeys.kid, kid)).get()) {
        throw new StoreError("conflict", `key.kid: signing key ${kid} already exists`, { field: "key.kid" });
      }
      const row = this.db
        .insert(schema.signingKeys)
        .values({ kid, publicJwk: JSON.stringify(publicJwk), privateKeyPkcs8, createdAt })
        .returning()
        .get();
      return toSigningKeyRecord(row);
    });
  }

  listSigningKeys(): SigningKeyRecord[] {
    return this.db
      .select()
      .from(schema.signingKeys)
      .orderBy(desc(schema.signingKeys.createdAt), desc(schema.signingKeys.kid))
      .all()
      .map(toSigningKeyRecord);
  }

  activeSigningKey(): SigningKeyRecord | undefined {
    const row = this.db
      .select()
      .from(schema.signingKeys)
      .where(isNull(schema.signingKeys.retiredAt))
      .orderBy(desc(schema.signingKeys.createdAt), desc(schema.signingKeys.kid))
      .limit(1)
      .get();
    return row === undefined ? undefined : toSigningKeyRecord(row);
  }

  retireSigningKey(kid: string, at: number): SigningKeyRecord {
    const keyId = checkKeyId(kid, "kid");
    const retiredAt = checkTime(at, "at");
    return this.write(() => {
      const row = this.db
        .update(schema.signingKeys)
        .set({ retiredAt })
        .where(and(eq(schema.signingKeys.kid, keyId), isNull(schema.signingKeys.retiredAt)))
        .returning()
        .get();
      if (row !== undefined) return toSigningKeyRecord(row);
      const existing = this.db
        .select()
        .from(schema.signingKeys)
        .where(eq(schema.signingKeys.kid, keyId))
        .get();
      if (existing === undefined)
        throw new StoreError("not_found", `kid: no signing key ${keyId}`, { field: "kid" });
      throw new StoreError("conflict", `kid: signing key ${keyId} is already retired`, { field: "kid" });
    });
  }

  // audiences ----------------------------------------------------------------------------------

  registerAudience(input: RegisterAudienceInput): AudienceRecord {
    const value = checkObject(input, "audience");
    const id = checkAudienceName(value.id, "audience.id");
    const secretHash = checkSecretHash(value.secretHash, "audience.secretHash");
    const name = checkOptionalText(value.name, "audience.name", MAX_NAME_LENGTH);
    const at = checkTime(value.at, "audience.at");
    return this.write(() => {
      if (this.getAudience(id) !== undefined) {
        throw new StoreError("conflict", `audience.id: audience ${id} is already registered`, {
          field: "audience.id",
        });
      }
      return this.db
        .insert(schema.audiences)
        .values({ id, secretHash, name, createdAt: at })
        .returning()
        .get();
    });
  }

  getAudience(id: string): AudienceRecord | undefined {
    if (typeof id !== "string") return undefined;
    return this.db.select().from(schema.audiences).where(eq(schema.audiences.id, id)).get();
  }

  // settings -----------------------------------------------------------------------------------

  getSetting(key: string): string | undefined {
    if (typeof key !== "string") return undefined;
    return this.db.select().from(schema.settings).where(eq(schema.settings.key, key)).get()?.value;
  }

  setSetting(key: string, value: string, at: number): void {
    const name = checkSettingKey(key, "key");
    const text = checkSettingValue(value, "value");
    const updatedAt = checkTime(at, "at");
    this.write(() =>
      this.db
        .insert(schema.settings)
        .values({ key: name, value: text, updatedAt })
        .onConflictDoUpdate({ target: schema.settings.key, set: { value: text, updatedAt } })
        .run(),
    );
  }

  // lifecycle ----------------------------------------------------------------------------------

  health(): StoreHealth {
    const one = this.database.prepare<[], { one: number }>("select 1 as one").get();
    const journalMode = String(this.database.pragma("journal_mode", { simple: true }));
    const level = Number(this.database.pragma("synchronous", { simple: true }));
    const synchronous = SYNCHRONOUS_NAMES[level] ?? "FULL";
    const isFile = this.database.name !== ":memory:" && this.database.name !== "";
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

  close(): void {
    if (this.database.open) this.database.close();
  }
}

/**
 * Opens the SQLite store at `options.path`: creates the file on first use, applies pending
 * migrations, and refuses a database migrated by newer code (`schema_too_new`).
 *
 * @example
 * const store = openSqliteStore({ path: "./data/baton.db" });
 * try {
 *   store.registerAgent({ id: "agent:planner", jwk, jkt, at: now });
 * } finally {
 *   store.close();
 * }
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return SqliteStore.open(options);
}

/** Reads the migration journal this code ships, for tools that report schema versions. */
export function knownSchemaVersions(): string[] {
  return readMigrationJournal().map((entry) => entry.tag);
}
