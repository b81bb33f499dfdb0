/**
 * What the graph may hold, written once for every adapter. An adapter validates the input with
 * `checkGrant` / `checkHop` / `checkRevalidation` before it opens its transaction, reads the rows
 * the rules need inside it, and calls the matching `…Fits` rule there, so the checks still hold
 * when the write commits. Every refusal is a `StoreError` naming the field to fix.
 */
import { audiencesCover, type Capability, CLAIM_LIMITS, capsCover } from "@baton/token";
import {
  type CheckedDecision,
  type CheckedToken,
  checkAgentId,
  checkAudiences,
  checkAudit,
  checkCapabilities,
  checkCount,
  checkDelegationId,
  checkInterval,
  checkObject,
  checkOptionalText,
  checkTaskHours,
  checkTaskId,
  checkText,
  checkTime,
  checkTokenInput,
  invalidInput,
} from "./input-checks.ts";
import { conflict, jtiTaken, notFound, requireAgent, revoked } from "./rule-errors.ts";
import { checkStatusEntry, type StatusEntryFacts, statusEntryFits } from "./status-list-rules.ts";
import type { AgentRecord, DelegationRecord, StatusEntry, TaskHours, TaskRecord } from "./store.ts";

/** What the rules need to know about an agent. */
type AgentFacts = Pick<AgentRecord, "id" | "status">;

/** The delegation fields every new edge carries, checked. */
interface CheckedEdge {
  readonly did: string;
  readonly to: string;
  readonly cap: Capability[];
  readonly aud: string[];
  readonly mdp: number;
  readonly exp: number;
  readonly rvi: number | null;
  /** The reserved status list entry the token names; null when it names none. */
  readonly statusEntry: StatusEntry | null;
}

/** A root grant, checked: the task it opens, its delegation and first token. */
export interface CheckedGrant extends CheckedEdge {
  readonly task: { readonly id: string; readonly intent: string; readonly hours: TaskHours | null };
  readonly token: CheckedToken;
  readonly at: number;
  readonly audit: CheckedDecision | null;
}

/** Validates a grant's shape and the bounds it sets on itself. */
export function checkGrant(input: unknown): CheckedGrant {
  const value = checkObject(input, "grant");
  const d = checkObject(value.delegation, "grant.delegation");
  const taskInput = checkObject(d.task, "grant.delegation.task");
  const grant: CheckedGrant = {
    did: checkDelegationId(d.did, "grant.delegation.did"),
    task: {
      id: checkTaskId(taskInput.id, "grant.delegation.task.id"),
      intent: checkText(taskInput.intent, "grant.delegation.task.intent"),
      hours:
        taskInput.hours === undefined ? null : checkTaskHours(taskInput.hours, "grant.delegation.task.hours"),
    },
    to: checkAgentId(d.to, "grant.delegation.to"),
    cap: checkCapabilities(d.cap, "grant.delegation.cap"),
    aud: checkAudiences(d.aud, "grant.delegation.aud"),
    mdp: checkCount(d.mdp, "grant.delegation.mdp", CLAIM_LIMITS.maxDepth),
    exp: checkTime(d.exp, "grant.delegation.exp"),
    rvi: d.rvi === undefined ? null : checkInterval(d.rvi, "grant.delegation.rvi"),
    statusEntry: checkStatusEntry(d.statusEntry, "grant.delegation.statusEntry"),
    token: checkTokenInput(value.token, "grant.token", "absent"),
    at: checkTime(value.at, "grant.at"),
    audit: checkAudit(value.audit, "grant.audit"),
  };
  if (d.depth !== undefined && d.depth !== 0)
    throw invalidInput("grant.delegation.depth", "must be 0 on a root grant");
  if (grant.token.exp > grant.exp)
    throw invalidInput("grant.token.exp", "must not be after the delegation's exp");
  return grant;
}

