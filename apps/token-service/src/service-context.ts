/**
 * What every route needs: the injected dependencies, the per-app caches, and the two checks that
 * recur across routes: re-authorizing a presented chain against the store (DESIGN.md,
 * "Re-authorizing a chain", steps 1 to 9, plus the DPoP proof), and mapping store problems to
 * reason codes.
 */
import { type BusinessHours, businessHoursOf } from "@baton/policy";
import type {
  AppendOutcome,
  ChainLinkStatus,
  DecisionDetail,
  DecisionInput,
  DecisionReason,
  Store,
  TaskHours,
} from "@baton/store";
import {
  type ChainToken,
  DEFAULT_MAX_CHAIN_LENGTH,
  DEFAULT_MAX_TOKEN_BYTES,
  minuteOfDay,
  signToken,
  TASK_HOURS_CLOCK_TIME,
  type TokenClaims,
  TokenError,
} from "@baton/token";
import {
  type Actor,
  authenticateChain,
  type ChainEnvironment,
  type HopStatus,
  type PolicyHook,
  type PresentedHop,
  provePresenter,
  type Reason,
  ReplayCache,
  SignatureCache,
  type StatusCheck,
} from "@baton/verifier";
import type { Logger } from "pino";
import type { ServiceConfig } from "./config.ts";
import { ProblemError } from "./problem.ts";
import type { SigningKeys } from "./signing-keys.ts";

/** The configuration createApp needs: the service settings with the issuer known. */
export type AppConfig = ServiceConfig & { readonly issuer: string };

/** What createApp is built from. Tests pass a controllable clock and their own store. */
export interface AppDeps {
  readonly store: Store;
  readonly config: AppConfig;
  /** Seconds since the epoch. */
  readonly clock: () => number;
  readonly signingKeys: SigningKeys;
  readonly logger: Logger;
  /**
   * Runtime policy consulted at delegation and use time; allow-all when absent (`startServer`
   * passes the Cedar set from `BATON_POLICY_DIR`, or the shipped default set).
   */
  readonly policy?: PolicyHook;
}

/** Who presented a chain, and the chain as presented: what every decision about it records. */
export interface Presenter {
  readonly actor: Actor;
  readonly presented: readonly PresentedHop[];
}

/** The result of authenticating a presented chain. */
export type ChainCheck =
  | ({ readonly ok: true; readonly hops: readonly ChainToken[] } & Presenter)
  | ({
      readonly ok: false;
      readonly hops: readonly ChainToken[];
      readonly reasons: readonly Reason[];
    } & Presenter);

/**
 * The decision-log fields naming who acted through which chain. The actor is the presenter (the
 * leaf holder), never the holder of the last hop that happened to verify.
 */
export function attribution(presenter: Presenter): Pick<DecisionInput, "agent" | "actorProven" | "chain"> {
  return {
    ...(presenter.actor.agent === null
      ? {}
      : { agent: presenter.actor.agent, actorProven: presenter.actor.proven }),
    chain: presenter.presented,
  };
}

/** A presentation to check: the chain, its proof, and the request the proof must be for. */
export interface PresentedChain {
  readonly chain: string;
  readonly proof: string | undefined;
  readonly method: string;
  readonly url: string;
}

/** Allows everything: the default until runtime policy (a later issue) is wired in. */
export const allowAll: PolicyHook = () => ({ decision: "allow" });

/**
 * A task's stored hours as policy reads them (minutes of the day). Hours that were declared but
 * cannot be read, say from a hand-edited file, become an empty week, which denies delegations:
 * fail closed rather than act as if no hours were declared.
 */
export function policyHoursOf(hours: TaskHours): BusinessHours {
  const readable =
    typeof hours === "object" &&
    hours !== null &&
    typeof hours.start === "string" &&
    typeof hours.end === "string" &&
    TASK_HOURS_CLOCK_TIME.test(hours.start) &&
    TASK_HOURS_CLOCK_TIME.test(hours.end);
  const parsed = readable
    ? businessHoursOf({ days: hours.days, start: minuteOfDay(hours.start), end: minuteOfDay(hours.end) })
    : undefined;
  return parsed ?? { days: [], start: 0, end: 0 };
}

