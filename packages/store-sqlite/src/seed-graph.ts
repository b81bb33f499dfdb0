/**
 * A deterministic generator of realistic delegation graphs, for tests and `bench/`. Each task is
 * a tree grown breadth first from a root grant to a planner agent: a node at depth d gets a
 * number of children drawn uniformly from 0 … 2·fanout·decay^d, so planners fan out widely near
 * the root and chains thin out as they deepen, as real planners' do. Holders are drawn from a
 * shared pool of agents, never one already on the chain (no cycles). Every row satisfies the
 * store's own invariants (attenuated capabilities, mdp, prf links to the parent token), so the
 * store's methods work on a seeded graph exactly as on one built through them.
 *
 * It writes with raw prepared statements in one transaction: a million delegations (and their
 * tokens) is one commit, not a million.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { decisionHash, GENESIS_HASH } from "@baton/store/adapter-kit";
import { type Ed25519PublicJwk, jwkThumbprint, sha256Base64url } from "@baton/token";
import type { SqliteStore } from "./sqlite-store.ts";

/** What to generate. */
export interface SeedGraphOptions {
  /** Total delegations to create, root grants included. */
  readonly delegations: number;
  /** Mean number of children of a root grant. Default 4. */
  readonly fanout?: number;
  /** Deepest hop below a root. Default 6. */
  readonly maxDepth?: number;
  /** How fan-out shrinks per level (mean at depth d = fanout · decay^d). Default 0.7. */
  readonly decay?: number;
  /** Most delegations in one task; a larger budget is spread over more tasks. Default 2000. */
  readonly maxTaskSize?: number;
  /** Size of the agent pool; default delegations / 50, between 8 and 2000. */
  readonly agents?: number;
  /** PRNG seed: the same seed and options give the same graph. Default 1. */
  readonly seed?: number;
  /** Time of every row, in seconds. Default 1,700,000,000. */
  readonly at?: number;
  /** Also write one token per delegation (default true). */
  readonly tokens?: boolean;
  /** Also append this many hash-chained decisions about random delegations. Default 0. */
  readonly decisions?: number;
}

/** What was generated. */
export interface SeedGraphResult {
  readonly delegations: number;
  readonly tokens: number;
  readonly decisions: number;
  readonly tasks: number;
  /** The agent pool, planners first. */
  readonly agents: readonly string[];
  /** Root grant `did` of every task, in creation order. */
  readonly roots: readonly string[];
  /** Deepest depth reached. */
  readonly deepest: number;
  /** The task with the most delegations. */
  readonly largestTask: { readonly id: string; readonly rootDid: string; readonly size: number };
}

/** sfc32: small, fast, 128-bit state, good enough statistics for ids that must not collide. */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

// Capabilities narrow with depth so every child is covered by its parent.
const CAPS_BY_DEPTH = [
  '[{"act":"*","res":"repo:acme/**"}]',
  '[{"act":"github.*","res":"repo:acme/**"}]',
  '[{"act":"github.issues.*","res":"repo:acme/web/**"}]',
  '[{"act":"github.issues.*","res":"repo:acme/web/issues/**"}]',
] as const;
const AUDIENCES = '["seed-tools"]';
const HEADER = Buffer.from('{"alg":"EdDSA","typ":"baton+jwt","kid":"seed"}').toString("base64url");
const SIGNATURE = Buffer.alloc(64, 7).toString("base64url");
// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

interface Node {
  readonly did: string;
  readonly depth: number;
  readonly holder: string;
  /** Every holder from the root down to this node. */
  readonly chain: readonly string[];
  readonly tokenHash: string;
}

function checkPositive(value: number | undefined, name: string, fallback: number, integer = true): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isSafeInteger(v))) {
    throw new TypeError(`seedGraph: ${name} must be a non-negative ${integer ? "integer" : "number"}`);
  }
  return v;
}

/**
 * Writes a generated graph into `store` in one transaction and says what it wrote. Meant for tests
 * and benchmarks: it trusts itself and bypasses the boundary checks of the `Store` methods.
 *
 * @example
 * const store = openSqliteStore({ path: ":memory:" });
 * const graph = seedGraph(store, { delegations: 10_000, seed: 42 });
 * await store.descendants(graph.roots[0] ?? "");
 */
