/**
 * The delegation graph as a contract (DESIGN.md, "Delegation graph"): what the token service,
 * the CLI and the inspector may ask of a store. Types only, so it can be imported without
 * better-sqlite3; `SqliteStore` implements it.
 *
 * Conventions: every time is integer seconds since the epoch and is passed in by the caller (the
 * store never reads the clock for data it records). Every write is one transaction, committed
 * before its promise resolves. Expected failures reject with a `StoreError` with a stable code and write
 * nothing. Nullable fields are `null`, never absent, so records serialize to JSON unchanged.
 */
import type { Capability, Ed25519PublicJwk, Reason, ServicePublicJwk, TaskHours } from "@baton/token";
import type { StoreError } from "./store-error.ts";

/** The setting key under which every adapter keeps the revocation feed's epoch. */
export const FEED_EPOCH_SETTING = "revocation_feed_epoch";

// ---------------------------------------------------------------------------------------------
// Records (what the store returns)

/** An agent's state: active agents may hold and make delegations; disabled ones never again. */
export type AgentStatus = "active" | "disabled";

/** A registered agent. */
export interface AgentRecord {
  readonly id: string;
  readonly jwk: Ed25519PublicJwk;
  /** RFC 7638 thumbprint of `jwk`: what `cnf.jkt` binds a token to. */
  readonly jkt: string;
  readonly name: string | null;
  readonly owner: string | null;
  readonly status: AgentStatus;
  readonly createdAt: number;
  readonly disabledAt: number | null;
  readonly disabledReason: string | null;
}

/** `open` until completed or revoked; a closed task never reopens. */
export type TaskStatus = "open" | "completed" | "revoked";

/** A task's declared business hours: the one `TaskHours`, defined in @baton/token's contract. */
export type { TaskHours };

/** A task: one unit of work, opened by its root grant. */
export interface TaskRecord {
  readonly id: string;
  readonly intent: string;
  /** Business hours the grant declared; null when it declared none. */
  readonly hours: TaskHours | null;
  readonly rootAgent: string;
  readonly rootDid: string;
  readonly status: TaskStatus;
  readonly openedAt: number;
  readonly closedAt: number | null;
  readonly closeReason: string | null;
}

/** A task with the size of its tree, as {@link TaskStore.listTasks} returns it. */
export interface TaskSummary extends TaskRecord {
  readonly liveDelegations: number;
  readonly revokedDelegations: number;
}

/** `live` until revoked; revocation is final. */
export type DelegationStatus = "live" | "revoked";

/** One edge of the graph, stable across revalidations. */
export interface DelegationRecord {
  readonly did: string;
  /** The parent's `did`; null on a root grant. */
  readonly parent: string | null;
  /** The root grant's `did` of this chain. */
  readonly root: string;
  readonly task: string;
  readonly depth: number;
  /** The delegating agent; null on a root grant (issued by an operator). */
  readonly from: string | null;
  /** The holder. */
  readonly to: string;
  /** The hop's own statement of purpose, when the delegating agent gave one. */
  readonly intent: string | null;
  readonly cap: readonly Capability[];
  readonly aud: readonly string[];
  readonly mdp: number;
  readonly exp: number;
  /** Revalidation interval in seconds, for re-issuing: rvl = min(now + rvi, exp, parent rvl). */
  readonly rvi: number | null;
  readonly createdAt: number;
  readonly status: DelegationStatus;
  readonly revokedAt: number | null;
  readonly revokeReason: string | null;
  /** What the revocation targeted: `delegation:<did>`, `agent:<id>` or `task:<id>`. */
  readonly revokeCause: string | null;
  /** Position in the revocation feed; null while live. */
  readonly revocationSeq: number | null;
  /** Its entry in a Token Status List; null for a delegation issued without one. */
  readonly statusEntry: StatusEntry | null;
}

/**
 * Entries per status list: 2^16. One list is then 8 KiB of bits at most (about 11 KiB as a
 * signed token even when every bit is random), small enough to re-serve on every revocation and
 * for a verifier to keep many, and 65,536 delegations give each holder a crowd to hide in
 * (draft-ietf-oauth-status-list §12.5 "herd privacy").
 */
export const STATUS_LIST_SIZE = 65_536;

/** A delegation's place in the status lists: entry `index` of list `list`. */
export interface StatusEntry {
  readonly list: number;
  readonly index: number;
}

