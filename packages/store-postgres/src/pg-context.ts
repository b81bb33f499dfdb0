/**
 * What the PostgreSQL store's operations share: the pool, the transaction helpers, and the
 * row-level reads and inserts that several operations need. Internal to this package;
 * `PostgresStore` is the public face.
 *
 * Locks, always taken in this order so two transactions never wait on each other in a circle:
 * the revocation feed head, delegation rows (by depth, then did), agent rows, task rows, and the
 * decision log head last. PostgreSQL still detects any deadlock this order misses and aborts one
 * side; `write` retries it from the start.
 *
 * Decisions (appends and audits) are written when the transaction's writes are done, just before
 * its commit, so the head is always the last lock a transaction takes and is held only across its
 * commit.
 *
 * Group commit keeps that order: the writes of a batch share one transaction, so the batch holds
 * each one's locks until its commit, and a later write's locks may come before an earlier one's
 * in the order. Only the first write of a batch that touches rows may wait for a lock; every later
 * one runs under a 1 ms `lock_timeout` and, when it would wait, is undone to its savepoint and runs
 * first in the next batch. A batch therefore never waits while it holds locks out of order, except
 * for the head at the very end, and whoever holds the head takes no other lock before its commit:
 * no cycle of waits can form.
 */

import type {
  AgentRecord,
  ChainFacts,
  ChainLinkStatus,
  DecisionRecord,
  DelegationRecord,
  LinkFacts,
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
  linkStatuses,
  type NewDelegation,
  newDelegationRecord,
  type StoredDecisionRow,
  type StoredDelegationRow,
  StoreError,
  storedSigningKeyJwk,
  toDecisionRecord,
  toDelegationRecord,
} from "@baton/store/adapter-kit";
import { sha256Base64url } from "@baton/token";
import pg from "pg";

/**
 * A statement each connection prepares once, under its name, and then only binds and executes:
 * the by-key reads and the inserts every request makes. One name, one text, always.
 *
 * Such a statement keeps the generic plan PostgreSQL made for it (the store's connections use
 * generic plans only), from what the planner then believed. On a new database that is tables of a
 * few rows, which it scans rather than probes, and it keeps scanning them as they grow to
 * thousands of rows, until autovacuum next analyzes them (a minute or more later). It also guesses
 * a recursive CTE at ten times its starting rows, so a walk joined back to a table was hashed
 * against the whole of it. So the statements that reach rows by key from a list or a walk do it in
 * a LATERAL subquery keyed by the outer row, with OFFSET 0 so it cannot be flattened into a join:
 * whatever the statistics, that is planned as one index lookup per outer row (see "Plans that
 * stay lookups" in the README).
 */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

/** A statement's text, or a prepared statement. */
export type Statement = string | Prepared;

/** The variants of a by-key read that differ only in their row lock, each prepared under its own name. */
function lockVariants(name: string, text: (lock: string) => string): (lock: string) => Prepared {
  const variants = new Map<string, Prepared>();
  return (lock) => {
    let found = variants.get(lock);
    if (found === undefined) {
      found = { name: lock === "" ? name : `${name}_${lock.replace(/\W+/g, "_")}`, text: text(lock) };
      variants.set(lock, found);
    }
    return found;
  };
}

/** A connection inside one transaction: parameterized queries returning rows. */
export interface Tx {
  rows<T>(statement: Statement, params?: readonly unknown[]): Promise<T[]>;
  row<T>(statement: Statement, params?: readonly unknown[]): Promise<T | undefined>;
}

/** A decision a write appends at its commit; `record` is set once it is written, before the commit. */
export interface DeferredDecision {
  readonly decision: CheckedDecision;
  record: DecisionRecord | undefined;
}

/** The transaction a write runs in: queries, and decisions appended to the log just before commit. */
export interface WriteTx extends Tx {
  /** Queues `decision` for the log; it is chained and written after every write of the transaction. */
  appendAtCommit(decision: CheckedDecision): DeferredDecision;
  /**
   * Undoes every statement this write has run (to its savepoint in a batch, or its whole
   * transaction when it runs alone), releasing the locks they took; the write may run more.
   * After a failed statement, this is what lets it go on.
   */
  undo(): Promise<void>;
}

async function query<T>(
  on: pg.Pool | pg.PoolClient,
  statement: Statement,
  params: readonly unknown[],
): Promise<T[]> {
  const values = params as unknown[];
  const result: pg.QueryResult | pg.QueryResult[] =
    typeof statement === "string"
      ? await on.query(statement, values)
      : await on.query({ name: statement.name, text: statement.text, values });
  // Several statements in one text without parameters (the simple protocol, one round trip) give
  // one result each: the last statement's rows are the answer.
  return (Array.isArray(result) ? (result[result.length - 1] as pg.QueryResult) : result).rows as T[];
}

/** The raw row of an agent. */
export interface AgentRow extends Omit<AgentRecord, "jwk"> {
  readonly jwk: string;
}

/** A row of `decisions` as {@link DECISION_COLUMNS} reads it. */
export type DecisionRow = StoredDecisionRow;

/** Select list for `delegations d`, aliased to the record's field names. */
export const DELEGATION_COLUMNS = `d.did as did, d.parent as parent, d.root as root, d.task as task, d.depth as depth,
  d.from_agent as "from", d.to_agent as "to", d.intent as intent, d.cap as cap, d.aud as aud, d.mdp as mdp,
  d.exp as exp, d.rvi as rvi, d.created_at as "createdAt", d.status as status, d.revoked_at as "revokedAt",
  d.revoke_reason as "revokeReason", d.revoke_cause as "revokeCause", d.revocation_seq as "revocationSeq",
  d.status_list as "statusList", d.status_index as "statusIndex"`;

