/**
 * The ports a use case runs over, with the per-instance state they share: one replay cache (a
 * proof accepted anywhere is never accepted again) and one signature cache. Built once per
 * service (or per test) from {@link UseCasePorts}.
 */
import type { AccessAnswer, AccessQuestion } from "@baton/policy";
import type {
  AgentRecord,
  AppendOutcome,
  ChainLinkStatus,
  DecisionInput,
  StatusEntry,
  Store,
  TaskRecord,
} from "@baton/store/contract";
import {
  CHAIN_SEPARATOR,
  DEFAULT_MAX_CHAIN_LENGTH,
  DEFAULT_MAX_TOKEN_BYTES,
  decodeBase64url,
  isDelegationId,
  isTaskId,
  signToken,
  type TokenClaims,
  TokenError,
  type TokenStatus,
} from "@baton/token";
import {
  type ChainEnvironment,
  type PolicyHook,
  ReplayCache,
  SignatureCache,
  type StatusCheck,
} from "@baton/verifier";
import { hopStatusOf } from "./hop-status.ts";
import type { DiagnosticLogger, TokenKeys, UseCasePorts, UseCaseSettings } from "./ports.ts";
import { statusListUri } from "./status-lists.ts";
import { policyHoursOf } from "./task-hours.ts";
import { UseCaseError } from "./use-case-error.ts";

/** What a presented chain names, read unverified: see {@link UseCaseContext.presentedLinks}. */
export interface PresentedLinks {
  readonly dids: readonly string[];
  /** The root token's task, when it names a well-formed one. */
  readonly task: string | undefined;
}

/** What the graph says about a presented chain: see {@link UseCaseContext.presentedFacts}. */
export interface PresentedFacts {
  readonly statuses: ReadonlyMap<string, ChainLinkStatus>;
  /** The task the presented root names, when the graph knows it as its root delegation's task. */
  readonly task: string | undefined;
  /** Policy's facts of that task (see `taskFactsOf`); empty when there is none. */
  readonly taskFacts: Record<string, unknown>;
  /** The last presented `did` with its delegation's recorded `rvi`, when the graph has it. */
  readonly leaf: { readonly did: string; readonly rvi: number | null } | undefined;
  /** The agent `presentedFacts` was asked to read too, when registered. */
  readonly receiver: AgentRecord | undefined;
}

/**
 * What the graph knows about a task that a token does not carry, for policy: its intent, when it
 * was opened (the chain's age), and its business hours when the grant declared them.
 */
function taskFactsOf(record: TaskRecord): Record<string, unknown> {
  return {
    taskIntent: record.intent,
    taskOpenedAt: record.openedAt,
    ...(record.hours === null ? {} : { taskHours: policyHoursOf(record.hours) }),
  };
}

const utf8 = new TextDecoder();

