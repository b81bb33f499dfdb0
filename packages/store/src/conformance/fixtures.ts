/**
 * Builders for tests: agents with real Ed25519 keys, and grants and hops that satisfy the store's
 * invariants unless a test overrides a field on purpose.
 */
import { generateKeyPairSync } from "node:crypto";
import {
  type Capability,
  type Ed25519PublicJwk,
  jwkThumbprint,
  randomDelegationId,
  randomId,
  sha256Base64url,
} from "@baton/token";
import type {
  BlastRadius,
  DecisionInput,
  DecisionOutcome,
  DecisionRecord,
  DelegationRecord,
  GrantInput,
  HopInput,
  StatusEntry,
  Store,
} from "../store.ts";

/** The clock every test starts from, in seconds. */
export const T0 = 1_800_000_000;

export const CAP_ALL: readonly Capability[] = [{ act: "*", res: "repo:acme/**" }];
export const CAP_ISSUES: readonly Capability[] = [{ act: "github.issues.*", res: "repo:acme/web/**" }];

/** A fresh Ed25519 public JWK and its thumbprint. */
export function agentKey(): { jwk: Ed25519PublicJwk; jkt: string } {
  const { publicKey } = generateKeyPairSync("ed25519");
  const { x } = publicKey.export({ format: "jwk" });
  const jwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: x ?? "" };
  return { jwk, jkt: jwkThumbprint(jwk) };
}

/** Registers `agent:<name>` for each name and returns the ids, one per name (so a tuple destructures). */
export async function registerAgents<const Names extends readonly string[]>(
  store: Store,
  ...names: Names
): Promise<{ -readonly [K in keyof Names]: string }> {
  const ids: string[] = [];
  for (const name of names) {
    ids.push((await store.registerAgent({ id: `agent:${name}`, ...agentKey(), name, at: T0 })).id);
  }
  return ids as { -readonly [K in keyof Names]: string };
}