/** A delegation row as {@link DELEGATION_COLUMNS} returns it: JSON columns still text. */
export type DelegationRow = StoredDelegationRow;

// Read back by the one rule every adapter shares (field by field: a graph walk reads thousands).
export { toDelegationRecord };

/** Select list for `tokens t`, aliased to the record's field names. */
export const TOKEN_COLUMNS = `t.jti as jti, t.did as did, t.version as version, t.supersedes as supersedes,
  t.prf as prf, t.hash as hash, t.iat as iat, t.exp as exp, t.rvl as rvl, t.compact as compact,
  t.recorded_at as "recordedAt"`;

/** Select list for `decisions`, aliased to the record's field names. */
export const DECISION_COLUMNS = `id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons,
  detail, prev_hash as "prevHash", hash, format, reporter, actor_proven as "actorProven", args_digest as "argsDigest", chain`;

/** Select list for `agents`. */
export const AGENT_COLUMNS = `id, jwk, jkt, name, owner, status, created_at as "createdAt", disabled_at as "disabledAt",
  disabled_reason as "disabledReason"`;

/** Select list for `tasks`. */
export const TASK_COLUMNS = `id, intent, hours, root_agent as "rootAgent", root_did as "rootDid", status,
  opened_at as "openedAt", closed_at as "closedAt", close_reason as "closeReason"`;

/** The record of an agent row. */
export function toAgentRecord(row: AgentRow): AgentRecord {
  return { ...row, jwk: JSON.parse(row.jwk) as AgentRecord["jwk"] };
}

/** The record of a task row (hours stored as JSON text). */
export function toTaskRecord(row: Omit<TaskRecord, "hours"> & { hours: string | null }): TaskRecord {
  return { ...row, hours: row.hours === null ? null : (JSON.parse(row.hours) as TaskRecord["hours"]) };
}

/** The record of a signing-key row. */
export function toSigningKeyRecord(row: Omit<SigningKeyRecord, "publicJwk"> & { publicJwk: string }) {
  return { ...row, publicJwk: storedSigningKeyJwk(row.publicJwk) } satisfies SigningKeyRecord;
}

/** SQLSTATEs after which the whole transaction can simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);
/** How often `write` reruns a transaction PostgreSQL aborted as a deadlock or serialization failure. */
const MAX_ATTEMPTS = 8;

function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

/** The store's error for a failed write: StoreErrors pass through; PostgreSQL's key and lock errors get codes. */
export function storeErrorOf(error: unknown): unknown {
  const code = sqlState(error);
  if (code === "23505") {
    return new StoreError("conflict", `a row with the same key already exists (${(error as Error).message})`);
  }
  if (code !== undefined && (RETRYABLE.has(code) || code === "55P03" || code === "57014")) {
    return new StoreError("busy", "other writers held the rows this write needs; retry shortly");
  }
  return error;
}

function txOf(client: pg.PoolClient): Tx {
  return {
    rows: <T>(statement: Statement, params: readonly unknown[] = []) => query<T>(client, statement, params),
    row: async <T>(statement: Statement, params: readonly unknown[] = []) =>
      (await query<T>(client, statement, params))[0],
  };
}

/**
 * One write's view of a transaction. `beforeFirstQuery` runs once, before the write's first
 * statement (a batch opens the write's savepoint there, so a write that only appends decisions
 * costs no round trip of its own). `undo` is what undoes the write's statements; when `reopens`,
 * it ends the transaction, and `beforeFirstQuery` runs again before the next statement.
 */
function writeTxOf(
  client: pg.PoolClient,
  beforeFirstQuery: () => Promise<unknown>,
  undo: { readonly statement: string; readonly reopens: boolean },
): WriteTx & { readonly deferred: DeferredDecision[]; readonly queried: () => boolean } {
  const deferred: DeferredDecision[] = [];
  let opened: Promise<unknown> | undefined;
  const run = async <T>(statement: Statement, params: readonly unknown[]) => {
    opened ??= beforeFirstQuery();
    await opened;
    return query<T>(client, statement, params);
  };
  return {
    deferred,
    queried: () => opened !== undefined,
    undo: async () => {
      if (opened === undefined) return;
      await client.query(undo.statement);
      if (undo.reopens) opened = undefined;
    },
    rows: <T>(statement: Statement, params: readonly unknown[] = []) => run<T>(statement, params),
    row: async <T>(statement: Statement, params: readonly unknown[] = []) =>
      (await run<T>(statement, params))[0],
    appendAtCommit: (decision) => {
      const entry: DeferredDecision = { decision, record: undefined };
      deferred.push(entry);
      return entry;
    },
  };
}

/**
 * Checks a connection out for one transaction. While checked out, a connection the server drops
 * (a restart, a terminated backend) emits `error` outside any query; without a listener that
 * would crash the process. The listener marks it broken, so it is destroyed on release instead of
 * going back to the pool; the query in flight, if any, rejects on its own.
 */
async function checkOut(
  pool: pg.Pool,
): Promise<{ client: pg.PoolClient; release: (broken: boolean) => void }> {
  const client = await pool.connect();
  let dropped = false;
  const onError = () => {
    dropped = true;
  };
  client.on("error", onError);
  return {
    client,
    release: (broken) => {
      client.off("error", onError);
      client.release(broken || dropped);
    },
  };
}