/** Entries reserved for issuance: `first` to `first + count - 1` of list `list`. */
export interface StatusEntryBlock {
  readonly list: number;
  readonly first: number;
  readonly count: number;
}

/** One status list's bits as the graph holds them now (1 = the delegation is revoked). */
export interface StatusListBits {
  readonly list: number;
  /** Entries in the list: {@link STATUS_LIST_SIZE}. */
  readonly size: number;
  /** How many of its entries have been reserved so far. */
  readonly allocated: number;
  /** `size / 8` bytes, entry 0 in the least significant bit of byte 0. */
  readonly bytes: Uint8Array;
}

/** One issued token version of a delegation. */
export interface TokenRecord {
  readonly jti: string;
  readonly did: string;
  /** 1 for the first issuance, +1 per revalidation. */
  readonly version: number;
  /** The `jti` this version replaced; null for version 1. */
  readonly supersedes: string | null;
  readonly prf: string | null;
  /** base64url SHA-256 of `compact` (what a child's `prf` names). */
  readonly hash: string;
  readonly iat: number;
  readonly exp: number;
  readonly rvl: number;
  readonly compact: string;
  readonly recordedAt: number;
}

/** Why a delegation cannot be used right now. */
export type ChainLinkProblem = "not_found" | "revoked" | "task_closed" | "agent_disabled";

/** The status of one `did` as online verification needs it. */
export type ChainLinkStatus =
  | { readonly did: string; readonly live: true }
  | {
      readonly did: string;
      readonly live: false;
      readonly problem: ChainLinkProblem;
      /** When it was revoked (or its task closed, or its agent disabled), if known. */
      readonly since: number | null;
      readonly reason: string | null;
      readonly revocationSeq: number | null;
    };

/** What online verification reads about a presented chain before the pure verifier runs. */
export interface ChainFacts {
  /** The status of each `did` asked about, in the order given (as {@link RevocationStore.chainStatus}). */
  readonly links: readonly ChainLinkStatus[];
  /** The task of the first `did`'s delegation (the presented root's), when that delegation is recorded. */
  readonly task: TaskRecord | undefined;
  /**
   * The last `did` (the presented leaf) and the revalidation interval recorded for its delegation
   * (`rvi`, null when it has none), which a hop below it defaults its own to; undefined when that
   * delegation is not recorded.
   */
  readonly leaf: { readonly did: string; readonly rvi: number | null } | undefined;
  /**
   * The agent {@link ChainFactsOptions.agent} named, as `getAgent` reads it; undefined when it is
   * not registered or none was named.
   */
  readonly agent?: AgentRecord | undefined;
}

/** What else {@link RevocationStore.chainFacts} reads with a chain's facts. */
export interface ChainFactsOptions {
  /**
   * An agent to read in the same query: a hop's receiving agent, whose key the new token binds.
   * Any string; one that names no agent gives none, as `getAgent` does.
   */
  readonly agent?: string;
}

/** The outcome of a revocation: every `did` newly revoked, in feed order. */
export interface RevocationResult {
  readonly revoked: readonly string[];
  /** The feed's last sequence number after this revocation. */
  readonly lastSeq: number;
}

/** One entry of the revocation feed. */
export interface RevocationFeedItem {
  readonly seq: number;
  readonly did: string;
  readonly at: number;
  readonly reason: string | null;
}

/** A page of the revocation feed. */
export interface RevocationFeedPage {
  /**
   * The identity of this feed's history: a random id created with the database. A follower that
   * meets another epoch is reading another history and must resynchronize from zero (issue 14).
   */
  readonly epoch: string;
  readonly items: readonly RevocationFeedItem[];
  /** Pass as `since` to read the next page; null when this page reached the end of the feed. */
  readonly next: number | null;
  /** The feed's last sequence number when the page was read. */
  readonly head: number;
}

/** allow, deny or step_up (DESIGN.md, "Re-authorizing a chain"). */
export type DecisionOutcome = "allow" | "deny" | "step_up";

/**
 * One reason attached to a decision: the one `Reason` shape, as the log accepts it. Its code is any
 * well-formed code (lowercase letters, digits and `_`; a tool server may report codes of its own),
 * its hop may be omitted (read back as null), and its evidence is at most 4 KiB serialized.
 */
