/**
 * What the SQLite store's operations share: the connection, its prepared statements, the
 * transaction helpers, and the row-level reads and inserts that several operations need. Internal
 * to this package; `SqliteStore` is the public face.
 */

import type {
  AgentRecord,
  ChainFacts,
  ChainLinkStatus,
  DecisionRecord,
  DelegationRecord,
  SigningKeyRecord,
  StatusEntry,
  StatusEntryFacts,
  TaskRecord,
  TokenRecord,
} from "@baton/store/adapter-kit";
import {
  type CheckedDecision,
  type CheckedToken,
  chainFactsOf,
  type DecisionRowFields,
  decisionDids,
  decisionHash,
  GENESIS_HASH,
  type LinkFacts,
  linkStatuses,
  type NewDelegation,
  newDelegationRecord,
  type StoredDecisionRow,
  StoreError,
  storedSigningKeyJwk,
  toDecisionRecord,
} from "@baton/store/adapter-kit";
import { sha256Base64url } from "@baton/token";
import Database from "better-sqlite3";
import { eq, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import {
  DELEGATION_COLUMNS,
  type DelegationValues,
  delegationFromValues,
  TOKEN_COLUMNS,
} from "./delegation-rows.ts";
import { type GraphWalks, prepareGraphWalks } from "./graph-walks.ts";
import { prepareRevocationCascade, type RevocationCascade } from "./revocation-cascade.ts";
import type * as schema from "./schema.ts";
import { agents, approvals, audiences, settings, tasks } from "./schema.ts";

/** The drizzle database over the store's schema. */
export type Db = BetterSQLite3Database<typeof schema>;
/** A row of `agents` as drizzle reads it. */
export type AgentRow = typeof schema.agents.$inferSelect;
type SigningKeyRow = typeof schema.signingKeys.$inferSelect;
/** A row of `decisions` as {@link DECISION_COLUMNS} reads it. */
export type DecisionRow = StoredDecisionRow;

/** Select list for `decisions`, aliased to the record's field names. */
export const DECISION_COLUMNS = `id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons,
  detail, prev_hash as prevHash, hash, format, reporter, actor_proven as actorProven, args_digest as argsDigest, chain`;

/** The record of an agent row. */
export function toAgentRecord(row: AgentRow): AgentRecord {
  return { ...row, jwk: JSON.parse(row.jwk) as AgentRecord["jwk"] };
}

/** The record of a signing-key row. */
export function toSigningKeyRecord(row: SigningKeyRow): SigningKeyRecord {
  return { ...row, publicJwk: storedSigningKeyJwk(row.publicJwk) };
}

/** The store's error for a failed write: StoreErrors pass through; SQLite's lock and key errors get codes. */
export function storeErrorOf(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === "SQLITE_BUSY" || error.code.startsWith("SQLITE_BUSY_")) {
    return new StoreError("busy", "another writer holds the database lock; retry shortly");
  }
  if (error.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || error.code === "SQLITE_CONSTRAINT_UNIQUE") {
    return new StoreError("conflict", `a row with the same key already exists (${error.message})`);
  }
  return error;
}