/** A write waiting for the next group commit. */
interface QueuedWrite {
  readonly fn: (tx: WriteTx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Times it was undone for a deadlock or a lock wait and queued again. */
  attempts: number;
  /** Runs no statement of its own (a decision appended at commit): it adds rows, not round trips. */
  readonly appendOnly: boolean;
}

/** Writes one group commit takes at most, so one batch's latency stays bounded. */
const MAX_BATCH = 256;
/**
 * Writes that run statements, per batch, below which waiting writes are not split across
 * connections: each batch costs its own BEGIN, head lock, decision rows and COMMIT.
 */
const MIN_WRITES_PER_SPLIT = 8;
/** How long a batch's later writes may wait for a lock before they are moved to the next batch. */
const LATER_WRITE_LOCK_TIMEOUT = "1ms";
const LOCK_NOT_AVAILABLE = "55P03";

/** Shared state and helpers of one open PostgreSQL store. */
export class PgContext {
  private queued: QueuedWrite[] = [];
  private scheduled = false;
  /** The batches being committed, each on a connection of its own. */
  private readonly inFlight = new Set<Promise<void>>();
  /** How many of those only append decisions. */
  private appendOnlyInFlight = 0;
  /** Without group commit: the writes under way, which `flush` waits for. */
  private readonly inFlightAlone = new Set<Promise<void>>();

  constructor(
    readonly pool: pg.Pool,
    /** Whether writes asked for together share a transaction and a commit (see {@link write}). */
    readonly groupCommit = true,
    /**
     * Batches committed at once: their writes run side by side on their own connections, and
     * only their decisions and commits take turns (on the log head). The rest of the pool serves
     * reads.
     */
    readonly maxBatches = 1,
  ) {}

  /**
   * Runs `fn` in a READ COMMITTED transaction and commits it before the promise settles; `fn`
   * takes the row locks it needs (`FOR UPDATE`, `FOR SHARE`) before reading what its checks
   * depend on, so they still hold at commit. A uniqueness violation that slipped past the
   * explicit checks becomes `conflict`.
   *
   * Group commit: the writes asked for in one event-loop turn, or while `maxBatches` batches were
   * committing, run one after another in one transaction on one connection, each in its own
   * savepoint (a refused write is undone alone), and none is answered before that commit. The
   * decisions of the whole batch are then chained and written together, under one lock of the
   * decision log head held only across that commit: appends from many requests cost one commit
   * and a few statements, not one commit each. A deadlock or serialization failure undoes a write
   * to its savepoint and runs it again in the next batch.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    if (!this.groupCommit) {
      const alone = this.writeAlone(fn);
      const settled = alone.then(
        () => {},
        () => {},
      );
      this.inFlightAlone.add(settled);
      void settled.finally(() => this.inFlightAlone.delete(settled));
      return alone;
    }
    return this.enqueue(fn, false);
  }

  /** Appends `decision` at the next group commit, chained with that commit's other decisions. */
  appendAtNextCommit(decision: CheckedDecision): Promise<DeferredDecision> {
    if (!this.groupCommit) return this.write(async (tx) => tx.appendAtCommit(decision));
    return this.enqueue(async (tx) => tx.appendAtCommit(decision), true);
  }