export type DecisionReason = Omit<Reason<string>, "hop"> & { readonly hop?: number | null };

/** One token of a presented chain as a decision records it: what it claims, and whether it verified. */
export interface PresentedHopRecord {
  readonly did: string | null;
  readonly sub: string | null;
  readonly verified: boolean;
}

/** Any JSON value, for a decision's free-form `detail`. */
export type DecisionDetail =
  | null
  | boolean
  | number
  | string
  | readonly DecisionDetail[]
  | { readonly [key: string]: DecisionDetail };

/**
 * Conventional decision kinds. Others are accepted if they match `[a-z][a-z0-9_]*` (at most 32
 * characters), so a new kind of event does not need a store release.
 */
export const DECISION_KINDS = [
  "register",
  "grant",
  "delegate",
  "verify",
  "revalidate",
  "revoke",
  "disable",
  "request_approval",
  "approve",
  "deny_approval",
  "complete",
  "report",
] as const;

/** One entry of the tamper-evident decision log. */
export interface DecisionRecord {
  readonly id: number;
  readonly at: number;
  readonly kind: string;
  readonly decision: DecisionOutcome;
  readonly task: string | null;
  readonly did: string | null;
  readonly jti: string | null;
  readonly agent: string | null;
  readonly audience: string | null;
  readonly action: string | null;
  readonly resource: string | null;
  readonly reasons: readonly DecisionReason[];
  readonly detail: DecisionDetail | null;
  /** 1 for rows written before actor fields existed (their `agent` may name an ancestor), 2 since. */
  readonly format: number;
  /** Who decided and wrote the row: `service`, or `audience:<id>` for a tool server's report. */
  readonly reporter: string | null;
  /** Whether `agent`, the actor, was proven by its DPoP proof; null where there is no agent actor. */
  readonly actorProven: boolean | null;
  /** base64url SHA-256 of the call arguments' canonical JSON, for calls. */
  readonly argsDigest: string | null;
  /** Every token of the presented chain, root first, with how far it verified; null when none. */
  readonly chain: readonly PresentedHopRecord[] | null;
  /** The previous row's `hash`; 64 zeros for the first row. */
  readonly prevHash: string;
  /** Hex SHA-256 over this row's canonical serialization, `prevHash` included. */
  readonly hash: string;
}

/** What became of one input of {@link DecisionStore.appendEachDecision}. */
export type AppendOutcome =
  | { readonly ok: true; readonly record: DecisionRecord }
  | { readonly ok: false; readonly error: StoreError };

/** A page of decisions. */
export interface DecisionPage {
  readonly items: readonly DecisionRecord[];
  /** Pass as `cursor` for the next page; null when there is none. */
  readonly next: number | null;
}

/** What {@link DecisionStore.verifyDecisionLog} found. */
export type DecisionLogVerification =
  | {
      readonly ok: true;
      readonly rows: number;
      /** The last row's hash: anchor it elsewhere to also detect a truncated tail later. */
      readonly headHash: string;
    }
  | {
      readonly ok: false;
      readonly rows: number;
      /** The first row that fails; for a deleted tail, the first missing id. */
      readonly firstBrokenId: number;
      readonly problem: DecisionLogProblem;
      readonly reason: string;
    };

/**
 * How the log is broken: a row's content no longer matches its hash (`hash_mismatch`), its
 * `prevHash` does not name the row before it (`chain_broken`: deleted or reordered rows), an id is
 * missing (`id_gap`), or rows were removed from the end (`truncated`).
 */
export type DecisionLogProblem = "hash_mismatch" | "chain_broken" | "id_gap" | "truncated";

/** pending until an operator decides; decided once. */
export type ApprovalStatus = "pending" | "approved" | "denied";

/** A step-up approval request. */
export interface ApprovalRecord {
  readonly id: string;
  readonly did: string;
  readonly agent: string;
  readonly task: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
  readonly status: ApprovalStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
}

/** One of the service's token-signing keys. */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly publicJwk: ServicePublicJwk;
  /**
   * The Ed25519 private key as stored: sealed under the token service's key-encryption key
   * (`kek1:…`, issue 14), or legacy plaintext base64 PKCS#8 DER, which the service seals on start.
   */
  readonly privateKeyPkcs8: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/** One change of {@link SigningKeyStore.replaceSigningKeyMaterial}: `kid`'s private half from `from` to `to`. */