/** What a grant's transaction read: whether its ids are taken, and its holder. */
export interface GrantFacts {
  readonly taskExists: boolean;
  readonly delegationExists: boolean;
  readonly jtiExists: boolean;
  readonly holder: AgentFacts | undefined;
  /** What the transaction read about `statusEntry`; undefined when the grant names none. */
  readonly statusEntry: StatusEntryFacts | undefined;
}

/** A grant opens a new task, under new ids, for a registered active agent. */
export function grantFits(grant: CheckedGrant, facts: GrantFacts): void {
  if (facts.taskExists) {
    throw conflict("grant.delegation.task.id", `task ${grant.task.id} already exists; use a new task id`);
  }
  if (facts.delegationExists)
    throw conflict("grant.delegation.did", `delegation ${grant.did} already exists`);
  if (facts.jtiExists) throw jtiTaken("grant.token.jti", grant.token.jti);
  const holder = requireAgent(facts.holder, grant.to, "grant.delegation.to");
  if (holder.status !== "active") throw revoked("grant.delegation.to", `agent ${grant.to} is disabled`);
  if (grant.statusEntry !== null) {
    statusEntryFits(grant.statusEntry, facts.statusEntry ?? NOT_READ, "grant.delegation.statusEntry");
  }
}

// An adapter that forgot to read the entry's facts refuses the entry rather than doubling it.
const NOT_READ: StatusEntryFacts = { allocated: undefined, taken: true };

/** One hop below a parent, checked. */
export interface CheckedHop extends CheckedEdge {
  readonly parent: string;
  readonly from: string;
  readonly task: string;
  readonly depth: number;
  readonly intent: string | null;
  readonly token: CheckedToken & { readonly prf: string };
  readonly at: number;
  readonly audit: CheckedDecision | null;
}

/** The columns of a delegation about to be recorded, as every adapter inserts them. */
export type NewDelegation = Omit<
  DelegationRecord,
  "status" | "revokedAt" | "revokeReason" | "revokeCause" | "revocationSeq"
>;

/** A root grant's delegation: its own root, depth 0, issued by no agent. */
export function grantDelegation(grant: CheckedGrant): NewDelegation {
  return {
    did: grant.did,
    parent: null,
    root: grant.did,
    task: grant.task.id,
    depth: 0,
    from: null,
    to: grant.to,
    intent: null,
    cap: grant.cap,
    aud: grant.aud,
    mdp: grant.mdp,
    exp: grant.exp,
    rvi: grant.rvi,
    createdAt: grant.at,
    statusEntry: grant.statusEntry,
  };
}

/** A hop's delegation, in the chain whose root grant is `root`. */
export function hopDelegation(hop: CheckedHop, root: string): NewDelegation {
  return {
    did: hop.did,
    parent: hop.parent,
    root,
    task: hop.task,
    depth: hop.depth,
    from: hop.from,
    to: hop.to,
    intent: hop.intent,
    cap: hop.cap,
    aud: hop.aud,
    mdp: hop.mdp,
    exp: hop.exp,
    rvi: hop.rvi,
    createdAt: hop.at,
    statusEntry: hop.statusEntry,
  };
}

/** The record of a delegation just inserted: live, never revoked. */
export function newDelegationRecord(row: NewDelegation): DelegationRecord {
  return {
    ...row,
    status: "live",
    revokedAt: null,
    revokeReason: null,
    revokeCause: null,
    revocationSeq: null,
  };
}