  private enqueue<T>(fn: (tx: WriteTx) => Promise<T>, appendOnly: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, resolve: resolve as (value: unknown) => void, reject, attempts: 0, appendOnly });
      this.schedule();
    });
  }

  /** Commits every write asked for so far (and those asked for meanwhile); `close` calls it first. */
  async flush(): Promise<void> {
    while (this.queued.length > 0 || this.inFlight.size > 0) {
      if (this.queued.length > 0 && this.inFlight.size < this.maxBatches) this.startBatches();
      await Promise.race(this.inFlight);
    }
    await Promise.all(this.inFlightAlone);
  }

  /** Starts a batch on the next turn of the event loop, so the writes of this turn join it. */
  private schedule(): void {
    if (this.scheduled || this.inFlight.size >= this.maxBatches) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.queued.length > 0 && this.inFlight.size < this.maxBatches) this.startBatches();
    });
  }

  /**
   * Starts the waiting writes as batches on the free connections. A batch runs its writes one
   * after another, a round trip per statement, so many writes that run statements (hops, say)
   * are dealt out over several batches that run side by side; writes that only append a
   * decision cost no round trip and do not justify a commit of their own.
   */
  private startBatches(): void {
    // Waiting appends alone wait for the appends already committing: they would only queue behind
    // them on the log head, in a batch closed too early, where the next batch takes them all.
    if (this.appendOnlyInFlight > 0 && this.queued.every((write) => write.appendOnly)) return;
    const free = this.maxBatches - this.inFlight.size;
    const taken = this.queued.splice(0, MAX_BATCH * free);
    let working = 0;
    for (const write of taken) if (!write.appendOnly) working++;
    const count = Math.min(
      free,
      Math.max(1, Math.ceil(working / MIN_WRITES_PER_SPLIT), Math.ceil(taken.length / MAX_BATCH)),
    );
    const batches: QueuedWrite[][] = Array.from({ length: count }, () => []);
    for (const [index, write] of taken.entries()) (batches[index % count] as QueuedWrite[]).push(write);
    for (const batch of batches) this.startBatch(batch);
  }

  private startBatch(batch: QueuedWrite[]): void {
    const only = batch.length === 1 ? (batch[0] as QueuedWrite) : undefined;
    const appendOnly = batch.every((write) => write.appendOnly);
    if (appendOnly) this.appendOnlyInFlight++;
    const committed = (
      only !== undefined ? this.writeAlone(only.fn).then(only.resolve, only.reject) : this.commitBatch(batch)
    ).finally(() => {
      if (appendOnly) this.appendOnlyInFlight--;
      this.inFlight.delete(committed);
      if (this.queued.length > 0) this.schedule();
    });
    this.inFlight.add(committed);
  }

  /** One write, one transaction: rerun from the start after a deadlock or serialization failure. */
  private async writeAlone<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { client, release } = await checkOut(this.pool);
      let broken = false;
      try {
        // BEGIN goes with the transaction's first statement: its own, or the decision log's lock.
        const tx = writeTxOf(client, () => client.query("begin"), { statement: "rollback", reopens: true });
        const result = await fn(tx);
        await appendDecisionRows(txOf(client), tx.deferred, tx.queried() ? "" : "begin; ");
        if (tx.queried() || tx.deferred.length > 0) await client.query("commit");
        return result;
      } catch (error) {
        try {
          await client.query("rollback");
        } catch {
          broken = true;
        }
        const code = sqlState(error);
        if (code !== undefined && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        throw storeErrorOf(error);
      } finally {
        release(broken);
      }
    }
  }

  /**
   * Runs `batch` in one transaction, each write in a savepoint (opened at its first statement),
   * then chains and writes the decisions of the writes that succeeded, commits, and settles each
   * write. A write undone for a deadlock, a serialization failure or (once the batch holds locks)
   * a lock wait goes back to the front of the queue, to run first in the next batch. If BEGIN, a
   * savepoint, the decisions or COMMIT fail, nothing of the batch is stored and every write of it
   * fails.
   */
  private async commitBatch(batch: readonly QueuedWrite[]): Promise<void> {
    const outcomes: { write: QueuedWrite; ok: boolean; value: unknown }[] = [];
    const again: QueuedWrite[] = [];
    const decisions: DeferredDecision[] = [];
    let checkedOut: Awaited<ReturnType<typeof checkOut>> | undefined;
    try {
      checkedOut = await checkOut(this.pool);
      const { client } = checkedOut;
      let holdsLocks = false;
      // What must run before the next statement (BEGIN, then what the previous write left to
      // close: its savepoint, the lock timeout), sent in one round trip with the next write's
      // savepoint or the decision log's lock; a savepoint still open at COMMIT commits.
      let pending = "begin; ";
      let began = false;
      for (const write of batch) {
        const waitAllowed = !holdsLocks;
        const tx = writeTxOf(client, () => client.query(`${pending}savepoint baton_write`), {
          statement: "rollback to savepoint baton_write",
          reopens: false,
        });
        try {
          const value = await write.fn(tx);
          if (tx.queried()) {
            began = true;
            pending = "release savepoint baton_write; ";
          }
          decisions.push(...tx.deferred);
          outcomes.push({ write, ok: true, value });
        } catch (error) {
          if (tx.queried()) {
            began = true;
            await client.query("rollback to savepoint baton_write");
            pending = "release savepoint baton_write; ";
          }
          const code = sqlState(error);
          const retry =
            code !== undefined && (RETRYABLE.has(code) || (!waitAllowed && code === LOCK_NOT_AVAILABLE));
          if (retry && write.attempts + 1 < MAX_ATTEMPTS) {
            write.attempts++;
            again.push(write);
          } else {
            outcomes.push({ write, ok: false, value: storeErrorOf(error) });
          }
        }
        if (tx.queried() && !holdsLocks) {
          // From here on the batch may hold locks out of the global order: never wait for another.
          holdsLocks = true;
          pending += `set local lock_timeout = '${LATER_WRITE_LOCK_TIMEOUT}'; `;
        }
      }
      if (decisions.length > 0) {
        // The head is last in the lock order and whoever holds it takes nothing else: wait for it.
        const before = holdsLocks ? `${pending}set local lock_timeout to default; ` : pending;
        await appendDecisionRows(txOf(client), decisions, before);
        began = true;
      }
      // A batch whose writes were all refused before their first statement never began.
      if (began) await client.query("commit");
    } catch (error) {
      let broken = true;
      if (checkedOut !== undefined) {
        try {
          await checkedOut.client.query("rollback");
          broken = false;
        } catch {}
        checkedOut.release(broken);
      }
      const failure = storeErrorOf(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    checkedOut.release(false);
    this.queued.unshift(...again);
    for (const { write, ok, value } of outcomes) {
      if (ok) write.resolve(value);
      else write.reject(value);
    }
  }

  /** Runs `fn` in one read-only REPEATABLE READ transaction, so its statements see one snapshot. */
  async read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const { client, release } = await checkOut(this.pool);
    let broken = false;
    try {
      await client.query("begin isolation level repeatable read read only");
      const result = await fn(txOf(client));
      await client.query("commit");
      return result;
    } catch (error) {
      try {
        await client.query("rollback");
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      release(broken);
    }
  }

  /** One statement outside any explicit transaction. */
  async rows<T>(statement: Statement, params: readonly unknown[] = []): Promise<T[]> {
    return query<T>(this.pool, statement, params);
  }

  async row<T>(statement: Statement, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(statement, params))[0];
  }
}

/**
 * Locks the log's head until commit. Plain text without parameters, so what the transaction must
 * run first (its BEGIN, the end of its last write's savepoint) goes in the same round trip.
 */
const LOCK_DECISION_HEAD = `select last_id as "lastId", last_hash as "lastHash" from decision_log_head where singleton = 1 for update`;
/**
 * Every row of an append, their trace-index rows and the new head, in one statement: the rows as
 * a JSON array with the columns' names, the trace index as two arrays.
 */
const APPEND_DECISIONS: Prepared = {
  name: "baton_append_decisions",
  text: `with appended as (
       insert into decisions (id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons,
         detail, prev_hash, hash, format, reporter, actor_proven, args_digest, chain)
       select id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons,
         detail, prev_hash, hash, format, reporter, actor_proven, args_digest, chain
       from json_to_recordset($1::json) as r(id bigint, at bigint, kind text, decision text, task text, did text,
         jti text, agent text, audience text, action text, resource text, reasons text, detail text,
         prev_hash text, hash text, format integer, reporter text, actor_proven boolean, args_digest text,
         chain text)
       order by id
     ), indexed as (
       insert into decision_dids (did, decision_id) select * from unnest($2::text[], $3::bigint[])
       on conflict do nothing
     )
     update decision_log_head set last_id = $4, last_hash = $5 where singleton = 1`,
};

