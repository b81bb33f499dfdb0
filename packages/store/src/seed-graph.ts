/**
 * A deterministic generator of realistic delegation graphs, for tests and `bench/`, shared by the
 * adapters' seeders (`seedGraph` in `@baton/store-sqlite`, `seedPostgresGraph` in
 * `@baton/store-postgres`) so a seed gives the same graph on every backend. Each task is a tree
 * grown breadth first from a root grant to a planner agent: a node at depth d gets a number of
 * children drawn uniformly from 0 … 2·fanout·decay^d, so planners fan out widely near the root and
 * chains thin out as they deepen, as real planners' do. Holders are drawn from a shared pool of
 * agents, never one already on the chain (no cycles). Every row satisfies the store's own
 * invariants (attenuated capabilities, mdp, prf links to the parent token), so the store's methods
 * work on a seeded graph exactly as on one built through them.
 *
 * It does no I/O: it hands each row to a {@link SeedGraphSink} in an order that respects every
 * foreign key (agents, then per task its row, then its delegations each followed by its token),
 * and the adapter writes them as fast as it can.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { type Ed25519PublicJwk, jwkThumbprint, sha256Base64url, TOKEN_ALG, TOKEN_TYPE } from "@baton/token";
import { decisionHash, GENESIS_HASH } from "./decision-chain.ts";

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

/** An agent row (owner `seed`, active). */
export interface SeedAgentRow {
  readonly id: string;
  readonly jwk: string;
  readonly jkt: string;
  readonly name: string;
  readonly at: number;
}

/** A task row (open). */
export interface SeedTaskRow {
  readonly id: string;
  readonly intent: string;
  readonly rootAgent: string;
  readonly rootDid: string;
  readonly at: number;
}

/** A live delegation row (intent null, rvi 3600). */
export interface SeedDelegationRow {
  readonly did: string;
  readonly parent: string | null;
  readonly root: string;
  readonly task: string;
  readonly depth: number;
  readonly from: string | null;
  readonly to: string;
  readonly cap: string;
  readonly aud: string;
  readonly mdp: number;
  readonly exp: number;
  readonly at: number;
}

/** A token row (version 1, supersedes nothing). */
export interface SeedTokenRow {
  readonly jti: string;
  readonly did: string;
  readonly prf: string | null;
  readonly hash: string;
  readonly iat: number;
  readonly exp: number;
  readonly rvl: number;
  readonly compact: string;
}