export function seedGraph(store: SqliteStore, options: SeedGraphOptions): SeedGraphResult {
  const total = checkPositive(options.delegations, "delegations", 0);
  const fanout = checkPositive(options.fanout, "fanout", 4, false);
  const maxDepth = Math.min(checkPositive(options.maxDepth, "maxDepth", 6), 64);
  const decay = checkPositive(options.decay, "decay", 0.7, false);
  const maxTaskSize = Math.max(1, checkPositive(options.maxTaskSize, "maxTaskSize", 2000));
  const agentCount = Math.max(
    2,
    checkPositive(options.agents, "agents", Math.min(2000, Math.max(8, Math.ceil(total / 50)))),
  );
  const seed = checkPositive(options.seed, "seed", 1);
  const at = checkPositive(options.at, "at", 1_700_000_000);
  const withTokens = options.tokens ?? true;
  const decisionCount = checkPositive(options.decisions, "decisions", 0);
  const random = sfc32(seed);
  const uniform = (): number => random() / 0x1_0000_0000;
  const idBytes = Buffer.alloc(16);
  const newId = (): string => {
    for (let i = 0; i < 16; i += 4) idBytes.writeUInt32LE(random(), i);
    return idBytes.toString("base64url");
  };

  const client = store.database;
  const insertAgent = client.prepare(
    "insert or ignore into agents (id, jwk, jkt, name, owner, created_at) values (?, ?, ?, ?, 'seed', ?)",
  );
  const insertTask = client.prepare(
    "insert into tasks (id, intent, root_agent, root_did, opened_at) values (?, ?, ?, ?, ?)",
  );
  const insertDelegation = client.prepare(`insert into delegations
    (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, rvi, created_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 3600, ?)`);
  const insertToken = client.prepare(`insert into tokens
    (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
    values (?, ?, 1, null, ?, ?, ?, ?, ?, ?, ?)`);
  const insertDecision = client.prepare(`insert into decisions
    (id, at, kind, decision, task, did, jti, agent, audience, action, resource, reasons, detail, prev_hash, hash,
      format, reporter)
    values (?, ?, 'verify', ?, ?, ?, null, ?, 'seed-tools', 'github.issues.create', ?, ?, null, ?, ?, 2, 'service')`);
  const insertDecisionDid = client.prepare(
    "insert or ignore into decision_dids (did, decision_id) values (?, ?)",
  );
  const decisionHead = client.prepare<[], { id: number; hash: string }>(
    "select id, hash from decisions order by id desc limit 1",
  );

  const exp = at + 30 * 86_400;
  const rvl = at + 3600;
  const plannerCount = Math.max(1, Math.floor(agentCount / 10));
  const agents: string[] = [];
  const roots: string[] = [];
  const seededDids: string[] = [];
  let created = 0;
  let tokens = 0;
  let taskCount = 0;
  let deepest = 0;
  let largestTask = { id: "", rootDid: "", size: 0 };

  const addNode = (
    did: string,
    task: string,
    root: string,
    parent: Node | undefined,
    holder: string,
  ): Node => {
    const depth = parent === undefined ? 0 : parent.depth + 1;
    const cap = CAPS_BY_DEPTH[Math.min(depth, CAPS_BY_DEPTH.length - 1)];
    insertDelegation.run(
      did,
      parent?.did ?? null,
      root,
      task,
      depth,
      parent?.holder ?? null,
      holder,
      cap,
      AUDIENCES,
      maxDepth - depth,
      exp,
      at,
    );
    let tokenHash = "";
    if (withTokens) {
      const jti = newId();
      const payload = Buffer.from(`{"did":"${did}","jti":"${jti}","tsk":"${task}","dpt":${depth}}`).toString(
        "base64url",
      );
      const compact = `${HEADER}.${payload}.${SIGNATURE}`;
      tokenHash = sha256Base64url(compact);
      insertToken.run(jti, did, parent?.tokenHash ?? null, tokenHash, at, exp, rvl, compact, at);
      tokens++;
    }
    created++;
    if (decisionCount > 0 && seededDids.length < 100_000) seededDids.push(did);
    if (depth > deepest) deepest = depth;
    return {
      did,
      depth,
      holder,
      chain: parent === undefined ? [holder] : [...parent.chain, holder],
      tokenHash,
    };
  };

  const pickHolder = (chain: readonly string[]): string | undefined => {
    // A few tries suffice: the chain is at most maxDepth + 1 agents out of the whole pool.
    for (let attempt = 0; attempt < 8; attempt++) {
      const candidate = agents[Math.floor(uniform() * agents.length)];
      if (candidate !== undefined && !chain.includes(candidate)) return candidate;
    }
    return undefined;
  };

  // Building a secondary index once from sorted data is several times cheaper than updating it
  // row by row with random keys, so a seed that dominates the tables drops those indexes and
  // recreates them from their own stored definitions (the schema ends up byte-for-byte the same).
  const existing = client.prepare<[], { n: number }>("select count(*) as n from delegations").get()?.n ?? 0;
  const rebuildIndexes = total >= 10_000 && total >= existing;
  const cacheSize = client.pragma("cache_size", { simple: true });
  const foreignKeys = client.pragma("foreign_keys", { simple: true });
  // A bigger page cache keeps the random-key B-tree inserts of a large seed in memory.
  client.pragma("cache_size = -2097152");
  // Each row references only rows this generator wrote just before it (or pool agents it wrote or
  // found), so the per-row foreign-key lookups, a sixth of the cost, prove nothing here. The pragma
  // is a no-op inside a caller's transaction, where the checks simply stay on.
  client.pragma("foreign_keys = OFF");
  try {
    client
      .transaction(() => {
        const indexes = rebuildIndexes
          ? client
              .prepare<[], { name: string; sql: string }>(
                `select name, sql from sqlite_master where type = 'index' and sql is not null
                 and tbl_name in ('delegations', 'tokens', 'decisions') order by name`,
              )
              .all()
          : [];
        for (const index of indexes) client.exec(`drop index "${index.name}"`);
        const keyBytes = Buffer.alloc(32);
        for (let i = 0; i < agentCount; i++) {
          for (let j = 0; j < 32; j += 4) keyBytes.writeUInt32LE(random(), j);
          const privateKey = createPrivateKey({
            key: Buffer.concat([PKCS8_ED25519_PREFIX, keyBytes]),
            format: "der",
            type: "pkcs8",
          });
          const { x } = createPublicKey(privateKey).export({ format: "jwk" });
          const jwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: x ?? "" };
          const id = `agent:seed-${seed}-${i < plannerCount ? "planner" : "worker"}-${i}`;
          insertAgent.run(id, JSON.stringify(jwk), jwkThumbprint(jwk), id.slice("agent:".length), at);
          agents.push(id);
        }

        while (created < total) {
          taskCount++;
          const task = `seed-${seed}-task-${taskCount}`;
          const planner = agents[Math.floor(uniform() * plannerCount)] ?? agents[0] ?? "";
          const rootDid = newId();
          // The task row comes first (the root delegation references it) and already names its root.
          insertTask.run(task, `seeded task ${taskCount}`, planner, rootDid, at);
          const rootNode = addNode(rootDid, task, rootDid, undefined, planner);
          roots.push(rootNode.did);
          const queue: Node[] = [rootNode];
          let size = 1;
          for (let head = 0; head < queue.length && created < total && size < maxTaskSize; head++) {
            const node = queue[head];
            if (node === undefined || node.depth >= maxDepth) continue;
            const mean = fanout * decay ** node.depth;
            // A planner that was granted a task delegates at least once; below it, leaves are common.
            const drawn = Math.floor(uniform() * (2 * mean + 1));
            const children = node.depth === 0 ? Math.max(1, drawn) : drawn;
            for (let i = 0; i < children && created < total && size < maxTaskSize; i++) {
              const holder = pickHolder(node.chain);
              if (holder === undefined) continue;
              queue.push(addNode(newId(), task, rootDid, node, holder));
              size++;
            }
          }
          if (size > largestTask.size) largestTask = { id: task, rootDid: rootNode.did, size };
        }

        if (decisionCount > 0) {
          const head = decisionHead.get();
          let prevHash = head?.hash ?? GENESIS_HASH;
          let id = head?.id ?? 0;
          for (let i = 0; i < decisionCount; i++) {
            id++;
            const did = seededDids[Math.floor(uniform() * seededDids.length)] ?? null;
            const allow = uniform() < 0.9;
            const reasons = allow
              ? "[]"
              : '[{"hop":null,"code":"action_not_permitted","message":"seeded deny"}]';
            const row = {
              id,
              at,
              kind: "verify",
              decision: allow ? "allow" : "deny",
              task: null,
              did,
              jti: null,
              agent: null,
              audience: "seed-tools",
              action: "github.issues.create",
              resource: `repo:acme/web/issues/${i}`,
              reasons,
              detail: null,
              prevHash,
              format: 2,
              reporter: "service",
              actorProven: null,
              argsDigest: null,
              chain: null,
            };
            const hash = decisionHash(row);
            insertDecision.run(id, at, row.decision, null, did, null, row.resource, reasons, prevHash, hash);
            if (did !== null) insertDecisionDid.run(did, id);
            prevHash = hash;
          }
        }
        for (const index of indexes) client.exec(index.sql);
      })
      .immediate();
  } finally {
    client.pragma(`cache_size = ${Number(cacheSize)}`);
    client.pragma(`foreign_keys = ${Number(foreignKeys) === 1 ? "ON" : "OFF"}`);
  }

  return {
    delegations: created,
    tokens,
    decisions: decisionCount,
    tasks: taskCount,
    agents,
    roots,
    deepest,
    largestTask,
  };
}