/**
 * Appends a checked decision now, chained to the log's head, and returns it. Locks the head row
 * until commit, so appends from every instance form one chain in commit order; for the writes
 * that need the record inside their transaction (a batch of appends). Others use
 * `tx.appendAtCommit`.
 */
export async function insertDecision(tx: Tx, decision: CheckedDecision): Promise<DecisionRecord> {
  const entry: DeferredDecision = { decision, record: undefined };
  await appendDecisionRows(tx, [entry]);
  return entry.record as DecisionRecord;
}

/**
 * Chains `entries` to the log's head in order and writes them in two round trips whatever their
 * number (the head locked until commit, after `before`; then the rows, their trace-index rows and
 * the new head in one statement), then sets each entry's record. `before` is parameterless SQL
 * the transaction must run first, each statement ended by `;`.
 */
export async function appendDecisionRows(
  tx: Tx,
  entries: readonly DeferredDecision[],
  before = "",
): Promise<void> {
  if (entries.length === 0) return;
  const head = await tx.row<{ lastId: number; lastHash: string }>(`${before}${LOCK_DECISION_HEAD}`);
  if (head === undefined) throw new Error("the decision log head row is missing; the database was altered");
  let { lastId: id, lastHash: prevHash } = head;
  const columns: unknown[] = [];
  const didColumn: string[] = [];
  const idColumn: number[] = [];
  for (const entry of entries) {
    const row: DecisionRowFields = { id: ++id, ...entry.decision, prevHash };
    const hash = decisionHash(row);
    prevHash = hash;
    columns.push({
      id: row.id,
      at: row.at,
      kind: row.kind,
      decision: row.decision,
      task: row.task,
      did: row.did,
      jti: row.jti,
      agent: row.agent,
      audience: row.audience,
      action: row.action,
      resource: row.resource,
      reasons: row.reasons,
      detail: row.detail,
      prev_hash: row.prevHash,
      hash,
      format: row.format,
      reporter: row.reporter,
      actor_proven: row.actorProven === null ? null : Boolean(row.actorProven),
      args_digest: row.argsDigest,
      chain: row.chain,
    });
    for (const did of decisionDids(row)) {
      didColumn.push(did);
      idColumn.push(row.id);
    }
    entry.record = toDecisionRecord({ ...row, hash });
  }
  await tx.rows(APPEND_DECISIONS, [JSON.stringify(columns), didColumn, idColumn, id, prevHash]);
}

/** Queues a write's `audit` decision, when it has one, for its transaction's commit. */
export async function audit(tx: WriteTx, decision: CheckedDecision | null): Promise<void> {
  if (decision !== null) tx.appendAtCommit(decision);
}

const AGENT_BY_ID = lockVariants(
  "baton_agent_by_id",
  (lock) => `select ${AGENT_COLUMNS} from agents where id = $1 ${lock}`,
);
const DELEGATION_BY_DID = lockVariants(
  "baton_delegation_by_did",
  (lock) => `select ${DELEGATION_COLUMNS} from delegations d where d.did = $1 ${lock}`,
);
const TASK_BY_ID = lockVariants(
  "baton_task_by_id",
  (lock) => `select ${TASK_COLUMNS} from tasks where id = $1 ${lock}`,
);
const TOKEN_BY_JTI: Prepared = {
  name: "baton_token_by_jti",
  text: "select 1 as one from tokens where jti = $1",
};
const TOKEN_BY_DID_AND_HASH: Prepared = {
  name: "baton_token_by_did_and_hash",
  text: "select 1 as one from tokens where did = $1 and hash = $2 limit 1",
};
const LATEST_TOKEN: Prepared = {
  name: "baton_latest_token",
  text: `select ${TOKEN_COLUMNS} from tokens t where t.did = $1 order by t.version desc limit 1`,
};

/** The agent row, if registered; `lock` takes a share lock on it until commit. */
export async function findAgent(tx: Tx, id: string, lock = ""): Promise<AgentRow | undefined> {
  return tx.row<AgentRow>(AGENT_BY_ID(lock), [id]);
}

/** The delegation row, if any. */
export async function findDelegation(tx: Tx, did: string, lock = ""): Promise<DelegationRow | undefined> {
  return tx.row<DelegationRow>(DELEGATION_BY_DID(lock), [did]);
}

/** The task row, if any. */
export async function findTask(tx: Tx, id: string, lock = ""): Promise<TaskRecord | undefined> {
  const row = await tx.row<Omit<TaskRecord, "hours"> & { hours: string | null }>(TASK_BY_ID(lock), [id]);
  return row === undefined ? undefined : toTaskRecord(row);
}

/** Whether a token with this `jti` is recorded. */
export async function tokenExists(tx: Tx, jti: string): Promise<boolean> {
  return (await tx.row(TOKEN_BY_JTI, [jti])) !== undefined;
}

/** Whether `did` has a recorded token whose hash is `hash` (what a child's `prf` must name). */
export async function parentTokenWithHash(tx: Tx, did: string, hash: string): Promise<boolean> {
  return (await tx.row(TOKEN_BY_DID_AND_HASH, [did, hash])) !== undefined;
}

/** The newest token version of `did`. */
export async function latestToken(tx: Tx, did: string): Promise<TokenRecord | undefined> {
  return tx.row<TokenRecord>(LATEST_TOKEN, [did]);
}