export interface ReplaceSigningKeyMaterial {
  readonly kid: string;
  readonly from: string;
  readonly to: string;
}

/** A tool server's audience. */
export interface AudienceRecord {
  readonly id: string;
  readonly secretHash: string;
  readonly name: string | null;
  readonly createdAt: number;
}

/**
 * What {@link Store.health} reports. A backend may add facts of its own (the SQLite adapter adds
 * its journal mode and `synchronous` level); callers that serialize the report keep them.
 */
export interface StoreHealth {
  readonly ok: boolean;
  /** Tag of the last applied migration, e.g. `0001_integrity_triggers`. */
  readonly schemaVersion: string;
}

/** One delegation reached by a graph walk, with its depth below the walk's start. */
export interface WalkedDelegation extends DelegationRecord {
  /** 1 for a child of the start, 2 for a grandchild, and so on. */
  readonly distance: number;
}

/** Everything an agent could still reach through live delegations. */
export interface BlastRadius {
  readonly agent: string;
  /** Live delegations the agent holds. */
  readonly held: readonly DelegationRecord[];
  /** Live delegations below those, breadth first. */
  readonly reachable: readonly DelegationRecord[];
  /** Distinct holders of `reachable`, sorted. */
  readonly agents: readonly string[];
  /** Distinct tasks of `held` and `reachable`, sorted. */
  readonly tasks: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** A decision to append, alone or in the same transaction as a write. */
export interface DecisionInput {
  readonly at: number;
  readonly kind: string;
  readonly decision: DecisionOutcome;
  readonly task?: string;
  readonly did?: string;
  readonly jti?: string;
  readonly agent?: string;
  readonly audience?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly reasons: readonly DecisionReason[];
  /** Free-form JSON, at most 16 KiB serialized. */
  readonly detail?: DecisionDetail;
  /** Who decided: `service` (the default) or `audience:<id>` for a tool server's report. */
  readonly reporter?: string;
  /**
   * Whether `agent` is the proven presenter (its DPoP proof verified). Default false: an agent named
   * without proof is what the presented leaf claims. Ignored (stored null) without an `agent`.
   */
  readonly actorProven?: boolean;
  /** base64url SHA-256 of the call arguments' canonical JSON. */
  readonly argsDigest?: string;
  /** Every token of the presented chain, root first (at most 65). */
  readonly chain?: readonly PresentedHopRecord[];
}

/** Options every logged write accepts: a decision appended in the same transaction. */
export interface WithAudit {
  /**
   * A decision appended atomically with the write, so the log never misses an acknowledged
   * change. Read it back with {@link DecisionStore.queryDecisions}.
   */
  readonly audit?: DecisionInput;
}

/** An agent to register. */
export interface RegisterAgentInput extends WithAudit {
  /** `agent:name` or a SPIFFE ID. */
  readonly id: string;
  /** The agent's Ed25519 public key; refused unless canonical and of prime order. */
  readonly jwk: Ed25519PublicJwk;
  /** Its RFC 7638 thumbprint; must match `jwk`. */
  readonly jkt: string;
  readonly name?: string;
  readonly owner?: string;
  readonly at: number;
}

/** The token half of an issuance: one signed version of a delegation. */
export interface TokenInput {
  readonly jti: string;
  /** The compact JWS, at most 8 KiB. */
  readonly compact: string;
  readonly iat: number;
  readonly exp: number;
  readonly rvl: number;
  /** base64url SHA-256 of the parent token this one was issued under; required on a hop, absent on a root. */
  readonly prf?: string;
}

/** A root grant: the task it opens, the root delegation and its first token. */
export interface GrantInput extends WithAudit {
  readonly delegation: {
    readonly did: string;
    /** The task this grant opens; its id must be new. `hours` is kept for runtime policy. */
    readonly task: { readonly id: string; readonly intent: string; readonly hours?: TaskHours };
    readonly to: string;
    readonly cap: readonly Capability[];
    readonly aud: readonly string[];
    readonly mdp: number;
    readonly exp: number;
    readonly rvi?: number;
    readonly depth?: 0;
    /** A reserved entry (see {@link StatusListStore.reserveStatusEntries}) the token names in `status`. */
    readonly statusEntry?: StatusEntry;
  };
  readonly token: TokenInput;
  readonly at: number;
}

/** One delegation hop below a recorded parent, and its first token. */
export interface HopInput extends WithAudit {
  readonly delegation: {
    readonly did: string;
    readonly parent: string;
    /** The delegating agent: the parent's holder. */
    readonly from: string;
    readonly to: string;
    readonly task: string;
    readonly cap: readonly Capability[];
    readonly aud: readonly string[];
    readonly mdp: number;
    readonly exp: number;
    /** The parent's depth + 1. */
    readonly depth: number;
    readonly rvi?: number;
    readonly intent?: string;
    /** A reserved entry (see {@link StatusListStore.reserveStatusEntries}) the token names in `status`. */
    readonly statusEntry?: StatusEntry;
  };
  readonly token: TokenInput & { readonly prf: string };
  readonly at: number;
}

/** A re-issued token for a live delegation. */
export interface RevalidationInput extends WithAudit {
  readonly did: string;
  readonly token: TokenInput;
  readonly at: number;
}

/** What a grant wrote. */
export interface GrantRecord {
  readonly task: TaskRecord;
  readonly delegation: DelegationRecord;
  readonly token: TokenRecord;
}

/** What a hop wrote. */
export interface HopRecord {
  readonly delegation: DelegationRecord;
  readonly token: TokenRecord;
}

/** Why and when a revocation happens. */
export interface RevokeOptions extends WithAudit {
  /** Why, for the feed and the investigator (at most 1024 characters). */
  readonly reason: string;
  readonly at: number;
}

/** When (and optionally why) a task is completed. */
export interface CompleteTaskOptions extends WithAudit {
  readonly at: number;
  readonly reason?: string;
}

/** Limits of a {@link GraphWalkStore.descendants} walk. */
export interface DescendantsOptions {
  /** Deepest distance below the start to return (1 = children only). Unlimited when absent. */
  readonly maxDepth?: number;
  /** Only live delegations, and nothing below a revoked one. */
  readonly liveOnly?: boolean;
}

/** Filters of {@link TaskStore.listTasks}. */
export interface ListTasksOptions {
  readonly status?: TaskStatus;
  /** At most 1000; 100 when absent. */
  readonly limit?: number;
}

/** Filters and paging of {@link DecisionStore.queryDecisions}; filters combine with AND. */
export interface DecisionQuery {
  readonly task?: string;
  /** The actor: the agent that presented the chain (or acted). */
  readonly agent?: string;
  /** Decisions about this delegation: as their subject, or as the leaf of the chain they presented. */
  readonly did?: string;
  /**
   * Decisions of this delegation's path: about it, any ancestor, or any descendant (as subject or
   * presented leaf). Found by index, so no volume of other decisions hides one.
   */
  readonly path?: string;
  /** At most 1000. */
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly cursor?: number;
  /** `newest` (default) pages from the latest row back; `oldest` from the first row on. */
  readonly order?: "newest" | "oldest";
}

/** Progress reporting for {@link DecisionStore.verifyDecisionLog} on a large log. */
export interface VerifyDecisionLogOptions {
  /** Called every `progressEvery` rows with how many rows were checked so far. */
  readonly onProgress?: (rowsChecked: number) => void;
  readonly progressEvery?: number;
}

/** A step-up approval request for one action on one delegation. */
export interface CreateApprovalInput extends WithAudit {
  /** `[A-Za-z0-9_-]{1,64}`: it travels in a token's `apv`. */
  readonly id: string;
  readonly did: string;
  readonly agent: string;
  readonly task: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
  readonly at: number;
  readonly expiresAt: number;
  /**
   * Most pending, unexpired requests the delegation may have, this one included; one more is
   * refused with `approval_limit` (issue 14: one chain must not flood the operators' queue).
   * Unbounded when absent.
   */
  readonly maxPending?: number;
}

/** An operator's decision on a pending approval. */
export interface DecideApprovalInput extends WithAudit {
  readonly decision: "approved" | "denied";
  /** Who decided (an operator name), at most 255 characters. */
  readonly by: string;
  readonly at: number;
}

/** A new token-signing key of the service. */
export interface AddSigningKeyInput {
  readonly kid: string;
  readonly publicJwk: ServicePublicJwk;
  readonly privateKeyPkcs8: string;
  readonly createdAt: number;
}

/** A tool server's audience to register. */
export interface RegisterAudienceInput {
  /** An audience name (not `*`). */
  readonly id: string;
  /** A hash of the tool server's bearer secret; never the secret itself. */
  readonly secretHash: string;
  readonly name?: string;
  readonly at: number;
}

// ---------------------------------------------------------------------------------------------
// The store

/** Agents: who may hold and make delegations. */
export interface AgentStore {
  /** Registers an agent. `conflict` if the id exists; `invalid` if the key is unsound or `jkt` does not match it. */
  registerAgent(input: RegisterAgentInput): Promise<AgentRecord>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  /**
   * Disables an agent for good and revokes every live delegation it holds or made, with their
   * subtrees, in one transaction. Idempotent: disabling a disabled agent revokes nothing new.
   */
  disableAgent(id: string, options: RevokeOptions): Promise<RevocationResult>;
}

/** Tasks: the units of work root grants open. */
export interface TaskStore {
  getTask(id: string): Promise<TaskRecord | undefined>;
  listTasks(options?: ListTasksOptions): Promise<TaskSummary[]>;
  /** Closes an open task as completed and revokes its whole tree. `conflict` if already closed. */
  completeTask(id: string, options: CompleteTaskOptions): Promise<RevocationResult>;
}

/** Issuance: grants, hops and revalidations, and the delegations and tokens they recorded. */
export interface IssuanceStore {
  /** Opens a task with its root delegation and first token. */
  recordGrant(input: GrantInput): Promise<GrantRecord>;
  /**
   * Records one hop and its first token. Checked at commit time: the parent is live, the task is
   * open and both agents are active (`revoked`), so a hop racing a revocation is either refused
   * or revoked with the rest, never a live orphan.
   */
  recordHop(input: HopInput): Promise<HopRecord>;
  /** Records a new token version of a live delegation, superseding the latest one. */
  recordRevalidation(input: RevalidationInput): Promise<TokenRecord>;
  getDelegation(did: string): Promise<DelegationRecord | undefined>;
  latestToken(did: string): Promise<TokenRecord | undefined>;
  /** Every version, oldest first. */
  tokenVersions(did: string): Promise<TokenRecord[]>;
}

/** Revocation and its feed, and the status online verification reads. */
export interface RevocationStore {
  /** Status of each `did`, in the order given, from one indexed query (at most 65: a root and 64 hops). */
  chainStatus(dids: readonly string[]): Promise<ChainLinkStatus[]>;
  /**
   * {@link chainStatus} and the task of the first `did`'s delegation, read together (one query
   * where the backend allows): what a verification reads before deciding. A hop also names its
   * receiving agent in `options`, read in the same query.
   */
  chainFacts(dids: readonly string[], options?: ChainFactsOptions): Promise<ChainFacts>;
  /** Revokes a delegation and its live subtree. Already-revoked ones are skipped. */
  revokeDelegation(did: string, options: RevokeOptions): Promise<RevocationResult>;
  /**
   * Revokes every live delegation an agent holds or made, with their subtrees, but leaves the
   * agent active: it may be granted again. Use {@link AgentStore.disableAgent} to also shut it out.
   */
  revokeAgent(id: string, options: RevokeOptions): Promise<RevocationResult>;
  /** Revokes a task's whole tree and closes it as `revoked` (if still open). Idempotent. */
  revokeTask(id: string, options: RevokeOptions): Promise<RevocationResult>;
  /** Revoked `did`s with a sequence number above `since`, in order (limit at most 10,000). */
  revocationsSince(since: number, limit?: number): Promise<RevocationFeedPage>;
}

/**
 * Token Status Lists (draft-ietf-oauth-status-list): each delegation may hold one entry, whose
 * bit is its revocation, so every revocation and cascade sets the bits of what it revoked in its
 * own transaction.
 */
export interface StatusListStore {
  /**
   * Reserves up to `count` (1 to 1024) unused entries, all in the newest list, opening the next
   * list when it is full; fewer when the list has fewer left. An issuance names one of them in
   * its `statusEntry`; a reserved entry never used stays 0 and is never handed out again.
   */
  reserveStatusEntries(count: number, at: number): Promise<StatusEntryBlock>;
  /** List `list`'s bits now; undefined when no entry of it was ever reserved. */
  statusListBits(list: number): Promise<StatusListBits | undefined>;
}

/** The tamper-evident decision log. */
export interface DecisionStore {
  appendDecision(input: DecisionInput): Promise<DecisionRecord>;
  /** Appends a batch (at most 1000) in one transaction: all or nothing, one commit. */
  appendDecisions(inputs: readonly DecisionInput[]): Promise<DecisionRecord[]>;
  /**
   * Checks each input on its own and appends those that pass, in one transaction and one commit;
   * answers, per input and in order, its record or why it was refused. One bad input never costs
   * the others their place in the log.
   */
  appendEachDecision(inputs: readonly DecisionInput[]): Promise<AppendOutcome[]>;
  queryDecisions(query: DecisionQuery): Promise<DecisionPage>;
  /** Recomputes the whole hash chain and reports the first broken row. */
  verifyDecisionLog(options?: VerifyDecisionLogOptions): Promise<DecisionLogVerification>;
}

/** Walks over the delegation graph. */
export interface GraphWalkStore {
  /** The chain from the root grant down to `did` itself, root first. Empty if unknown. */
  ancestors(did: string): Promise<DelegationRecord[]>;
  /** Everything below `did` (not `did` itself), breadth first. */
  descendants(did: string, options?: DescendantsOptions): Promise<WalkedDelegation[]>;
  /** A task's whole tree, by depth. */
  taskTree(taskId: string): Promise<DelegationRecord[]>;
  /** What an agent could still reach: its live delegations and every live one below them. */
  blastRadius(agentId: string): Promise<BlastRadius>;
}

/** Step-up approvals. */
export interface ApprovalStore {
  /** `not_found` for an unknown delegation, agent or task; `invalid` if they do not belong together. */
  createApproval(input: CreateApprovalInput): Promise<ApprovalRecord>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(options?: {
    readonly status?: ApprovalStatus;
    readonly limit?: number;
  }): Promise<ApprovalRecord[]>;
  /** Decides a pending, unexpired approval; `conflict` otherwise. */
  decideApproval(id: string, input: DecideApprovalInput): Promise<ApprovalRecord>;
  /** Approvals for `did` that are approved and not expired at `at`. */
  activeApprovals(did: string, at: number): Promise<ApprovalRecord[]>;
  /** The pending, unexpired request for exactly this action and resource on `did`, if any. */
  pendingApproval(
    subject: { readonly did: string; readonly action: string; readonly resource: string },
    at: number,
  ): Promise<ApprovalRecord | undefined>;
}

/**
 * Tool servers' audiences. A registered audience never changes and is never removed: the service
 * remembers the records it reads, so a way to change one needs a way to tell every instance.
 */
export interface AudienceStore {
  registerAudience(input: RegisterAudienceInput): Promise<AudienceRecord>;
  getAudience(id: string): Promise<AudienceRecord | undefined>;
}

/** The service's own settings. */
export interface SettingStore {
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string, at: number): Promise<void>;
}