/** A stand-in compact JWS: the store keeps tokens opaque, so any three base64url parts do. */
export function fakeCompact(claims: Record<string, unknown>): string {
  const header = Buffer.from('{"alg":"Ed25519","typ":"baton+jwt","kid":"test"}').toString("base64url");
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${header}.${payload}.${Buffer.alloc(64, 1).toString("base64url")}`;
}

/** What a test needs to issue below a recorded delegation. */
export interface Issued {
  readonly did: string;
  readonly jti: string;
  readonly compact: string;
  readonly task: string;
  readonly depth: number;
  readonly mdp: number;
  readonly to: string;
  readonly cap: readonly Capability[];
  readonly aud: readonly string[];
  readonly exp: number;
}

let taskCounter = 0;

/** A grant input to `to` with sensible defaults. */
export function grantInput(
  to: string,
  options: {
    task?: string;
    cap?: readonly Capability[];
    aud?: readonly string[];
    mdp?: number;
    exp?: number;
    at?: number;
    statusEntry?: StatusEntry;
  } = {},
): GrantInput {
  const did = randomDelegationId();
  const jti = randomId();
  const task = options.task ?? `task-${++taskCounter}-${did.slice(0, 6)}`;
  const at = options.at ?? T0;
  const exp = options.exp ?? T0 + 86_400;
  return {
    delegation: {
      did,
      task: { id: task, intent: "triage the web repo's issues" },
      to,
      cap: options.cap ?? CAP_ALL,
      aud: options.aud ?? ["github-tools"],
      mdp: options.mdp ?? 8,
      exp,
      rvi: 3600,
      ...(options.statusEntry === undefined ? {} : { statusEntry: options.statusEntry }),
    },
    token: { jti, compact: fakeCompact({ did, jti, sub: to }), iat: at, exp, rvl: Math.min(at + 3600, exp) },
    at,
  };
}

/** Records a grant and returns what a hop below it needs. */
export async function grant(
  store: Store,
  to: string,
  options: Parameters<typeof grantInput>[1] = {},
): Promise<Issued> {
  const input = grantInput(to, options);
  await store.recordGrant(input);
  const d = input.delegation;
  return {
    did: d.did,
    jti: input.token.jti,
    compact: input.token.compact,
    task: d.task.id,
    depth: 0,
    mdp: d.mdp,
    to,
    cap: d.cap,
    aud: d.aud,
    exp: d.exp,
  };
}

/** A hop input from `parent`'s holder to `to`, inheriting everything it can. */
export function hopInput(
  parent: Issued,
  to: string,
  options: {
    cap?: readonly Capability[];
    aud?: readonly string[];
    mdp?: number;
    exp?: number;
    at?: number;
    statusEntry?: StatusEntry;
  } = {},
): HopInput {
  const did = randomDelegationId();
  const jti = randomId();
  const at = options.at ?? T0;
  const exp = options.exp ?? parent.exp;
  return {
    delegation: {
      did,
      parent: parent.did,
      from: parent.to,
      to,
      task: parent.task,
      cap: options.cap ?? parent.cap,
      aud: options.aud ?? parent.aud,
      mdp: options.mdp ?? Math.max(0, parent.mdp - 1),
      exp,
      depth: parent.depth + 1,
      ...(options.statusEntry === undefined ? {} : { statusEntry: options.statusEntry }),
    },
    token: {
      jti,
      compact: fakeCompact({ did, jti, sub: to, par: parent.did }),
      iat: at,
      exp,
      rvl: Math.min(at + 3600, exp),
      prf: sha256Base64url(parent.compact),
    },
    at,
  };
}

/** Records a hop and returns what a hop below it needs. */
export async function hop(
  store: Store,
  parent: Issued,
  to: string,
  options: Parameters<typeof hopInput>[2] = {},
): Promise<Issued> {
  const input = hopInput(parent, to, options);
  await store.recordHop(input);
  const d = input.delegation;
  return {
    did: d.did,
    jti: input.token.jti,
    compact: input.token.compact,
    task: d.task,
    depth: d.depth,
    mdp: d.mdp,
    to,
    cap: d.cap,
    aud: d.aud,
    exp: d.exp,
  };
}

/** Runs `fn` and returns the `code` of the error it throws (or fails the test if it does not throw). */
export async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    throw error;
  }
  throw new Error("expected the call to throw a StoreError");
}

/** What {@link countRecords} counts. */
export interface RecordCounts {
  readonly tasks: number;
  readonly delegations: number;
  readonly tokens: number;
  readonly decisions: number;
}

/**
 * How many tasks, delegations, tokens and decisions the store holds, read through the port: what a
 * refused write must leave unchanged.
 */
export async function countRecords(store: Store): Promise<RecordCounts> {
  const tasks = await store.listTasks({ limit: 1000 });
  let delegations = 0;
  let tokens = 0;
  for (const task of tasks) {
    for (const delegation of await store.taskTree(task.id)) {
      delegations++;
      tokens += (await store.tokenVersions(delegation.did)).length;
    }
  }
  const decisions = (await allDecisions(store)).length;
  return { tasks: tasks.length, delegations, tokens, decisions };
}

/** Every decision in the log, oldest first, read through the port a page at a time. */
export async function allDecisions(store: Store): Promise<DecisionRecord[]> {
  const all: DecisionRecord[] = [];
  let cursor: number | undefined;
  do {
    const page = await store.queryDecisions({
      limit: 1000,
      order: "oldest",
      ...(cursor === undefined ? {} : { cursor }),
    });
    all.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return all;
}

/** How many decisions of `kind` (and of `outcome`, when given) the log holds. */
export async function countDecisions(store: Store, kind: string, outcome?: DecisionOutcome): Promise<number> {
  return (await allDecisions(store)).filter(
    (decision) => decision.kind === kind && (outcome === undefined || decision.decision === outcome),
  ).length;
}

/**
 * What is wrong with the delegation graph, read through the port only, one sentence per problem;
 * empty when the graph is sound. What a crash or a half-applied write could leave behind:
 *
 * - a delegation without a token version;
 * - a token version whose delegation does not exist;
 * - a hop (depth > 0) without the `delegate` `allow` decision that recorded it;
 * - a revoked delegation without its place in the revocation feed;
 * - a live delegation below a revoked parent.
 *
 * Delegations are found through every task (`listTasks` by status) and every task, `did` and
 * presented chain the decision log names; a token is found through the `did` it belongs to, so a
 * token of a delegation nothing else names cannot be reached through the port.
 */
export async function graphInvariantProblems(store: Store): Promise<string[]> {
  const problems: string[] = [];
  const decisions = await allDecisions(store);
  const taskIds = new Set<string>();
  for (const status of ["open", "completed", "revoked"] as const) {
    for (const task of await store.listTasks({ status, limit: 1000 })) taskIds.add(task.id);
  }
  const namedDids = new Set<string>();
  const recordedHops = new Set<string>();
  for (const decision of decisions) {
    if (decision.task !== null) taskIds.add(decision.task);
    if (decision.did !== null) namedDids.add(decision.did);
    for (const presented of decision.chain ?? []) if (presented.did !== null) namedDids.add(presented.did);
    if (decision.kind === "delegate" && decision.decision === "allow" && decision.did !== null) {
      recordedHops.add(decision.did);
    }
  }
  const delegations = new Map<string, DelegationRecord>();
  for (const task of taskIds) {
    for (const delegation of await store.taskTree(task)) delegations.set(delegation.did, delegation);
  }
  for (const did of namedDids) {
    if (delegations.has(did)) continue;
    const delegation = await store.getDelegation(did);
    if (delegation !== undefined) delegations.set(did, delegation);
    else if ((await store.tokenVersions(did)).length > 0) {
      problems.push(`token of ${did} has no delegation`);
    }
  }
  for (const delegation of delegations.values()) {
    const { did, parent } = delegation;
    if ((await store.tokenVersions(did)).length === 0) problems.push(`delegation ${did} has no token`);
    if (parent !== null && !recordedHops.has(did)) {
      problems.push(`hop ${did} has no delegate allow decision`);
    }
    if (delegation.status === "revoked" && delegation.revocationSeq === null) {
      problems.push(`revoked delegation ${did} has no revocation sequence`);
    }
    if (parent !== null && delegation.status === "live") {
      const parentRecord = delegations.get(parent) ?? (await store.getDelegation(parent));
      if (parentRecord?.status === "revoked") {
        problems.push(`live delegation ${did} is below revoked parent ${parent}`);
      }
    }
  }
  return problems;
}

/** A verify-kind decision about a fresh random did, with every optional member filled in. */
export function decisionInput(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    at: T0,
    kind: "verify",
    decision: "deny",
    task: "task-1",
    did: randomDelegationId(),
    jti: randomId(),
    agent: "agent:bob",
    audience: "github-tools",
    action: "github.issues.create",
    resource: "repo:acme/web/issues",
    reasons: [{ hop: 2, code: "scope_widening", message: "hop 2 asks for more than hop 1 holds" }],
    detail: { method: "POST", path: "/issues", nested: { ok: [1, 2, 3] } },
    ...overrides,
  };
}

/** Text every free-text field must refuse: C0/C1 controls, bidi controls, line separators. */
export const HOSTILE_TEXT = [
  "\u009b2J",
  "\u009d8;;x\u0007",
  "\u202eabc",
  "a\nb",
  "a\tb",
  "\u2066x\u2069",
  "\u2028",
  "\u001b[2J",
];

/** Ill-formed UTF-16: lone surrogates, which SQLite would store as U+FFFD. */
export const ILL_FORMED_TEXT = ["\ud800", "a\udc00", "\udbff\udbff"];

/**
 * An agent's blast radius computed the plain way, from every delegation row: a reference for an
 * adapter's walk (held: its live rows; reachable: every live row below them, each once, that it
 * does not hold; both by depth, then did).
 */
export function referenceBlastRadius(rows: readonly DelegationRecord[], agent: string): BlastRadius {
  const live = rows.filter((row) => row.status === "live");
  const children = new Map<string, DelegationRecord[]>();
  for (const row of live) {
    if (row.parent !== null) children.set(row.parent, [...(children.get(row.parent) ?? []), row]);
  }
  const held = live.filter((row) => row.to === agent);
  const reached = new Map<string, DelegationRecord>();
  const pending = [...held];
  for (let row = pending.pop(); row !== undefined; row = pending.pop()) {
    if (reached.has(row.did)) continue;
    reached.set(row.did, row);
    pending.push(...(children.get(row.did) ?? []));
  }
  const reachable = [...reached.values()].filter((row) => row.to !== agent);
  const byDepthThenDid = (a: DelegationRecord, b: DelegationRecord) =>
    a.depth - b.depth || (a.did < b.did ? -1 : a.did > b.did ? 1 : 0);
  return {
    agent,
    held: held.sort(byDepthThenDid),
    reachable: reachable.sort(byDepthThenDid),
    agents: [...new Set(reachable.map((row) => row.to))].sort(),
    tasks: [...new Set([...held, ...reachable].map((row) => row.task))].sort(),
  };
}