const INSERT_TOKEN: Prepared = {
  name: "baton_insert_token",
  text: `insert into tokens (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
};

function tokenRecordOf(
  did: string,
  token: CheckedToken,
  version: number,
  supersedes: string | null,
  at: number,
): TokenRecord {
  return {
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
}

/** Inserts a token version and returns its record. Call inside `write`, after the checks. */
export async function insertToken(
  tx: Tx,
  did: string,
  token: CheckedToken,
  version: number,
  supersedes: string | null,
  at: number,
): Promise<TokenRecord> {
  const record = tokenRecordOf(did, token, version, supersedes, at);
  await tx.rows(INSERT_TOKEN, [
    record.jti,
    record.did,
    record.version,
    record.supersedes,
    record.prf,
    record.hash,
    record.iat,
    record.exp,
    record.rvl,
    record.compact,
    record.recordedAt,
  ]);
  return record;
}

/**
 * The columns a new delegation and its first token are inserted with, and their placeholders from
 * `$at` on, in the order {@link newDelegationAndTokenParams} gives the values: the delegation's
 * columns but its root (an expression of the statement's own), then the token's.
 */
const NEW_DELEGATION_COLUMNS = `did, parent, root, task, depth, from_agent, to_agent, intent, cap, aud, mdp, exp, rvi,
         created_at, status_list, status_index`;
const FIRST_TOKEN_COLUMNS = "jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at";
function newDelegationValues(at: number, root: string): string {
  const $ = (i: number) => `$${at + i}`;
  return [$(0), $(1), root, ...Array.from({ length: 13 }, (_, i) => $(i + 2))].join(", ");
}
function firstTokenValues(at: number, did: string): string {
  const $ = (i: number) => `$${at + i}`;
  // Recorded when the delegation is created ($at + 12).
  return [$(15), did, "1", "null", $(16), $(17), $(18), $(19), $(20), $(21), $(12)].join(", ");
}

/** The values for {@link newDelegationValues} and {@link firstTokenValues}: 22 of them. */
function newDelegationAndTokenParams(row: Omit<NewDelegation, "root">, token: TokenRecord): unknown[] {
  return [
    row.did,
    row.parent,
    row.task,
    row.depth,
    row.from,
    row.to,
    row.intent,
    JSON.stringify(row.cap),
    JSON.stringify(row.aud),
    row.mdp,
    row.exp,
    row.rvi,
    row.createdAt,
    row.statusEntry?.list ?? null,
    row.statusEntry?.index ?? null,
    token.jti,
    token.prf,
    token.hash,
    token.iat,
    token.exp,
    token.rvl,
    token.compact,
  ];
}

/**
 * A new delegation and its first token version in one statement (one round trip). The token's
 * foreign key to the delegation is checked at the end of the statement, when both rows exist.
 */
const INSERT_DELEGATION_AND_TOKEN: Prepared = {
  name: "baton_insert_delegation_and_token",
  text: `with delegation as (
       insert into delegations (${NEW_DELEGATION_COLUMNS}) values (${newDelegationValues(1, "$23")})
     )
     insert into tokens (${FIRST_TOKEN_COLUMNS}) values (${firstTokenValues(1, "$1")})`,
};

/**
 * Inserts a live delegation with its first token (version 1, recorded when the delegation is
 * created) and returns both records. Call inside `write`, after the checks.
 */
export async function insertDelegationAndToken(
  tx: Tx,
  row: NewDelegation,
  checkedToken: CheckedToken,
): Promise<{ delegation: DelegationRecord; token: TokenRecord }> {
  const token = tokenRecordOf(row.did, checkedToken, 1, null, row.createdAt);
  await tx.rows(INSERT_DELEGATION_AND_TOKEN, [...newDelegationAndTokenParams(row, token), row.root]);
  return { delegation: newDelegationRecord(row), token };
}

/**
 * Two CTEs: `up`, the walk from the delegation `param` names up to its root, and `path`, every row
 * on it share-locked until commit, with its `distance` from the start. Each row is locked as the
 * nested loop reaches it, root first: the order a cascade locks in. A row changed meanwhile is
 * read again at its latest version.
 */
export function lockedPath(param: string): string {
  return `up(did, parent, distance) as (
         select did, parent, 0 from delegations where did = ${param}
         union all
         select p.did, p.parent, up.distance + 1 from up cross join lateral (
           select did, parent from delegations d where d.did = up.parent offset 0
         ) p
       ),
       path as materialized (
         select locked.*, walked.distance from (select did, distance from up order by distance desc) walked
         cross join lateral (select * from delegations d where d.did = walked.did for share) locked
       )`;
}

/**
 * A hop's two agents, share-locked in id order (each as the loop over the sorted ids reaches it)
 * until commit, so a disable of either waits for this transaction. `gate` is a condition that must
 * hold before the first lock is taken (see {@link HOP_RECORD}).
 */
const hopAgentsLocked = (gate = "") => `agents_locked as materialized (
         select a.* from (select unnest($9::text[]) as id order by 1) wanted
         cross join lateral (select ${AGENT_COLUMNS} from agents where id = wanted.id for share) a${gate}
       )`;

/** What a hop checks besides its parent's row, given the expression that finds `cycleAt`. */
const hopFactColumns = (
  cycleAt: string,
) => `(select coalesce(json_agg(a), '[]'::json) from agents_locked a) as agents,
       exists (select 1 from delegations where did = $1) as "delegationExists",
       exists (select 1 from tokens where jti = $2) as "jtiExists",
       exists (select 1 from tokens where did = $3 and hash = $4) as "prfRecorded",
       ${cycleAt} as "cycleAt",
       (select row_to_json(t) from (select ${TASK_COLUMNS} from tasks where id = $6) t) as "taskRow",
       (select allocated from status_lists where list = $7) as allocated,
       exists (select 1 from delegations where status_list = $7 and status_index = $8) as "entryTaken"`;

/**
 * Everything a hop checks besides its path, in one round trip, read after the path is locked: both
 * agents (locked as {@link hopAgentsLocked} says); whether its `did` and `jti` are taken, whether
 * the parent has a token hashed `prf`, the first row on the parent's path that the receiving agent
 * holds (a cycle: the walk up from the parent), the task, and its status list entry's facts (as
 * {@link statusEntryFacts} reads them). The plain reads share the statement's snapshot, taken
 * before any wait for an agent's lock: none of them is something such a wait could let change under
 * the hop (edges and token versions never change, a taken id or entry fails the insert, and a
 * cascade through the task must first get the path's locks, which the hop holds).
 */
export const HOP_FACTS: Prepared = {
  name: "baton_hop_facts",
  text: `with ${hopAgentsLocked()}
       select ${hopFactColumns(`(with recursive up(did, parent, to_agent, distance) as (
          select did, parent, to_agent, 0 from delegations where did = $3
          union all
          select p.did, p.parent, p.to_agent, up.distance + 1 from up cross join lateral (
            select did, parent, to_agent from delegations d where d.did = up.parent offset 0
          ) p
        )
        select did from up where to_agent = $5 order by distance limit 1)`)}`,
};

/**
 * A hop recorded in one statement: the parent's path share-locked root first (as
 * {@link LOCK_PATH} does), then both agents (held back by a gate until the whole path is locked),
 * the facts {@link HOP_FACTS} reads (the cycle found on the locked path), and the new delegation
 * and its first token inserted below the parent, with the parent's root. It returns the parent's
 * row as locked with the facts, or no row when there is no parent (and then inserts nothing).
 *
 * The insert does not wait for the rules: they run on what the statement returns, and a hop they
 * refuse is undone with the rest of its write before anything commits. Every read shares the
 * statement's snapshot, taken before any wait for a lock, which is what {@link HOP_FACTS} relies
 * on too; the one thing a wait for the path could let change, the status of a row on it, is read
 * from the row as locked. Inserts in a WITH run after the query that returns the facts, and their
 * foreign-key checks at the statement's end, so the locks come in the order every write keeps
 * (delegation rows, agents, then the task's key). A taken did, jti or status entry, or an unknown
 * agent or task, fails the statement: the write then undoes it and checks the hop the long way.
 */
export const HOP_RECORD: Prepared = {
  name: "baton_hop_record",
  text: `with recursive ${lockedPath("$3")},
       ${hopAgentsLocked(" where (select count(*) from path) > 0")},
       locked_parent as materialized (select * from path where did = $3),
       inserted as (
         insert into delegations (${NEW_DELEGATION_COLUMNS})
         select ${newDelegationValues(10, "p.root")} from locked_parent p
         returning did
       ),
       token as (
         insert into tokens (${FIRST_TOKEN_COLUMNS}) select ${firstTokenValues(10, "inserted.did")} from inserted
       )
       select ${DELEGATION_COLUMNS},
       ${hopFactColumns("(select did from path where to_agent = $5 order by distance limit 1)")}
       from locked_parent d`,
};

/** What {@link hopFacts} reads. */
export interface HopFacts {
  /** The registered ones of the hop's two agents, by id, share-locked until commit. */
  readonly agents: ReadonlyMap<string, AgentRow>;
  readonly delegationExists: boolean;
  readonly jtiExists: boolean;
  readonly prfRecorded: boolean;
  /** The first delegation on the parent's path held by the receiving agent, if any. */
  readonly cycleAt: string | undefined;
  readonly task: TaskRecord | undefined;
  readonly statusEntry: StatusEntryFacts | undefined;
}

/** What {@link hopFacts} needs to know of a hop. */
export interface HopKeys {
  readonly did: string;
  readonly jti: string;
  readonly parent: string;
  readonly prf: string | null;
  readonly from: string;
  readonly to: string;
  readonly task: string;
  readonly statusEntry: StatusEntry | null;
}

/** The facts' columns as {@link hopFactColumns} returns them. */
interface HopFactsRow {
  agents: AgentRow[];
  delegationExists: boolean;
  jtiExists: boolean;
  prfRecorded: boolean;
  cycleAt: string | null;
  taskRow: (Omit<TaskRecord, "hours"> & { hours: string | null }) | null;
  allocated: number | null;
  entryTaken: boolean;
}

/** The parameters $1 to $9 that {@link HOP_FACTS} and {@link HOP_RECORD} share. */
function hopFactParams(hop: HopKeys): unknown[] {
  return [
    hop.did,
    hop.jti,
    hop.parent,
    hop.prf,
    hop.to,
    hop.task,
    hop.statusEntry?.list ?? null,
    hop.statusEntry?.index ?? null,
    [...new Set([hop.from, hop.to])],
  ];
}

function hopFactsOf(row: HopFactsRow, hop: HopKeys): HopFacts {
  return {
    agents: new Map(row.agents.map((agent) => [agent.id, agent])),
    delegationExists: row.delegationExists,
    jtiExists: row.jtiExists,
    prfRecorded: row.prfRecorded,
    cycleAt: row.cycleAt ?? undefined,
    task: row.taskRow === null ? undefined : toTaskRecord(row.taskRow),
    statusEntry:
      hop.statusEntry === null ? undefined : { allocated: row.allocated ?? undefined, taken: row.entryTaken },
  };
}

/** The facts of a hop from `parent` to `to` (see {@link HOP_FACTS}), in one round trip. */
export async function hopFacts(tx: Tx, hop: HopKeys): Promise<HopFacts> {
  const row = await tx.row<HopFactsRow>(HOP_FACTS, hopFactParams(hop));
  if (row === undefined) throw new Error("a select without from returned no row");
  return hopFactsOf(row, hop);
}

/** What {@link recordHopRow} inserted and read. */
export interface RecordedHopRow {
  /** The parent's row as locked. */
  readonly parent: DelegationRow;
  readonly facts: HopFacts;
  /** The hop's first token, as inserted. */
  readonly token: TokenRecord;
}

/**
 * Runs {@link HOP_RECORD} for `hop` (its columns but `root`, which the statement takes from the
 * parent): the hop and its first token inserted below its parent, and what the rules need to
 * judge it. Undefined when there is no parent, and then nothing was inserted. A statement refused
 * by a key or a constraint rejects, as any statement does.
 */
export async function recordHopRow(
  tx: Tx,
  hop: HopKeys,
  row: Omit<NewDelegation, "root">,
  checkedToken: CheckedToken,
): Promise<RecordedHopRow | undefined> {
  const token = tokenRecordOf(row.did, checkedToken, 1, null, row.createdAt);
  const found = await tx.row<DelegationRow & HopFactsRow>(HOP_RECORD, [
    ...hopFactParams(hop),
    ...newDelegationAndTokenParams(row, token),
  ]);
  return found === undefined ? undefined : { parent: found, facts: hopFactsOf(found, hop), token };
}

const STATUS_LIST_ALLOCATED: Prepared = {
  name: "baton_status_list_allocated",
  text: "select allocated from status_lists where list = $1",
};
const STATUS_ENTRY_TAKEN: Prepared = {
  name: "baton_status_entry_taken",
  text: "select 1 as one from delegations where status_list = $1 and status_index = $2",
};

/** What an issuance naming `entry` needs to know about it; undefined when it names none. */
export async function statusEntryFacts(
  tx: Tx,
  entry: StatusEntry | null,
): Promise<StatusEntryFacts | undefined> {
  if (entry === null) return undefined;
  // No lock: `allocated` only grows, so a reservation racing this read can only make it stricter.
  const list = await tx.row<{ allocated: number }>(STATUS_LIST_ALLOCATED, [entry.list]);
  const taken = await tx.row(STATUS_ENTRY_TAKEN, [entry.list, entry.index]);
  return { allocated: list?.allocated, taken: taken !== undefined };
}

/** A link row with the rest of its task's record, which the query joins anyway. */
interface LinkFactsWithTask extends LinkFacts {
  readonly taskIntent: string;
  readonly taskHours: string | null;
  readonly taskRootAgent: string;
  readonly taskRootDid: string;
  readonly taskOpenedAt: number;
}

/** Each `did`'s delegation joined to its task and both agents (the statement of {@link LINK_STATUS}). */
const LINK_ROWS = `select d.did as did, d.task as task, d.rvi as rvi, d.status as status, d.revoked_at as "revokedAt",
        d.revoke_reason as "revokeReason", d.revocation_seq as "revocationSeq", t.status as "taskStatus",
        t.closed_at as "taskClosedAt", t.close_reason as "taskCloseReason", ta.status as "toStatus",
        ta.disabled_at as "toDisabledAt", ta.disabled_reason as "toDisabledReason", fa.status as "fromStatus",
        fa.disabled_at as "fromDisabledAt", fa.disabled_reason as "fromDisabledReason",
        t.intent as "taskIntent", t.hours as "taskHours", t.root_agent as "taskRootAgent",
        t.root_did as "taskRootDid", t.opened_at as "taskOpenedAt"
      from unnest($1::text[]) as wanted(did)
      cross join lateral (select * from delegations d where d.did = wanted.did offset 0) d
      cross join lateral (select * from tasks t where t.id = d.task offset 0) t
      cross join lateral (select * from agents ta where ta.id = d.to_agent offset 0) ta
      left join lateral (select * from agents fa where fa.id = d.from_agent offset 0) fa on true`;

export const LINK_STATUS: Prepared = { name: "baton_link_status", text: LINK_ROWS };

/**
 * {@link LINK_STATUS} and one agent (`$2`) as JSON, in one statement: a hop's chain and its receiving
 * agent. Always one row at least: with no link found, a row whose link columns are null.
 */
export const LINK_STATUS_AND_AGENT: Prepared = {
  name: "baton_link_status_and_agent",
  text: `select l.*, named.agent as "agentRow"
      from (select (select row_to_json(a) from (select ${AGENT_COLUMNS} from agents where id = $2) a) as agent) named
      left join lateral (${LINK_ROWS}) l on true`,
};

/** The status of each `did`, in the order given, from one indexed query. */
export async function linkStatus(tx: Tx, dids: readonly string[]): Promise<ChainLinkStatus[]> {
  const found = await tx.rows<LinkFacts>(LINK_STATUS, [dids]);
  return linkStatuses(dids, found);
}

/**
 * The link statuses, the first `did`'s task and the last one's `rvi`, from the same single query,
 * and `agent`'s record when one is named.
 */
export async function chainFacts(tx: Tx, dids: readonly string[], agent?: string): Promise<ChainFacts> {
  if (agent === undefined) return chainFactsFrom(dids, await tx.rows<LinkFactsWithTask>(LINK_STATUS, [dids]));
  // With no link found, the one row's link columns are all null.
  type Row = (LinkFactsWithTask | { readonly did: null }) & { readonly agentRow: AgentRow | null };
  const rows = await tx.rows<Row>(LINK_STATUS_AND_AGENT, [dids, agent]);
  const links = rows.filter((row): row is Row & LinkFactsWithTask => row.did !== null);
  const agentRow = rows[0]?.agentRow ?? null;
  return { ...chainFactsFrom(dids, links), agent: agentRow === null ? undefined : toAgentRecord(agentRow) };
}

function chainFactsFrom(dids: readonly string[], found: readonly LinkFactsWithTask[]): ChainFacts {
  return chainFactsOf(dids, found, (row) =>
    toTaskRecord({
      id: row.task,
      intent: row.taskIntent,
      hours: row.taskHours,
      rootAgent: row.taskRootAgent,
      rootDid: row.taskRootDid,
      status: row.taskStatus as TaskRecord["status"],
      openedAt: row.taskOpenedAt,
      closedAt: row.taskClosedAt,
      closeReason: row.taskCloseReason,
    }),
  );
}