/** Per-app state shared by the routes. */
export class ServiceContext {
  readonly store: Store;
  readonly config: AppConfig;
  readonly clock: () => number;
  readonly signingKeys: SigningKeys;
  readonly logger: Logger;
  readonly policy: PolicyHook;
  /** One replay cache per app: a proof accepted by any endpoint is never accepted again. */
  readonly replayCache: ReplayCache;
  /** One signature cache per app, keyed by exact token bytes. */
  readonly signatureCache: SignatureCache;
  readonly maxChainLength = DEFAULT_MAX_CHAIN_LENGTH;
  readonly maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES;

  constructor(deps: AppDeps) {
    this.store = deps.store;
    this.config = deps.config;
    this.clock = deps.clock;
    this.signingKeys = deps.signingKeys;
    this.logger = deps.logger;
    this.policy = deps.policy ?? allowAll;
    this.replayCache = new ReplayCache(100_000, deps.config.proofMaxAge + deps.config.clockSkew);
    this.signatureCache = new SignatureCache();
  }

  /** How long an approval request stays open and an approval usable. */
  get approvalTtl(): number {
    return this.config.approvalTtl ?? 3600;
  }

  /** Most pending approval requests one delegation may have open. */
  get maxPendingApprovals(): number {
    return this.config.maxPendingApprovals ?? 20;
  }

  /**
   * What the graph knows about a task that a token does not carry, for policy: its intent, when
   * it was opened (the chain's age), and its business hours when the grant declared them.
   */
  taskFacts(task: string): Record<string, unknown> {
    const record = this.store.getTask(task);
    if (record === undefined) return {};
    return {
      taskIntent: record.intent,
      taskOpenedAt: record.openedAt,
      ...(record.hours === null ? {} : { taskHours: policyHoursOf(record.hours) }),
    };
  }

  /**
   * Signs claims with the active key. A token over the size every verifier accepts is the
   * caller's request being too big, not a fault of the service: a 400 `token_too_large` that
   * says what to cut (issue 14), never a 500.
   */
  async sign(claims: TokenClaims): Promise<string> {
    try {
      return await signToken(claims, this.signingKeys.active());
    } catch (error) {
      if (!(error instanceof TokenError) || error.code !== "token_too_large") throw error;
      throw new ProblemError({
        status: 400,
        code: "token_too_large",
        detail: `${error.message}: ask for fewer capabilities (cap has ${claims.cap.length}), shorter action and resource patterns, fewer argument limits or fewer audiences (aud has ${claims.aud.length})`,
      });
    }
  }

  /** Seconds since the epoch, as an integer. */
  now(): number {
    return Math.floor(this.clock());
  }

  /** The public URL of a service path: what a DPoP proof's `htu` must name. */
  publicUrl(path: string): string {
    return `${this.config.issuer}${path}`;
  }

  /** A status check backed by one `chainStatus` query for every verified hop of a chain. */
  readonly statusCheck: StatusCheck = (hops) => {
    const statuses = new Map(
      this.store
        .chainStatus([...new Set(hops.map((hop) => hop.claims.did))])
        .map((status) => [status.did, status]),
    );
    return hops.map((hop) => hopStatusOf(hop.claims.did, statuses.get(hop.claims.did)));
  };

  /** The verifier environment for chains presented to this service at `now`. */
  chainEnvironment(now: number, acceptRevalidationDue = false): ChainEnvironment {
    return {
      now,
      issuer: this.config.issuer,
      resolveKey: (kid) => this.signingKeys.resolve(kid, now),
      status: this.statusCheck,
      clockSkewSeconds: this.config.clockSkew,
      maxChainLength: this.maxChainLength,
      maxTokenBytes: this.maxTokenBytes,
      signatureCache: this.signatureCache,
      acceptRevalidationDue,
    };
  }