/** Validates a hop's shape and what can be told without the graph (no self-delegation). */
export function checkHop(input: unknown): CheckedHop {
  const value = checkObject(input, "hop");
  const d = checkObject(value.delegation, "hop.delegation");
  const did = checkDelegationId(d.did, "hop.delegation.did");
  const parent = checkDelegationId(d.parent, "hop.delegation.parent");
  const from = checkAgentId(d.from, "hop.delegation.from");
  const to = checkAgentId(d.to, "hop.delegation.to");
  const task = checkTaskId(d.task, "hop.delegation.task");
  const cap = checkCapabilities(d.cap, "hop.delegation.cap");
  const aud = checkAudiences(d.aud, "hop.delegation.aud");
  const mdp = checkCount(d.mdp, "hop.delegation.mdp", CLAIM_LIMITS.maxDepth);
  const exp = checkTime(d.exp, "hop.delegation.exp");
  const depth = checkCount(d.depth, "hop.delegation.depth", CLAIM_LIMITS.maxDepth);
  if (depth === 0)
    throw invalidInput("hop.delegation.depth", "must be at least 1 on a hop (0 is a root grant)");
  const rvi = d.rvi === undefined ? null : checkInterval(d.rvi, "hop.delegation.rvi");
  const intent = checkOptionalText(d.intent, "hop.delegation.intent");
  const statusEntry = checkStatusEntry(d.statusEntry, "hop.delegation.statusEntry");
  const token = checkTokenInput(value.token, "hop.token", "required") as CheckedToken & { prf: string };
  if (token.exp > exp) throw invalidInput("hop.token.exp", "must not be after the delegation's exp");
  const at = checkTime(value.at, "hop.at");
  const audit = checkAudit(value.audit, "hop.audit");
  if (did === parent) throw invalidInput("hop.delegation.did", "must differ from its parent (a cycle)");
  if (from === to) throw invalidInput("hop.delegation.to", "an agent cannot delegate to itself");
  return {
    did,
    parent,
    from,
    to,
    task,
    cap,
    aud,
    mdp,
    exp,
    depth,
    rvi,
    intent,
    statusEntry,
    token,
    at,
    audit,
  };
}

/** What a hop's transaction read about the graph around it. */
export interface HopFacts {
  readonly parent: DelegationRecord | undefined;
  readonly delegationExists: boolean;
  readonly jtiExists: boolean;
  readonly from: AgentFacts | undefined;
  readonly to: AgentFacts | undefined;
  /** The delegation on the parent's path that the receiving agent already holds, if any. */
  readonly cycleAt: string | undefined;
  /** Whether `token.prf` is the hash of a recorded token of the parent. */
  readonly prfRecorded: boolean;
  readonly task: Pick<TaskRecord, "status"> | undefined;
  /** What the transaction read about `statusEntry`; undefined when the hop names none. */
  readonly statusEntry: StatusEntryFacts | undefined;
}

/**
 * A hop fits when it attenuates a live parent: same task, one deeper, from the parent's holder,
 * no wider in capabilities, audiences, depth budget or lifetime, no cycle, linked by `prf` to a
 * token the parent really holds; and the parent, task and both agents are still live.
 */