/** A compact token's payload as a JSON object, without any check; undefined if it is not one. */
function unverifiedPayload(compact: string): Record<string, unknown> | undefined {
  const start = compact.indexOf(".");
  const end = compact.indexOf(".", start + 1);
  if (start < 0 || end < 0) return undefined;
  const bytes = decodeBase64url(compact.slice(start + 1, end));
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Entries reserved per store round trip; the next block is reserved while this many are still in
 * hand. A restart leaves at most twice this many unused (their bits stay 0 and no token names
 * them); one list of 65,536 still lasts 1,024 reservations.
 */
const STATUS_RESERVATION = 64;

/** Allows everything: the policy when none is given. */
export const allowAll: PolicyHook = () => ({ decision: "allow" });

/** Denies every chain-less AuthZEN question: the access policy when no set is configured. */
export const noAccessPolicy = (): AccessAnswer => ({
  decision: "deny",
  message:
    "no access policy set is configured for requests without a delegation chain (set BATON_AUTHZEN_POLICY_DIR)",
  policies: [],
});

/** The ports and shared caches every use case takes as its first argument. */
export class UseCaseContext {
  readonly store: Store;
  readonly keys: TokenKeys;
  readonly policy: PolicyHook;
  readonly accessPolicy: (question: AccessQuestion) => AccessAnswer;
  readonly clock: () => number;
  readonly logger: DiagnosticLogger;
  readonly settings: UseCaseSettings;
  readonly replayCache: ReplayCache;
  readonly signatureCache: SignatureCache;
  readonly maxChainLength = DEFAULT_MAX_CHAIN_LENGTH;
  readonly maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES;
  /** Reserved status list entries not handed out yet, oldest block first. */
  private readonly statusBlocks: { list: number; next: number; end: number }[] = [];
  private reservingStatus: Promise<void> | undefined;

  constructor(ports: UseCasePorts) {
    this.store = ports.store;
    this.keys = ports.keys;
    this.policy = ports.policy ?? allowAll;
    this.accessPolicy = ports.accessPolicy ?? noAccessPolicy;
    this.clock = ports.clock;
    this.logger = ports.logger;
    this.settings = ports.settings;
    this.replayCache = new ReplayCache(100_000, ports.settings.proofMaxAge + ports.settings.clockSkew);
    this.signatureCache = new SignatureCache();
  }

  /** How long an approval request stays open and an approval usable. */
  get approvalTtl(): number {
    return this.settings.approvalTtl ?? 3600;
  }

  /** Most pending approval requests one delegation may have open. */
  get maxPendingApprovals(): number {
    return this.settings.maxPendingApprovals ?? 20;
  }

  /** Whether issued tokens carry a `status` claim (on unless the settings turn it off). */
  get statusListsOn(): boolean {
    return this.settings.statusLists !== false;
  }

  /** Seconds a relying party may cache a status list. */
  get statusListTtl(): number {
    return this.settings.statusListTtl ?? 30;
  }

  /**
   * The next unused status list entry for a delegation about to be issued, or undefined when
   * status lists are off. Entries come from blocks reserved in the store, so issuing costs no
   * extra commit most of the time; the entry is taken for good in the issuance's own transaction.
   * The next block is reserved while a whole block's worth is still in hand: a reservation is a
   * write that queues behind the hops being committed, and waiting for it at the last entry
   * stalled every issuance in flight once per block.
   */
  async nextStatusEntry(): Promise<StatusEntry | undefined> {
    if (!this.statusListsOn) return undefined;
    let block = this.statusBlocks[0];
    while (block === undefined) {
      await this.reserveStatusEntries();
      block = this.statusBlocks[0];
    }
    const entry = { list: block.list, index: block.next++ };
    if (block.next === block.end) this.statusBlocks.shift();
    if (this.statusEntriesInHand() < STATUS_RESERVATION) {
      // A failed reservation is retried by the next issuance that finds no entry in hand.
      this.reserveStatusEntries().catch(() => {});
    }
    return entry;
  }

  private statusEntriesInHand(): number {
    let count = 0;
    for (const block of this.statusBlocks) count += block.end - block.next;
    return count;
  }

  /** Reserves one more block, or joins the reservation under way. */
  private reserveStatusEntries(): Promise<void> {
    this.reservingStatus ??= this.store
      .reserveStatusEntries(STATUS_RESERVATION, this.now())
      .then((reserved) => {
        // The store reserves at least one entry; an empty block would hand out one it did not.
        if (reserved.count < 1) return;
        this.statusBlocks.push({
          list: reserved.list,
          next: reserved.first,
          end: reserved.first + reserved.count,
        });
      })
      .finally(() => {
        this.reservingStatus = undefined;
      });
    return this.reservingStatus;
  }

  /** The `status` claim naming `entry`. */
  statusClaim(entry: StatusEntry): TokenStatus {
    return { status_list: { idx: entry.index, uri: statusListUri(this.settings.issuer, entry.list) } };
  }

  /** Seconds since the epoch, as an integer. */
  now(): number {
    return Math.floor(this.clock());
  }

  /**
   * The status of each link of a presented chain and its task's facts, from one `chainFacts`
   * read, before the pure verifier runs (so its status check stays synchronous). The task is the
   * one the graph records for the presented root's delegation, and only when the root names it.
   * A hop names its `receiver` too, read in the same query.
   */
  async presentedFacts(links: PresentedLinks, receiver?: string): Promise<PresentedFacts> {
    // No did to read: no hop of the chain can verify, so there is no hop to issue either.
    if (links.dids.length === 0) {
      return { statuses: new Map(), task: undefined, taskFacts: {}, leaf: undefined, receiver: undefined };
    }
    const facts = await this.store.chainFacts(
      [...new Set(links.dids)],
      receiver === undefined ? undefined : { agent: receiver },
    );
    const task = facts.task !== undefined && facts.task.id === links.task ? facts.task : undefined;
    return {
      statuses: new Map(facts.links.map((status) => [status.did, status])),
      task: task?.id,
      taskFacts: task === undefined ? {} : taskFactsOf(task),
      leaf: facts.leaf,
      receiver: facts.agent,
    };
  }

  /**
   * Signs claims with the active key. A token over the size every verifier accepts is the
   * caller's request being too big: a 400 `token_too_large` that says what to cut (issue 14).
   */
  async sign(claims: TokenClaims): Promise<string> {
    try {
      return await signToken(claims, this.keys.active());
    } catch (error) {
      if (!(error instanceof TokenError) || error.code !== "token_too_large") throw error;
      throw new UseCaseError({
        status: 400,
        code: "token_too_large",
        message: `${error.message}: ask for fewer capabilities (cap has ${claims.cap.length}), shorter action and resource patterns, fewer argument limits or fewer audiences (aud has ${claims.aud.length})`,
      });
    }
  }

  /**
   * The `did` of each token of a presented chain and the root's `tsk`, read UNVERIFIED: only to
   * read the graph before the pure verifier runs, which consults what was read for verified hops
   * alone, and counts a `did` missing as revoked. A token verified before is read from the
   * signature cache (a map lookup on the hot path); another has its payload parsed, unchecked.
   */
  presentedLinks(chainText: string): PresentedLinks {
    const dids: string[] = [];
    let task: string | undefined;
    // A plain split: a chain over the limits is refused by the verifier whatever is read here.
    const tokens = chainText.split(CHAIN_SEPARATOR, this.maxChainLength + 1);
    if (tokens.length > this.maxChainLength) return { dids, task };
    for (const [index, compact] of tokens.entries()) {
      if (compact.length > this.maxTokenBytes) continue;
      const claims: Partial<Record<"did" | "tsk", unknown>> | undefined =
        this.signatureCache.get(compact)?.claims ?? unverifiedPayload(compact);
      if (isDelegationId(claims?.did)) dids.push(claims.did);
      if (index === 0 && isTaskId(claims?.tsk)) task = claims.tsk;
    }
    return { dids, task };
  }

  /** A status check over statuses read by {@link presentedFacts}; a `did` it lacks counts as revoked. */
  statusCheck(statuses: ReadonlyMap<string, ChainLinkStatus>): StatusCheck {
    return (hops) => hops.map((hop) => hopStatusOf(hop.claims.did, statuses.get(hop.claims.did)));
  }

  /** The verifier environment for chains presented to this service at `now`, over read statuses. */
  chainEnvironment(
    now: number,
    statuses: ReadonlyMap<string, ChainLinkStatus>,
    acceptRevalidationDue = false,
  ): ChainEnvironment {
    return {
      now,
      issuer: this.settings.issuer,
      resolveKey: (kid) => this.keys.resolve(kid, now),
      status: this.statusCheck(statuses),
      clockSkewSeconds: this.settings.clockSkew,
      maxChainLength: this.maxChainLength,
      maxTokenBytes: this.maxTokenBytes,
      signatureCache: this.signatureCache,
      acceptRevalidationDue,
    };
  }

  /** Appends a decision. A decision that cannot be logged fails the request: nothing goes unrecorded. */
  async audit(input: DecisionInput): Promise<void> {
    try {
      await this.store.appendDecision(input);
    } catch (error) {
      this.logger.error({ err: error, kind: input.kind }, "could not append a decision");
      throw error;
    }
  }

  /** Appends each decision that passes the store's checks, in one commit; says what became of each. */
  async appendEach(inputs: readonly DecisionInput[]): Promise<AppendOutcome[]> {
    if (inputs.length === 0) return [];
    try {
      return await this.store.appendEachDecision(inputs);
    } catch (error) {
      this.logger.error({ err: error, count: inputs.length }, "could not append decisions");
      throw error;
    }
  }
}

/**
 * Runs a use case so that a refusal carrying a decision is logged exactly once, here, before it
 * leaves: the one "deny, log, throw" of the package. A decision that cannot be logged fails the
 * call with the store's error instead.
 */
export async function recorded<T>(ctx: UseCaseContext, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UseCaseError && error.decision !== undefined) await ctx.audit(error.decision);
    throw error;
  }
}