  /**
   * Re-authorizes a chain presented to one of this service's own endpoints: every hop against the
   * graph as it is now, then the leaf holder's DPoP proof for this request.
   */
  authenticatePresented(presented: PresentedChain, now: number, acceptRevalidationDue = false): ChainCheck {
    const chain = authenticateChain(presented.chain, this.chainEnvironment(now, acceptRevalidationDue));
    const { actor, proofReasons } = provePresenter(chain, presented, {
      now,
      proofMaxAgeSeconds: this.config.proofMaxAge,
      clockSkewSeconds: this.config.clockSkew,
      replayCache: this.replayCache,
    });
    if (!chain.ok) return { ...chain, actor };
    if (proofReasons.length > 0) {
      return { ok: false, hops: chain.hops, reasons: proofReasons, presented: chain.presented, actor };
    }
    return { ...chain, actor };
  }

  /** Appends a decision. A decision that cannot be logged fails the request: nothing goes unrecorded. */
  audit(input: DecisionInput): void {
    try {
      this.store.appendDecision(input);
    } catch (error) {
      this.logger.error({ err: error, kind: input.kind }, "could not append a decision");
      throw error;
    }
  }

  /** Appends each decision that passes the store's checks, in one commit; says what became of each. */
  appendEach(inputs: readonly DecisionInput[]): AppendOutcome[] {
    if (inputs.length === 0) return [];
    try {
      return this.store.appendEachDecision(inputs);
    } catch (error) {
      this.logger.error({ err: error, count: inputs.length }, "could not append decisions");
      throw error;
    }
  }
}

/** Maps a store status to the verifier's `revoked`, with a message saying which problem it is. */
export function hopStatusOf(did: string, status: ChainLinkStatus | undefined): HopStatus {
  if (status === undefined)
    return { code: "revoked", message: `delegation ${did} has no status; treat it as revoked` };
  if (status.live) return undefined;
  const why = status.reason === null ? "" : `: ${status.reason}`;
  switch (status.problem) {
    case "revoked":
      return { code: "revoked", message: `delegation ${did} was revoked${why}` };
    case "task_closed":
      return { code: "revoked", message: `the task of delegation ${did} is closed${why}` };
    case "agent_disabled":
      return { code: "revoked", message: `an agent of delegation ${did} is disabled${why}` };
    case "not_found":
      return { code: "revoked", message: `delegation ${did} is unknown to this service` };
  }
}

/** Decision reasons in the store's shape (messages capped; claim, evidence and policy ids kept). */
export function storeReasons(
  reasons: readonly (Omit<Reason, "code" | "policies" | "claim" | "evidence"> & {
    code: string;
    claim?: string | undefined;
    evidence?: Readonly<Record<string, unknown>> | undefined;
    policies?: readonly string[] | undefined;
  })[],
): DecisionReason[] {
  return reasons.map((reason) => ({
    hop: reason.hop,
    code: reason.code,
    message: reason.message.slice(0, 1024),
    ...(reason.claim === undefined ? {} : { claim: reason.claim }),
    ...(reason.evidence === undefined ? {} : { evidence: boundedEvidence(reason.evidence) }),
    ...(reason.policies === undefined ? {} : { policies: reason.policies }),
  }));
}

/** Largest evidence the service logs, in UTF-8 bytes: the store's own limit. */
const MAX_EVIDENCE_BYTES = 4096;

/** Evidence as logged: an oversized one is replaced by a marker, never allowed to fail the log. */
function boundedEvidence(evidence: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const text = JSON.stringify(evidence);
  return Buffer.byteLength(text) > MAX_EVIDENCE_BYTES ? { truncated: true, chars: text.length } : evidence;
}

/** Largest `detail` the service writes; the store's own limit is 16 KiB. */
const MAX_DETAIL_CHARS = 8192;

/**
 * Any JSON-serializable value as a decision's `detail` (drops undefined members). An oversized
 * detail is replaced by a marker, so a large request can never make its own decision unloggable.
 */
export function jsonDetail(value: unknown): DecisionDetail {
  const text = JSON.stringify(value);
  if (text.length > MAX_DETAIL_CHARS) return { truncated: true, chars: text.length };
  return JSON.parse(text) as DecisionDetail;
}
