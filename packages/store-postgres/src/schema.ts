/**
 * The delegation graph as drizzle schema for PostgreSQL: the same tables and constraints as the
 * SQLite adapter's, plus two single-row "head" tables that serialize what must be one sequence
 * across every instance sharing the database (see the package README, "Concurrency").
 * `drizzle-kit generate` turns this file into the SQL migrations under `../drizzle/`; the store
 * applies them at open. Every time is integer seconds since the epoch (bigint, read as a number).
 * JSON columns are text holding the exact JSON written, as on SQLite: the decision log hashes
 * that text, so it must read back byte for byte.
 */

import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** Seconds since the epoch (or a count), beyond 2038, read back as a JavaScript number. */
const seconds = (name: string) => bigint(name, { mode: "number" });

/** Registered agents: a stable id and the Ed25519 key that proves it on every call. */
export const agents = pgTable(
  "agents",
  {
    id: text("id").primaryKey(),
    jwk: text("jwk").notNull(),
    jkt: text("jkt").notNull(),
    name: text("name"),
    owner: text("owner"),
    status: text("status").notNull().default("active"),
    createdAt: seconds("created_at").notNull(),
    disabledAt: seconds("disabled_at"),
    disabledReason: text("disabled_reason"),
  },
  (t) => [
    index("agents_jkt_idx").on(t.jkt),
    index("agents_id_lower_idx").on(sql`lower(${t.id})`),
    check("agents_status_check", sql`${t.status} in ('active', 'disabled')`),
  ],
);

/** Tasks: one unit of work with an intent; opened by its root grant, closed once. */
export const tasks = pgTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    intent: text("intent").notNull(),
    rootAgent: text("root_agent")
      .notNull()
      .references(() => agents.id),
    // No foreign key: the task row is written before its root delegation, in the same transaction.
    rootDid: text("root_did").notNull(),
    // Business hours the grant declared (JSON text), checked at the boundary; null when none.
    hours: text("hours"),
    status: text("status").notNull().default("open"),
    openedAt: seconds("opened_at").notNull(),
    closedAt: seconds("closed_at"),
    closeReason: text("close_reason"),
  },
  (t) => [
    index("tasks_root_agent_idx").on(t.rootAgent),
    index("tasks_opened_idx").on(t.openedAt, t.id),
    check("tasks_status_check", sql`${t.status} in ('open', 'completed', 'revoked')`),
  ],
);

/** Delegations: one row per `did`, the edges of the graph. A root grant has no parent and no `from`. */
export const delegations = pgTable(
  "delegations",
  {
    did: text("did").primaryKey(),
    parent: text("parent").references((): AnyPgColumn => delegations.did),
    root: text("root").notNull(),
    task: text("task")
      .notNull()
      .references(() => tasks.id),
    depth: integer("depth").notNull(),
    fromAgent: text("from_agent").references(() => agents.id),
    toAgent: text("to_agent")
      .notNull()
      .references(() => agents.id),
    intent: text("intent"),
    cap: text("cap").notNull(),
    aud: text("aud").notNull(),
    mdp: integer("mdp").notNull(),
    exp: seconds("exp").notNull(),
    rvi: seconds("rvi"),
    createdAt: seconds("created_at").notNull(),
    status: text("status").notNull().default("live"),
    revokedAt: seconds("revoked_at"),
    revokeReason: text("revoke_reason"),
    // What the revocation was aimed at: `delegation:<did>`, `agent:<id>` or `task:<id>`.
    revokeCause: text("revoke_cause"),
    revocationSeq: seconds("revocation_seq"),
    // Its Token Status List entry (migration 0002): bit `status_index` of list `status_list` is
    // this row's revocation, read straight from `status`; null for a delegation issued without one.
    statusList: integer("status_list"),
    statusIndex: integer("status_index"),
  },
  (t) => [
    index("delegations_parent_idx").on(t.parent),
    uniqueIndex("delegations_status_entry_idx").on(t.statusList, t.statusIndex),
    // A list's set bits, read from the index alone: only revoked rows are in it.
    index("delegations_status_revoked_idx")
      .on(t.statusList, t.statusIndex)
      .where(sql`${t.status} = 'revoked'`),
    index("delegations_task_idx").on(t.task, t.depth),
    index("delegations_from_idx").on(t.fromAgent),
    index("delegations_to_idx").on(t.toAgent),
    uniqueIndex("delegations_revocation_seq_idx").on(t.revocationSeq),
    check("delegations_status_check", sql`${t.status} in ('live', 'revoked')`),
    check("delegations_depth_check", sql`${t.depth} >= 0 and ${t.mdp} >= 0`),
    check(
      "delegations_root_shape_check",
      sql`(${t.depth} = 0 and ${t.parent} is null and ${t.fromAgent} is null) or (${t.depth} > 0 and ${t.parent} is not null and ${t.fromAgent} is not null)`,
    ),
    check(
      "delegations_revoked_check",
      sql`(${t.status} = 'live' and ${t.revocationSeq} is null) or (${t.status} = 'revoked' and ${t.revocationSeq} is not null and ${t.revokedAt} is not null)`,
    ),
  ],
);

/**
 * Token Status Lists opened so far and how many entries of each are reserved. The bits are not
 * kept here: they are the `status` of the delegations holding the entries.
 */
export const statusLists = pgTable(
  "status_lists",
  {
    list: integer("list").primaryKey(),
    allocated: integer("allocated").notNull(),
    createdAt: seconds("created_at").notNull(),
  },
  (t) => [check("status_lists_allocated_check", sql`${t.allocated} >= 0 and ${t.allocated} <= 65536`)],
);

