/**
 * Re-authorizing a chain presented to one of the service's own endpoints (DESIGN.md,
 * "Re-authorizing a chain", steps 1 to 9, plus the DPoP proof): every hop against the graph as it
 * is now, then the leaf holder's proof for this request.
 */
import type { AgentRecord } from "@baton/store/contract";
import type { ChainToken } from "@baton/token";
import { authenticateChain, type ChainSentAs, provePresenter, type Reason } from "@baton/verifier";
import type { UseCaseContext } from "./context.ts";
import { type Attribution, attribution, type Presenter, storeReasons } from "./decision-records.ts";
import { chainRefusal } from "./use-case-error.ts";

/** A presentation to check: the chain, its proof, and the request the proof must be for. */
export interface PresentedChain {
  readonly chain: string;
  readonly proof: string | undefined;
  readonly method: string;
  /** The public URL of the request: what the proof's `htu` must name. */
  readonly url: string;
  /**
   * Where the chain travelled: in `Authorization` (the default), or as the `subject_token` of an
   * OAuth token exchange, whose proof need not carry `ath` (RFC 9449 §5).
   */
  readonly chainSentAs?: ChainSentAs | undefined;
}

/** The result of authenticating a presented chain. */
export type ChainCheck =
  | ({
      readonly ok: true;
      readonly hops: readonly ChainToken[];
      /** Policy's facts of the chain's task, read with its link statuses (see {@link Authenticated}). */
      readonly taskFacts: Record<string, unknown>;
      /** The leaf delegation's recorded `rvi` (see {@link Authenticated}). */
      readonly leafRvi: number | null;
      /** The agent {@link AuthenticateOptions.receiver} named (see {@link Authenticated}). */
      readonly receiver: AgentRecord | undefined;
    } & Presenter)
  | ({
      readonly ok: false;
      readonly hops: readonly ChainToken[];
      readonly reasons: readonly Reason[];
    } & Presenter);

/** An authenticated presentation: the chain text, its verified hops, and who presented it. */
export interface Authenticated {
  readonly chain: string;
  readonly hops: readonly ChainToken[];
  /** The verified leaf's claims. */
  readonly leaf: ChainToken["claims"];
  /** The decision-log fields naming the proven presenter and the chain. */
  readonly by: Attribution;
  /**
   * Policy's facts of the chain's task (`UseCaseContext.presentedFacts`), read together with the link
   * statuses. Empty only when the graph records the root delegation under another task than the
   * root names, which issuance never does, as `verify` treats the same case.
   */
  readonly taskFacts: Record<string, unknown>;
  /**
   * The revalidation interval recorded for the leaf's delegation (read with the link statuses),
   * which a hop below it defaults its own to; null when none is recorded.
   */
  readonly leafRvi: number | null;
  /**
   * The agent {@link AuthenticateOptions.receiver} named, read with the link statuses; undefined
   * when it is not registered or none was named.
   */
  readonly receiver: AgentRecord | undefined;
}

/** How to authenticate a presentation. */
export interface AuthenticateOptions {
  /** Accept a chain whose revalidation is due (what `/v1/revalidate` is for); default false. */
  readonly acceptRevalidationDue?: boolean;
  /** An agent to read with the chain's facts: a hop's receiving agent (one read, not two). */
  readonly receiver?: string;
}

/** Checks a presented chain and its proof at `now`; says why not rather than throwing. */
export async function checkPresented(
  ctx: UseCaseContext,
  presented: PresentedChain,
  now: number,
  options: AuthenticateOptions = {},
): Promise<ChainCheck> {
  const facts = await ctx.presentedFacts(ctx.presentedLinks(presented.chain), options.receiver);
  const chain = authenticateChain(
    presented.chain,
    ctx.chainEnvironment(now, facts.statuses, options.acceptRevalidationDue === true),
  );
  const { actor, proofReasons } = provePresenter(chain, presented, {
    now,
    proofMaxAgeSeconds: ctx.settings.proofMaxAge,
    clockSkewSeconds: ctx.settings.clockSkew,
    replayCache: ctx.replayCache,
  });
  if (!chain.ok) return { ...chain, actor };
  if (proofReasons.length > 0) {
    return { ok: false, hops: chain.hops, reasons: proofReasons, presented: chain.presented, actor };
  }
  const leafDid = chain.hops[chain.hops.length - 1]?.claims.did;
  return {
    ...chain,
    actor,
    taskFacts: chain.hops[0]?.claims.tsk === facts.task ? facts.taskFacts : {},
    leafRvi: facts.leaf !== undefined && facts.leaf.did === leafDid ? facts.leaf.rvi : null,
    receiver: facts.receiver,
  };
}

/**
 * Authenticates a presentation, or throws a 401 carrying the deny to log as `kind`. The deny is
 * filed under the presented leaf (as it claims to be), not the last hop that verified.
 */
export async function authenticate(
  ctx: UseCaseContext,
  presented: PresentedChain,
  kind: string,
  now: number,
  options: AuthenticateOptions = {},
): Promise<Authenticated> {
  const check = await checkPresented(ctx, presented, now, options);
  if (!check.ok) {
    const leafIndex = check.presented.length - 1;
    const leaf = check.hops.length === check.presented.length ? check.hops[leafIndex]?.claims : undefined;
    throw chainRefusal(check.reasons, 401, {
      at: now,
      kind,
      decision: "deny",
      ...(check.hops[0] === undefined ? {} : { task: check.hops[0].claims.tsk }),
      ...(leaf === undefined ? {} : { did: leaf.did, jti: leaf.jti }),
      ...attribution(check),
      reasons: storeReasons(check.reasons),
    });
  }
  const leaf = (check.hops[check.hops.length - 1] as ChainToken).claims;
  return {
    chain: presented.chain,
    hops: check.hops,
    leaf,
    by: attribution(check),
    taskFacts: check.taskFacts,
    leafRvi: check.leafRvi,
    receiver: check.receiver,
  };
}