/** The prepared statements of the hot paths, prepared once per connection. */
export function prepareStatements(client: Database.Database) {
  return {
    // Read in raw mode (findDelegation names it): no row object from SQLite on the hop path.
    delegationValues: client
      .prepare<[string], DelegationValues>(`select ${DELEGATION_COLUMNS} from delegations d where d.did = ?`)
      .raw(true),
    delegationExists: client.prepare<[string], { one: number }>(
      "select 1 as one from delegations where did = ?",
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
    // The row's node is the largest so far plus one, its parent_node the parent's (migration 0006).
    insertDelegation: client.prepare(`insert into delegations
      (did, parent, root, task, depth, from_agent, to_agent, intent, cap, aud, mdp, exp, rvi, created_at, status_list, status_index,
        node, parent_node)
      values (@did, @parent, @root, @task, @depth, @from, @to, @intent, @cap, @aud, @mdp, @exp, @rvi, @createdAt, @statusList, @statusIndex,
        (select coalesce(max(node), 0) + 1 from delegations), (select node from delegations where did = @parent))`),
    statusListAllocated: client.prepare<[number], { allocated: number }>(
      "select allocated from status_lists where list = ?",
    ),
    newestStatusList: client.prepare<[], { list: number; allocated: number }>(
      "select list, allocated from status_lists order by list desc limit 1",
    ),
    openStatusList: client.prepare<[number, number, number]>(
      "insert into status_lists (list, allocated, created_at) values (?, ?, ?)",
    ),
    setStatusListAllocated: client.prepare<[number, number]>(
      "update status_lists set allocated = ? where list = ?",
    ),
    statusEntryTaken: client.prepare<[number, number], { one: number }>(
      "select 1 as one from delegations where status_list = ? and status_index = ?",
    ),
    revokedStatusIndexes: client.prepare<[number], { idx: number }>(
      "select status_index as idx from delegations where status_list = ? and status = 'revoked'",
    ),
    // Read in raw mode and named in JS (linkFactsOf): a row object per result from SQLite costs
    // more than the query on this hot path (every verify and every hop).
    chainStatus: client
      .prepare<
        [string],
        LinkFactsValues
      >(`select d.did, d.status, d.revoked_at, d.revoke_reason, d.revocation_seq,
        t.status, t.closed_at, t.close_reason, ta.status, ta.disabled_at, ta.disabled_reason,
        fa.status, fa.disabled_at, fa.disabled_reason, d.task, d.rvi
      from delegations d
      join tasks t on t.id = d.task
      join agents ta on ta.id = d.to_agent
      left join agents fa on fa.id = d.from_agent
      where d.did in (select value from json_each(?))`)
      .raw(true),
    // This connection's row changes (rolled back or not) and other connections' commits: see
    // SqliteContext.remembered.
    changeCounters: client
      .prepare<[], readonly [changes: number, dataVersion: number]>(
        "select total_changes(), data_version from pragma_data_version",
      )
      .raw(true),
    // The first counter alone: it reads no table, so it takes no lock (a tenth of a microsecond).
    ownChanges: client.prepare<[], number>("select total_changes()").pluck(),
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
      (id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons, detail, prev_hash, hash,
        format, reporter, actor_proven, args_digest, chain)
      values (@id, @at, @kind, @decision, @task, @did, @jti, @agent, @audience, @action, @resource, @reasons,
        @detail, @prevHash, @hash, @format, @reporter, @actorProven, @argsDigest, @chain)`),
    insertDecisionDid: client.prepare<[string, number]>(
      "insert or ignore into decision_dids (did, decision_id) values (?, ?)",
    ),
    allDecisions: client.prepare<[], DecisionRow>(`select ${DECISION_COLUMNS} from decisions order by id`),
    taskSummaries: client.prepare<
      { status: string | null; limit: number },
      Omit<TaskRecord, "hours"> & {
        hours: string | null;
        liveDelegations: number;
        revokedDelegations: number;
      }
    >(`select t.id as id, t.intent as intent, t.hours as hours, t.root_agent as rootAgent, t.root_did as rootDid, t.status as status,
        t.opened_at as openedAt, t.closed_at as closedAt, t.close_reason as closeReason,
        (select count(*) from delegations d where d.task = t.id and d.status = 'live') as liveDelegations,
        (select count(*) from delegations d where d.task = t.id and d.status = 'revoked') as revokedDelegations
      from tasks t where (@status is null or t.status = @status)
      order by t.opened_at desc, t.id limit @limit`),
  };
}

/** A `chainStatus` row in raw mode: the values of {@link LinkFacts} in its field order. */
type LinkFactsValues = readonly [
  did: string,
  status: string,
  revokedAt: number | null,
  revokeReason: string | null,
  revocationSeq: number | null,
  taskStatus: string,
  taskClosedAt: number | null,
  taskCloseReason: string | null,
  toStatus: string,
  toDisabledAt: number | null,
  toDisabledReason: string | null,
  fromStatus: string | null,
  fromDisabledAt: number | null,
  fromDisabledReason: string | null,
  task: string,
  rvi: number | null,
];

function linkFactsOf(values: LinkFactsValues): LinkFacts {
  return {
    did: values[0],
    status: values[1],
    revokedAt: values[2],
    revokeReason: values[3],
    revocationSeq: values[4],
    taskStatus: values[5],
    taskClosedAt: values[6],
    taskCloseReason: values[7],
    toStatus: values[8],
    toDisabledAt: values[9],
    toDisabledReason: values[10],
    fromStatus: values[11],
    fromDisabledAt: values[12],
    fromDisabledReason: values[13],
    task: values[14],
    rvi: values[15],
  };
}

/**
 * The by-key reads every request makes (the caller's agent, its task, the tool server's audience),
 * built and prepared once: drizzle otherwise rebuilds the SQL and SQLite re-prepares it on every
 * call, which was most of the store's time on the verify path.
 */
function prepareLookups(db: Db) {
  const key = sql.placeholder("key");
  return {
    agent: db.select().from(agents).where(eq(agents.id, key)).prepare(),
    task: db.select().from(tasks).where(eq(tasks.id, key)).prepare(),
    audience: db.select().from(audiences).where(eq(audiences.id, key)).prepare(),
    setting: db.select().from(settings).where(eq(settings.key, key)).prepare(),
    approval: db.select().from(approvals).where(eq(approvals.id, key)).prepare(),
  };
}

/** How many answers {@link SqliteContext.remembered} keeps before starting over. */
const MAX_REMEMBERED_READS = 4096;

/** `value`, with every object and array reachable from it frozen. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** A write waiting for the next group commit, or a read waiting for the next turn. */
interface QueuedWork {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Shared state and helpers of one open SQLite store. */
export class SqliteContext {
  readonly statements: ReturnType<typeof prepareStatements>;
  readonly lookups: ReturnType<typeof prepareLookups>;
  readonly walks: GraphWalks;
  readonly cascade: RevocationCascade;
  /** Prepared decision queries by SQL text: at most 16 filter shapes times 2 orders. */
  readonly decisionQueries = new Map<
    string,
    Database.Statement<[Record<string, string | number>], DecisionRow>
  >();
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private queued: QueuedWork[] = [];
  /** Reads asked for with {@link readInTurn}, answered when the next turn opens. */
  private queuedReads: QueuedWork[] = [];
  /**
   * While a group commit's transaction runs (it holds the write lock, so no one else appends): the
   * decision log's head as this batch left it, so each decision after the first skips reading it.
   * Forgotten whenever a write's savepoint is undone, and when the transaction ends.
   */
  private inBatch = false;
  private batchHead: { readonly id: number; readonly hash: string } | undefined;
  /**
   * Answers of the hot by-key reads outside transactions (a chain's link facts, an agent row),
   * frozen, kept while neither counter of `changeCounters` moves: see {@link remembered}.
   */
  private readonly rememberedReads = new Map<string, unknown>();
  private rememberedChanges = -1;
  private rememberedDataVersion = -1;
  /** Whether this store's turn is open: see {@link scheduleTurn}. */
  private turnScheduled = false;
  private turnOpen = false;
  /** Other connections' commits (`data_version`) as first read in the open turn. */
  private turnDataVersion: number | undefined;

  constructor(
    readonly database: Database.Database,
    readonly db: Db,
    /** Whether writes of one event-loop turn share a commit (see {@link write}). */
    readonly groupCommit = true,
  ) {
    this.statements = prepareStatements(database);
    this.lookups = prepareLookups(db);
    this.walks = prepareGraphWalks(database);
    this.cascade = prepareRevocationCascade(database);
    this.inTransaction = database.transaction((fn: () => unknown) => fn());
  }

  /**
   * Runs `fn` in an IMMEDIATE transaction, committed before the promise settles: the write lock is
   * taken before the first read, so what `fn` checks still holds when it commits. Writes requested
   * in the same turn of the event loop share one transaction and one commit (group commit), each
   * in its own savepoint, so one write's refusal never undoes another's; none is answered before
   * the commit that makes it durable. Lock timeouts become `busy`; a uniqueness violation that
   * slipped past the explicit checks becomes `conflict`.
   */
  write<T>(fn: () => T): Promise<T> {
    if (!this.groupCommit) {
      try {
        return Promise.resolve(this.writeNow(fn));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleTurn();
    });
  }

  /**
   * `read()`, run when this store's next turn opens, so that the reads of requests that arrived
   * together share one look at other connections' commits (see {@link remembered}). In an open
   * turn, inside a transaction, or without group commit, it runs at once.
   */
  readInTurn<T>(read: () => T): Promise<T> {
    if (this.turnOpen || !this.groupCommit || this.database.inTransaction) {
      try {
        return Promise.resolve(read());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.queuedReads.push({ fn: read, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleTurn();
    });
  }

  /**
   * A turn is two immediates queued back to back: the first opens it and answers the queued
   * reads, the second closes it and commits the queued writes. Node runs every immediate queued
   * before its check phase began in that phase, draining promise jobs after each one, and reads no
   * socket until the phase ends. So what runs while the turn is open (the queued reads and every
   * promise job they lead to: the rest of a verify, its decision queued for this turn's commit)
   * serves requests that had all arrived before the turn opened, and one `data_version` read
   * taken in the turn is as fresh for each of them as one taken on its own.
   */
  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.openTurn());
    setImmediate(() => this.closeTurn());
  }

  private openTurn(): void {
    this.turnOpen = true;
    this.answerQueuedReads();
  }

  private closeTurn(): void {
    this.turnOpen = false;
    this.turnDataVersion = undefined;
    this.turnScheduled = false;
    this.flushWrites();
  }

  /** Runs every queued read and settles its promise (also when the store closes). */
  answerQueuedReads(): void {
    const reads = this.queuedReads;
    this.queuedReads = [];
    for (const queued of reads) {
      try {
        queued.resolve(queued.fn());
      } catch (error) {
        queued.reject(error);
      }
    }
  }

  /** `write`, alone and synchronously: for opening the store, before anyone can queue a write. */
  writeNow<T>(fn: () => T): T {
    try {
      return this.inTransaction.immediate(fn) as T;
    } catch (error) {
      throw storeErrorOf(error);
    }
  }

  /** Commits every queued write in one transaction and settles each one's promise. */
  flushWrites(): void {
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    if (batch.length === 1) {
      const only = batch[0] as QueuedWork;
      try {
        only.resolve(this.writeNow(only.fn));
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.inTransaction.immediate(() => {
        this.inBatch = true;
        try {
          for (const queued of batch) {
            try {
              // A transaction function called inside another runs as a savepoint: a throw undoes
              // this write alone (and whatever it appended to the log).
              outcomes.push({ ok: true, value: this.inTransaction(queued.fn) });
            } catch (error) {
              this.batchHead = undefined;
              outcomes.push({ ok: false, error });
            }
          }
        } finally {
          this.inBatch = false;
          this.batchHead = undefined;
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the batch is stored.
      for (const queued of batch) queued.reject(storeErrorOf(error));
      return;
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) queued.resolve(outcome.value);
      else queued.reject(storeErrorOf(outcome?.error));
    });
  }

  /** Runs `fn` in one read transaction, so its statements see one snapshot. */
  read<T>(fn: () => T): T {
    return this.inTransaction.deferred(fn) as T;
  }

  /** Appends a checked decision, chained to the current last row. Call inside `write`. */
  insertDecision(decision: CheckedDecision): DecisionRecord {
    return toDecisionRecord(this.appendDecisionRow(decision));
  }

  /** Appends a write's `audit` decision, when it has one, in the same transaction. */
  audit(decision: CheckedDecision | null): void {
    // Nobody reads an audit's record back: building it (JSON.parse of its detail) was a hot spot.
    if (decision !== null) this.appendDecisionRow(decision);
  }

  /** Writes the row (and its trace-index rows) and returns it as stored, hash included. */
  private appendDecisionRow(decision: CheckedDecision): DecisionRowFields & { readonly hash: string } {
    const head = this.batchHead ?? this.readDecisionHead();
    const id = head.id + 1;
    const row: DecisionRowFields = { id, ...decision, prevHash: head.hash };
    const hash = decisionHash(row);
    const actorProven = row.actorProven === null ? null : row.actorProven ? 1 : 0;
    this.statements.insertDecision.run({ ...row, actorProven, hash });
    for (const did of decisionDids(row)) this.statements.insertDecisionDid.run(did, id);
    if (this.inBatch) this.batchHead = { id, hash };
    return { ...row, hash };
  }

  /** The id the next decision follows and the hash it chains to, read from the file. */
  private readDecisionHead(): { readonly id: number; readonly hash: string } {
    const head = this.statements.decisionHead.get();
    const issued = this.statements.decisionSequence.get()?.seq ?? 0;
    // Never reuse an id, even one whose row has gone: the gap is then visible to verification.
    return { id: Math.max(head?.id ?? 0, issued), hash: head?.hash ?? GENESIS_HASH };
  }

  /** The agent row, if the agent is registered. */
  findAgent(id: string): AgentRow | undefined {
    return this.remembered(`agent\u0000${id}`, () => this.lookups.agent.get({ key: id }));
  }

  /** Inserts a token version and returns its record. Call inside `write`, after the checks. */
  insertToken(
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

  /** Inserts a live delegation and returns its record. Call inside `write`, after the checks. */
  insertDelegation(row: NewDelegation): DelegationRecord {
    const { statusEntry, ...columns } = row;
    this.statements.insertDelegation.run({
      ...columns,
      cap: JSON.stringify(row.cap),
      aud: JSON.stringify(row.aud),
      statusList: statusEntry?.list ?? null,
      statusIndex: statusEntry?.index ?? null,
    });
    return newDelegationRecord(row);
  }

  /** What an issuance naming `entry` needs to know about it; undefined when it names none. */
  statusEntryFacts(entry: StatusEntry | null): StatusEntryFacts | undefined {
    if (entry === null) return undefined;
    return {
      allocated: this.statements.statusListAllocated.get(entry.list)?.allocated,
      taken: this.statements.statusEntryTaken.get(entry.list, entry.index) !== undefined,
    };
  }

  /** The status of each `did`, in the order given, from one indexed query. */
  linkStatus(dids: readonly string[]): ChainLinkStatus[] {
    return linkStatuses(dids, this.linkFacts(dids));
  }

  /** Link statuses, the first `did`'s task and the last one's `rvi`: two statements, one synchronous read. */
  chainFacts(dids: readonly string[]): ChainFacts {
    return this.remembered(`facts\u0000${dids.join("\u0000")}`, () =>
      chainFactsOf(dids, this.linkFacts(dids), (row) => this.findTask(row.task)),
    );
  }

  /**
   * `read()`'s answer, or the one it gave last for `key` if the database has not changed since.
   * Every verify and every hop reads the same chain's facts again, and that read cost more than the
   * rest of the store's work for a verify. "Not changed" is SQLite's own bookkeeping:
   * `total_changes()` counts every row this connection inserted, updated or deleted (trigger rows
   * included, and rows a rollback undid), and `data_version` moves with every commit by another
   * connection, in this process or another. The counters are read before `read()`, so a commit
   * landing in between only makes the next call read again; in an open turn `data_version` is the
   * one the turn read first (see {@link changeCounters}). Inside a transaction nothing is
   * remembered or reused: a read there may see rows a rollback will undo. Answers are frozen, as
   * every caller shares them, and `undefined` is never remembered.
   */
  private remembered<T>(key: string, read: () => T): T {
    if (this.database.inTransaction) return read();
    const [changes, dataVersion] = this.changeCounters();
    if (changes !== this.rememberedChanges || dataVersion !== this.rememberedDataVersion) {
      this.rememberedReads.clear();
      this.rememberedChanges = changes;
      this.rememberedDataVersion = dataVersion;
    } else {
      const known = this.rememberedReads.get(key);
      if (known !== undefined) return known as T;
    }
    const answer = read();
    if (answer !== undefined) {
      if (this.rememberedReads.size >= MAX_REMEMBERED_READS) this.rememberedReads.clear();
      this.rememberedReads.set(key, deepFreeze(answer));
    }
    return answer;
  }

  /**
   * `total_changes()` and `data_version`. Reading `data_version` takes a read lock (two `fcntl`
   * calls, the most of a remembered read's cost), so an open turn reads it once (see
   * {@link scheduleTurn}); `total_changes()` takes no lock and is read every time.
   */
  private changeCounters(): readonly [changes: number, dataVersion: number] {
    if (!this.turnOpen) return this.statements.changeCounters.get() as readonly [number, number];
    if (this.turnDataVersion === undefined) {
      const counters = this.statements.changeCounters.get() as readonly [number, number];
      this.turnDataVersion = counters[1];
      return counters;
    }
    return [this.statements.ownChanges.get() as number, this.turnDataVersion];
  }

  private linkFacts(dids: readonly string[]): LinkFacts[] {
    return this.statements.chainStatus.all(JSON.stringify(dids)).map(linkFactsOf);
  }

  /** The delegation's record, if the `did` is known. */
  findDelegation(did: string): DelegationRecord | undefined {
    const values = this.statements.delegationValues.get(did);
    return values === undefined ? undefined : delegationFromValues(values);
  }

  /** True when a delegation has this `did`. */
  delegationExists(did: string): boolean {
    return this.statements.delegationExists.get(did) !== undefined;
  }

  /** The task row, if any. */
  findTask(id: string): TaskRecord | undefined {
    return this.lookups.task.get({ key: id });
  }
}