/** Token versions: one row per `jti`. Revalidation adds a version that supersedes the previous one. */
export const tokens = pgTable(
  "tokens",
  {
    jti: text("jti").primaryKey(),
    did: text("did")
      .notNull()
      .references(() => delegations.did),
    version: integer("version").notNull(),
    supersedes: text("supersedes").references((): AnyPgColumn => tokens.jti),
    prf: text("prf"),
    // base64url SHA-256 of `compact`: what a child's `prf` names.
    hash: text("hash").notNull(),
    iat: seconds("iat").notNull(),
    exp: seconds("exp").notNull(),
    rvl: seconds("rvl").notNull(),
    compact: text("compact").notNull(),
    recordedAt: seconds("recorded_at").notNull(),
  },
  (t) => [
    uniqueIndex("tokens_did_version_idx").on(t.did, t.version),
    uniqueIndex("tokens_supersedes_idx").on(t.supersedes),
    index("tokens_did_hash_idx").on(t.did, t.hash),
  ],
);

/**
 * The decision log, append-only and hash-chained. Ids are not a database sequence: each append
 * takes the next id and the previous hash from {@link decisionLogHead} while holding its row lock,
 * so the chain stays one chain whichever instance appends.
 */
export const decisions = pgTable(
  "decisions",
  {
    id: seconds("id").primaryKey(),
    at: seconds("at").notNull(),
    kind: text("kind").notNull(),
    decision: text("decision").notNull(),
    task: text("task"),
    did: text("did"),
    jti: text("jti"),
    agent: text("agent"),
    audience: text("audience"),
    action: text("action"),
    resource: text("resource"),
    // Stored as the exact JSON text that was hashed, so verification never depends on re-serializing.
    reasons: text("reasons").notNull(),
    detail: text("detail"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    format: integer("format").notNull().default(2),
    reporter: text("reporter"),
    actorProven: boolean("actor_proven"),
    argsDigest: text("args_digest"),
    chain: text("chain"),
  },
  (t) => [
    index("decisions_task_idx").on(t.task, t.id),
    index("decisions_agent_idx").on(t.agent, t.id),
    index("decisions_did_idx").on(t.did, t.id),
    check("decisions_decision_check", sql`${t.decision} in ('allow', 'deny', 'step_up')`),
  ],
);

/**
 * The head of the decision log, one row: the highest id ever issued and its hash. Every append
 * locks it (`FOR UPDATE`) until commit, so appends from any instance form one chain; and a tail
 * deleted behind the store's back still leaves `last_id` above the last row (`truncated`).
 */
export const decisionLogHead = pgTable(
  "decision_log_head",
  {
    singleton: integer("singleton").primaryKey(),
    lastId: seconds("last_id").notNull(),
    lastHash: text("last_hash").notNull(),
  },
  (t) => [check("decision_log_head_singleton_check", sql`${t.singleton} = 1`)],
);

/** The delegations a decision is filed under (its `did`, and the presented chain's leaf). */
export const decisionDids = pgTable(
  "decision_dids",
  {
    did: text("did").notNull(),
    decisionId: seconds("decision_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.did, t.decisionId] })],
);

/**
 * The head of the revocation feed, one row: the last sequence number handed out. Every revoking
 * transaction locks it first and holds it until commit, so sequence numbers become visible in
 * the order they were taken: the feed has no gap a follower could read past.
 */
export const revocationFeedHead = pgTable(
  "revocation_feed_head",
  {
    singleton: integer("singleton").primaryKey(),
    lastSeq: seconds("last_seq").notNull(),
  },
  (t) => [check("revocation_feed_head_singleton_check", sql`${t.singleton} = 1`)],
);

/** Step-up approvals requested by policy and decided by an operator. */
export const approvals = pgTable(
  "approvals",
  {
    id: text("id").primaryKey(),
    did: text("did")
      .notNull()
      .references(() => delegations.did),
    agent: text("agent")
      .notNull()
      .references(() => agents.id),
    task: text("task")
      .notNull()
      .references(() => tasks.id),
    action: text("action").notNull(),
    resource: text("resource").notNull(),
    reason: text("reason").notNull(),
    status: text("status").notNull().default("pending"),
    createdAt: seconds("created_at").notNull(),
    expiresAt: seconds("expires_at").notNull(),
    decidedAt: seconds("decided_at"),
    decidedBy: text("decided_by"),
  },
  (t) => [
    index("approvals_did_idx").on(t.did, t.status),
    index("approvals_status_idx").on(t.status, t.createdAt),
    check("approvals_status_check", sql`${t.status} in ('pending', 'approved', 'denied')`),
  ],
);

/** The service's token-signing keys; retired keys stay listed so tokens they signed still verify. */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  publicJwk: text("public_jwk").notNull(),
  privateKeyPkcs8: text("private_key_pkcs8").notNull(),
  createdAt: seconds("created_at").notNull(),
  retiredAt: seconds("retired_at"),
});

/** Tool servers: an audience name and the hash of its bearer secret. */
export const audiences = pgTable("audiences", {
  id: text("id").primaryKey(),
  secretHash: text("secret_hash").notNull(),
  name: text("name"),
  createdAt: seconds("created_at").notNull(),
});

/** Small service settings, such as the operator token hash. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: seconds("updated_at").notNull(),
});