/**
 * The delegation graph and decision log. Every method answers a promise, so a backend may do
 * I/O; every write is a single transaction, committed and durable before its promise resolves.
 * Expected failures reject with a `StoreError` (codes in `STORE_ERROR_CODES`) and leave the store
 * unchanged. Split by concern into the sub-interfaces above, with the same method names; a caller
 * that needs one concern can ask for that one alone.
 */
export interface Store
  extends AgentStore,
    TaskStore,
    IssuanceStore,
    RevocationStore,
    StatusListStore,
    DecisionStore,
    GraphWalkStore,
    ApprovalStore,
    AudienceStore,
    SettingStore {
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/**
 * Where the token service keeps its signing keys: a port of its own, apart from the graph, so the
 * private halves can live in another place than the delegation graph (a KMS, a vault). The SQLite
 * adapter keeps them in the same file, sealed by the service before they reach it. Same
 * conventions as {@link Store}: promises, one transaction per write, `StoreError` on refusal.
 */
export interface SigningKeyStore {
  addSigningKey(input: AddSigningKeyInput): Promise<SigningKeyRecord>;
  /** Every key, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** The newest key that is not retired. */
  activeSigningKey(): Promise<SigningKeyRecord | undefined>;
  retireSigningKey(kid: string, at: number): Promise<SigningKeyRecord>;
  /** Replaces stored private halves, all or nothing; `conflict` if a row no longer holds `from`. */
  replaceSigningKeyMaterial(changes: readonly ReplaceSigningKeyMaterial[]): Promise<void>;
}
