/**
 * The delegation graph as drizzle schema (DESIGN.md, "Delegation graph"). `drizzle-kit generate`
 * turns this file into the SQL migrations under `../drizzle/`; the store applies them at open.
 * Every time is integer seconds since the epoch, supplied by the caller.
 *
 * The CHECK constraints repeat the boundary validation in the database itself, so a row written by
 * anything other than this package (a hand-run script, a future backend) still cannot hold an
 * impossible status or a negative depth.
 */

import type { TaskHours } from "@baton/store/adapter-kit";
import type { Capability } from "@baton/token";
import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** Registered agents: a stable id and the Ed25519 key that proves it on every call. */
export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    jwk: text("jwk").notNull(),
    jkt: text("jkt").notNull(),
    name: text("name"),
    owner: text("owner"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
    disabledReason: text("disabled_reason"),
  },
  (t) => [
    index("agents_jkt_idx").on(t.jkt),
    check("agents_status_check", sql`${t.status} in ('active', 'disabled')`),
  ],
);

/** Tasks: one unit of work with an intent; opened by its root grant, closed once. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    intent: text("intent").notNull(),
    rootAgent: text("root_agent")
      .notNull()
      .references(() => agents.id),
    // No foreign key: the task row is written before its root delegation, in the same transaction.
    rootDid: text("root_did").notNull(),
    // Business hours the grant declared, for runtime policy; null when it declared none.
    // Checked at the boundary (checkTaskHours) before it is written.
    hours: text("hours", { mode: "json" }).$type<TaskHours>(),
    status: text("status", { enum: ["open", "completed", "revoked"] })
      .notNull()
      .default("open"),
    openedAt: integer("opened_at").notNull(),
    closedAt: integer("closed_at"),
    closeReason: text("close_reason"),
  },
  (t) => [
    index("tasks_root_agent_idx").on(t.rootAgent),
    check("tasks_status_check", sql`${t.status} in ('open', 'completed', 'revoked')`),
  ],
);

/** Delegations: one row per `did`, the edges of the graph. A root grant has no parent and no `from`. */
export const delegations = sqliteTable(
  "delegations",
  {
    did: text("did").primaryKey(),
    parent: text("parent").references((): AnySQLiteColumn => delegations.did),
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
    cap: text("cap", { mode: "json" }).notNull().$type<Capability[]>(),
    aud: text("aud", { mode: "json" }).notNull().$type<string[]>(),
    mdp: integer("mdp").notNull(),
    exp: integer("exp").notNull(),
    // Revalidation interval in seconds, kept so a re-issue can compute rvl = min(now + rvi, exp, parent rvl).
    rvi: integer("rvi"),
    createdAt: integer("created_at").notNull(),
    status: text("status", { enum: ["live", "revoked"] })
      .notNull()
      .default("live"),
    revokedAt: integer("revoked_at"),
    revokeReason: text("revoke_reason"),
    // What the revocation was aimed at: `delegation:<did>`, `agent:<id>` or `task:<id>`.
    revokeCause: text("revoke_cause"),
    revocationSeq: integer("revocation_seq"),
    // Its Token Status List entry (migration 0004): bit `status_index` of list `status_list` is
    // this row's revocation, read straight from `status`; null for a delegation issued without one.
    statusList: integer("status_list"),
    statusIndex: integer("status_index"),
    // The row's number in the graph and its parent's (migration 0006), so graph walks follow
    // integer keys instead of text ids. Never the rowid: VACUUM may renumber rowids. Set by the
    // insert, or by a trigger for a row inserted without them; fixed once set.
    node: integer("node"),
    parentNode: integer("parent_node"),
  },
  (t) => [
    index("delegations_parent_idx").on(t.parent),
    uniqueIndex("delegations_status_entry_idx").on(t.statusList, t.statusIndex),
    uniqueIndex("delegations_node_idx").on(t.node),
    // The blast-radius walk (migration 0006) reads from these two alone: the live rows an agent
    // holds, then the live children of each row reached, by integer keys.
    index("delegations_live_held_idx").on(t.toAgent, t.node).where(sql`${t.status} = 'live'`),
    index("delegations_live_child_nodes_idx").on(t.parentNode, t.node).where(sql`${t.status} = 'live'`),
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
export const statusLists = sqliteTable(
  "status_lists",
  {
    list: integer("list").primaryKey(),
    allocated: integer("allocated").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [check("status_lists_allocated_check", sql`${t.allocated} >= 0 and ${t.allocated} <= 65536`)],
);

/** Token versions: one row per `jti`. Revalidation adds a version that supersedes the previous one. */
export const tokens = sqliteTable(
  "tokens",
  {
    jti: text("jti").primaryKey(),
    did: text("did")
      .notNull()
      .references(() => delegations.did),
    version: integer("version").notNull(),
    supersedes: text("supersedes").references((): AnySQLiteColumn => tokens.jti),
    prf: text("prf"),
    // base64url SHA-256 of `compact`: what a child's `prf` names.
    hash: text("hash").notNull(),
    iat: integer("iat").notNull(),
    exp: integer("exp").notNull(),
    rvl: integer("rvl").notNull(),
    compact: text("compact").notNull(),
    recordedAt: integer("recorded_at").notNull(),
  },
  (t) => [
    uniqueIndex("tokens_did_version_idx").on(t.did, t.version),
    uniqueIndex("tokens_supersedes_idx").on(t.supersedes),
    // No index on `hash` alone (migration 0007): the one read by hash also names the `did`, so
    // tokens_did_version_idx finds it, and each index on a random key costs every hop a page.
  ],
);

/**
 * The decision log, append-only and hash-chained: `hash` covers every field of the row and
 * `prev_hash`, so editing, deleting or reordering rows breaks the chain. AUTOINCREMENT keeps ids
 * from being reused, so a deleted tail still leaves its trace in `sqlite_sequence`.
 */
export const decisions = sqliteTable(
  "decisions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    kind: text("kind").notNull(),
    decision: text("decision", { enum: ["allow", "deny", "step_up"] }).notNull(),
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
    // Format 2 (migration 0003): who decided, whether the actor (`agent`) was proven by a DPoP
    // proof, a digest of the call arguments, and every presented hop with how far it verified.
    // Rows written before keep format 1 and verify under the format-1 serialization. (No CHECK on
    // `format`: adding one would make drizzle-kit rebuild the table, losing its AUTOINCREMENT
    // high-water mark and its append-only triggers.)
    format: integer("format").notNull().default(1),
    reporter: text("reporter"),
    actorProven: integer("actor_proven", { mode: "boolean" }),
    argsDigest: text("args_digest"),
    chain: text("chain"),
  },
  (t) => [
    index("decisions_task_idx").on(t.task, t.id),
    index("decisions_agent_idx").on(t.agent, t.id),
    // No index on `did` (migration 0008): decisions are found by did through `decision_dids`, and
    // each index on a random key costs every recorded hop another page in its commit.
    check("decisions_decision_check", sql`${t.decision} in ('allow', 'deny', 'step_up')`),
  ],
);

/**
 * The delegations a decision is filed under (its `did`, and the leaf `did` of the chain it
 * presented), so a trace finds all decisions of a path by index, however many other decisions the
 * task has. Derived from the hashed row; append-only like the log.
 */
export const decisionDids = sqliteTable(
  "decision_dids",
  {
    did: text("did").notNull(),
    // No foreign key: the index must never stop a row from being read or verified, and the log's
    // own hash chain, not a constraint, is what detects tampering.
    decisionId: integer("decision_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.did, t.decisionId] })],
);

/** Step-up approvals requested by policy and decided by an operator. */
export const approvals = sqliteTable(
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
    status: text("status", { enum: ["pending", "approved", "denied"] })
      .notNull()
      .default("pending"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    decidedAt: integer("decided_at"),
    decidedBy: text("decided_by"),
  },
  (t) => [
    index("approvals_did_idx").on(t.did, t.status),
    index("approvals_status_idx").on(t.status, t.createdAt),
    check("approvals_status_check", sql`${t.status} in ('pending', 'approved', 'denied')`),
  ],
);

/** The service's token-signing keys; retired keys stay listed so tokens they signed still verify. */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  publicJwk: text("public_jwk").notNull(),
  privateKeyPkcs8: text("private_key_pkcs8").notNull(),
  createdAt: integer("created_at").notNull(),
  retiredAt: integer("retired_at"),
});

/** Tool servers: an audience name and the hash of its bearer secret. */
export const audiences = sqliteTable("audiences", {
  id: text("id").primaryKey(),
  secretHash: text("secret_hash").notNull(),
  name: text("name"),
  createdAt: integer("created_at").notNull(),
});

/** Small service settings, such as the operator token hash. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