export function hopFits(hop: CheckedHop, facts: HopFacts): void {
  if (facts.parent === undefined) throw notFound("hop.delegation.parent", `no delegation ${hop.parent}`);
  const parent = facts.parent;
  if (facts.delegationExists) throw conflict("hop.delegation.did", `delegation ${hop.did} already exists`);
  if (facts.jtiExists) throw jtiTaken("hop.token.jti", hop.token.jti);
  const to = requireAgent(facts.to, hop.to, "hop.delegation.to");
  const from = requireAgent(facts.from, hop.from, "hop.delegation.from");

  if (parent.task !== hop.task)
    throw invalidInput("hop.delegation.task", `must equal the parent's task ${parent.task}`);
  if (hop.depth !== parent.depth + 1)
    throw invalidInput("hop.delegation.depth", `must be the parent's depth + 1 (${parent.depth + 1})`);
  if (parent.to !== hop.from)
    throw invalidInput("hop.delegation.from", `must be the parent's holder ${parent.to}`);
  if (parent.mdp < 1 || hop.mdp > parent.mdp - 1)
    throw invalidInput("hop.delegation.mdp", `must be at most the parent's mdp - 1 (${parent.mdp - 1})`);
  if (hop.exp > parent.exp) throw invalidInput("hop.delegation.exp", "must not be after the parent's exp");
  if (capsCover(parent.cap, hop.cap).length > 0)
    throw invalidInput("hop.delegation.cap", "must be covered by the parent's capabilities");
  if (!audiencesCover(parent.aud, hop.aud))
    throw invalidInput("hop.delegation.aud", "must be covered by the parent's audiences");
  if (facts.cycleAt !== undefined) {
    throw invalidInput(
      "hop.delegation.to",
      `${hop.to} already holds ${facts.cycleAt} on this chain: the hop would form a cycle`,
    );
  }
  if (!facts.prfRecorded)
    throw invalidInput("hop.token.prf", "must be the hash of a recorded token of the parent delegation");
  if (hop.statusEntry !== null) {
    statusEntryFits(hop.statusEntry, facts.statusEntry ?? NOT_READ, "hop.delegation.statusEntry");
  }

  // Liveness last: a revocation either committed before this transaction (refused here) or runs
  // after its commit and finds the new hop in the subtree it revokes.
  if (parent.status !== "live") throw revoked("hop.delegation.parent", `delegation ${hop.parent} is revoked`);
  if (facts.task === undefined) throw notFound("hop.delegation.task", `no task ${hop.task}`);
  if (facts.task.status !== "open")
    throw revoked("hop.delegation.task", `task ${hop.task} is ${facts.task.status}`);
  for (const [agent, field] of [
    [from, "hop.delegation.from"],
    [to, "hop.delegation.to"],
  ] as const) {
    if (agent.status !== "active") throw revoked(field, `agent ${agent.id} is disabled`);
  }
}

/** A new token version of an existing delegation, checked. */
export interface CheckedRevalidation {
  readonly did: string;
  readonly token: CheckedToken;
  readonly at: number;
  readonly audit: CheckedDecision | null;
}

export function checkRevalidation(input: unknown): CheckedRevalidation {
  const value = checkObject(input, "revalidation");
  return {
    did: checkDelegationId(value.did, "revalidation.did"),
    token: checkTokenInput(value.token, "revalidation.token", "optional"),
    at: checkTime(value.at, "revalidation.at"),
    audit: checkAudit(value.audit, "revalidation.audit"),
  };
}

/** What a revalidation's transaction read. */
export interface RevalidationFacts {
  readonly delegation: DelegationRecord | undefined;
  readonly jtiExists: boolean;
  /** Whether `token.prf` is the hash of a recorded token of the parent (hops only). */
  readonly prfRecorded: boolean;
  /** The `iat` of the version it supersedes, if any. */
  readonly latestIat: number | undefined;
  /** Why the delegation is not live (revoked, task closed, agent disabled…), if it is not. */
  readonly notLive: string | undefined;
}

/** A re-issue stays inside its delegation, keeps the `prf` link and never goes back in time. */
export function revalidationFits(revalidation: CheckedRevalidation, facts: RevalidationFacts): void {
  const { did, token } = revalidation;
  if (facts.delegation === undefined) throw notFound("revalidation.did", `no delegation ${did}`);
  if (facts.jtiExists) throw jtiTaken("revalidation.token.jti", token.jti);
  if (token.exp > facts.delegation.exp)
    throw invalidInput("revalidation.token.exp", "must not be after the delegation's exp");
  if (facts.delegation.parent === null) {
    if (token.prf !== null) throw invalidInput("revalidation.token.prf", "must be absent on a root grant");
  } else if (token.prf === null) {
    throw invalidInput("revalidation.token.prf", "is required on a hop");
  } else if (!facts.prfRecorded) {
    throw invalidInput(
      "revalidation.token.prf",
      "must be the hash of a recorded token of the parent delegation",
    );
  }
  if (facts.latestIat !== undefined && token.iat < facts.latestIat)
    throw invalidInput("revalidation.token.iat", "must not be before the iat of the version it supersedes");
  if (facts.notLive !== undefined)
    throw revoked("revalidation.did", `delegation ${did} cannot be re-issued (${facts.notLive})`);
}