/** A `verify` decision of the service about a seeded delegation, chained to the one before. */
export interface SeedDecisionRow {
  readonly id: number;
  readonly at: number;
  readonly decision: "allow" | "deny";
  readonly did: string | null;
  readonly audience: string;
  readonly action: string;
  readonly resource: string;
  readonly reasons: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** One generated row, tagged with its table. */
export type SeedRow =
  | { readonly kind: "agent"; readonly row: SeedAgentRow }
  | { readonly kind: "task"; readonly row: SeedTaskRow }
  | { readonly kind: "delegation"; readonly row: SeedDelegationRow }
  | { readonly kind: "token"; readonly row: SeedTokenRow }
  | { readonly kind: "decision"; readonly row: SeedDecisionRow };

/** Where the generated rows go, in foreign-key order. */
export interface SeedGraphSink {
  agent(row: SeedAgentRow): void;
  task(row: SeedTaskRow): void;
  delegation(row: SeedDelegationRow): void;
  token(row: SeedTokenRow): void;
  decision(row: SeedDecisionRow): void;
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
const HEADER = Buffer.from(JSON.stringify({ alg: TOKEN_ALG, typ: TOKEN_TYPE, kid: "seed" })).toString(
  "base64url",
);
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

/** The options with their defaults applied, checked. */
export function checkSeedGraphOptions(options: SeedGraphOptions) {
  const total = checkPositive(options.delegations, "delegations", 0);
  return {
    total,
    fanout: checkPositive(options.fanout, "fanout", 4, false),
    maxDepth: Math.min(checkPositive(options.maxDepth, "maxDepth", 6), 64),
    decay: checkPositive(options.decay, "decay", 0.7, false),
    maxTaskSize: Math.max(1, checkPositive(options.maxTaskSize, "maxTaskSize", 2000)),
    agentCount: Math.max(
      2,
      checkPositive(options.agents, "agents", Math.min(2000, Math.max(8, Math.ceil(total / 50)))),
    ),
    seed: checkPositive(options.seed, "seed", 1),
    at: checkPositive(options.at, "at", 1_700_000_000),
    withTokens: options.tokens ?? true,
    decisionCount: checkPositive(options.decisions, "decisions", 0),
  };
}

/**
 * Generates the graph `options` describe and hands every row to `sink`. `decisionHead` is the
 * decision log's last id and hash, which seeded decisions chain onto (none: an empty log).
 */
export function generateSeedGraph(
  options: SeedGraphOptions,
  sink: SeedGraphSink,
  decisionHead?: { readonly id: number; readonly hash: string },
): SeedGraphResult {
  const rows = seedGraphRows(options, decisionHead);
  for (let next = rows.next(); ; next = rows.next()) {
    if (next.done === true) return next.value;
    const item = next.value;
    switch (item.kind) {
      case "agent":
        sink.agent(item.row);
        break;
      case "task":
        sink.task(item.row);
        break;
      case "delegation":
        sink.delegation(item.row);
        break;
      case "token":
        sink.token(item.row);
        break;
      case "decision":
        sink.decision(item.row);
        break;
    }
  }
}

/**
 * The rows of the graph `options` describe, one at a time in foreign-key order (an adapter that
 * writes asynchronously pulls them in batches, never holding the whole graph), returning what was
 * generated. `decisionHead` as for {@link generateSeedGraph}.
 */
export function* seedGraphRows(
  options: SeedGraphOptions,
  decisionHead?: { readonly id: number; readonly hash: string },
): Generator<SeedRow, SeedGraphResult, undefined> {
  const { total, fanout, maxDepth, decay, maxTaskSize, agentCount, seed, at, withTokens, decisionCount } =
    checkSeedGraphOptions(options);
  const random = sfc32(seed);
  const uniform = (): number => random() / 0x1_0000_0000;
  const idBytes = Buffer.alloc(16);
  const newId = (): string => {
    for (let i = 0; i < 16; i += 4) idBytes.writeUInt32LE(random(), i);
    return idBytes.toString("base64url");
  };

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

  // The node and its rows (the delegation, then its token when tokens are asked for).
  const addNode = (
    did: string,
    task: string,
    root: string,
    parent: Node | undefined,
    holder: string,
  ): { node: Node; rows: SeedRow[] } => {
    const depth = parent === undefined ? 0 : parent.depth + 1;
    const rows: SeedRow[] = [];
    rows.push({
      kind: "delegation",
      row: {
        did,
        parent: parent?.did ?? null,
        root,
        task,
        depth,
        from: parent?.holder ?? null,
        to: holder,
        cap: CAPS_BY_DEPTH[Math.min(depth, CAPS_BY_DEPTH.length - 1)] as string,
        aud: AUDIENCES,
        mdp: maxDepth - depth,
        exp,
        at,
      },
    });
    let tokenHash = "";
    if (withTokens) {
      const jti = newId();
      const payload = Buffer.from(`{"did":"${did}","jti":"${jti}","tsk":"${task}","dpt":${depth}}`).toString(
        "base64url",
      );
      const compact = `${HEADER}.${payload}.${SIGNATURE}`;
      tokenHash = sha256Base64url(compact);
      rows.push({
        kind: "token",
        row: { jti, did, prf: parent?.tokenHash ?? null, hash: tokenHash, iat: at, exp, rvl, compact },
      });
      tokens++;
    }
    created++;
    if (decisionCount > 0 && seededDids.length < 100_000) seededDids.push(did);
    if (depth > deepest) deepest = depth;
    const node = {
      did,
      depth,
      holder,
      chain: parent === undefined ? [holder] : [...parent.chain, holder],
      tokenHash,
    };
    return { node, rows };
  };

  const pickHolder = (chain: readonly string[]): string | undefined => {
    // A few tries suffice: the chain is at most maxDepth + 1 agents out of the whole pool.
    for (let attempt = 0; attempt < 8; attempt++) {
      const candidate = agents[Math.floor(uniform() * agents.length)];
      if (candidate !== undefined && !chain.includes(candidate)) return candidate;
    }
    return undefined;
  };

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
    yield {
      kind: "agent",
      row: { id, jwk: JSON.stringify(jwk), jkt: jwkThumbprint(jwk), name: id.slice("agent:".length), at },
    };
    agents.push(id);
  }

  while (created < total) {
    taskCount++;
    const task = `seed-${seed}-task-${taskCount}`;
    const planner = agents[Math.floor(uniform() * plannerCount)] ?? agents[0] ?? "";
    const rootDid = newId();
    // The task row comes first (the root delegation references it) and already names its root.
    yield {
      kind: "task",
      row: { id: task, intent: `seeded task ${taskCount}`, rootAgent: planner, rootDid, at },
    };
    const { node: rootNode, rows: rootRows } = addNode(rootDid, task, rootDid, undefined, planner);
    yield* rootRows;
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
        const added = addNode(newId(), task, rootDid, node, holder);
        yield* added.rows;
        queue.push(added.node);
        size++;
      }
    }
    if (size > largestTask.size) largestTask = { id: task, rootDid: rootNode.did, size };
  }

  let prevHash = decisionHead?.hash ?? GENESIS_HASH;
  let id = decisionHead?.id ?? 0;
  for (let i = 0; i < decisionCount; i++) {
    id++;
    const did = seededDids[Math.floor(uniform() * seededDids.length)] ?? null;
    const allow = uniform() < 0.9;
    const reasons = allow ? "[]" : '[{"hop":null,"code":"action_not_permitted","message":"seeded deny"}]';
    const row = {
      id,
      at,
      kind: "verify",
      decision: allow ? ("allow" as const) : ("deny" as const),
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
    yield {
      kind: "decision",
      row: {
        id,
        at,
        decision: row.decision,
        did,
        audience: row.audience,
        action: row.action,
        resource: row.resource,
        reasons,
        prevHash,
        hash,
      },
    };
    prevHash = hash;
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
