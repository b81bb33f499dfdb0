/**
 * Delegate: issue one hop below the presented chain (DESIGN.md, "Issuing a hop"). The hop is
 * built with the verifier's own attenuation rules, so a refusal carries the reason code a
 * verifier would give the widened token; policy may allow, deny or ask for a step-up.
 */
import type { DecisionInput } from "@baton/store/contract";
import type { ChainToken, TokenError } from "@baton/token";
import { approvalsFor, policyReason, type Reason } from "@baton/verifier";
import { authenticate, type PresentedChain } from "../authenticate.ts";
import { canonicalCaps } from "../capabilities.ts";
import { recorded, type UseCaseContext } from "../context.ts";
import { jsonDetail, storeReasons } from "../decision-records.ts";
import { hopClaims } from "../issuance.ts";
import { stepUpRefusal } from "../step-up.ts";
import { chainRefusal, isUseCaseError, refusals } from "../use-case-error.ts";

/** What the delegator asks for (validated shape; capabilities are canonicalized here). */
export interface DelegationRequest {
  readonly to: string;
  readonly cap: readonly unknown[];
  readonly aud?: readonly string[] | undefined;
  readonly ttl?: number | undefined;
  readonly rvi?: number | undefined;
  readonly mdp?: number | undefined;
  readonly intent?: string | undefined;
}

/** The issued hop: the new token and the delegate's whole chain. */
export interface Delegated {
  readonly did: string;
  readonly jti: string;
  readonly token: string;
  readonly chain: string;
}

function reasonsOf(errors: readonly TokenError[], fallbackHop: number): Reason[] {
  return errors.map((error) => ({ hop: error.hop ?? fallbackHop, code: error.code, message: error.message }));
}

/**
 * Issues one hop below `presentation` to `request.to`. Refusals about the chain or the hop are
 * logged as the presenter's `delegate` denies.
 */
export function delegate(
  ctx: UseCaseContext,
  presentation: PresentedChain,
  request: DelegationRequest,
): Promise<Delegated> {
  return recorded(ctx, async () => {
    const now = ctx.now();
    const {
      chain,
      hops,
      by,
      taskFacts,
      leafRvi,
      receiver: delegate,
    } = await authenticate(ctx, presentation, "delegate", now, { receiver: request.to });
    const parentIndex = hops.length - 1;
    const parent = hops[parentIndex] as ChainToken;
    const p = parent.claims;
    const refuse = (status: 400 | 403, reasons: readonly Reason[]) =>
      chainRefusal(reasons, status, {
        at: now,
        kind: "delegate",
        decision: "deny",
        task: p.tsk,
        did: p.did,
        jti: p.jti,
        ...by,
        reasons: storeReasons(reasons),
        detail: jsonDetail({ to: request.to, cap: request.cap }),
      });

    // The task's facts, the parent's recorded rvi and the receiving agent came with the chain's link
    // statuses. The agent's status is checked again, under lock, when the hop is recorded.
    if (delegate === undefined) throw refusals.notFound(`agent ${request.to} is not registered`);
    if (delegate.status !== "active") {
      const message = `agent ${request.to} is disabled and cannot receive delegations`;
      throw refuse(403, [{ hop: null, code: "revoked", message }]);
    }
    const { settings } = ctx;
    if (request.ttl !== undefined && request.ttl > settings.maxTtl) {
      throw refusals.invalid(`ttl: must not exceed the service maximum of ${settings.maxTtl} s`);
    }
    const parentRvi = leafRvi ?? settings.revalidationInterval;
    const candidate = hopClaims(
      parent,
      parentIndex + 1,
      {
        to: delegate.id,
        toJkt: delegate.jkt,
        cap: canonicalCaps(request.cap),
        aud: request.aud,
        ttl: request.ttl,
        rvi: request.rvi,
        mdp: request.mdp,
      },
      {
        now,
        defaultTtl: settings.defaultTtl,
        defaultRvi: Math.min(settings.revalidationInterval, parentRvi),
      },
    );
    if (!candidate.ok) throw refuse(403, reasonsOf(candidate.errors, parentIndex + 1));

    const policy = ctx.policy({
      kind: "delegate",
      now,
      hops: hops.map((hop) => hop.claims),
      audience: "",
      action: "baton.delegate",
      resource: delegate.id,
      args: {},
      context: {
        to: delegate.id,
        cap: candidate.claims.cap,
        aud: candidate.claims.aud,
        intent: request.intent ?? null,
        ...taskFacts,
      },
      approved: approvalsFor(p, "baton.delegate", delegate.id),
    });
    if (policy.decision === "step_up") {
      throw await stepUpRefusal(ctx, {
        now,
        kind: "delegate",
        leaf: p,
        action: "baton.delegate",
        resource: delegate.id,
        reason: policyReason(policy, parentIndex + 1, "an operator must approve this delegation"),
        detail: { to: request.to, cap: request.cap },
        by,
      });
    }
    if (policy.decision !== "allow") {
      throw refuse(403, [policyReason(policy, parentIndex + 1, "policy refuses this delegation")]);
    }

    // The entry is taken only now, past every refusal, so a refused hop wastes none.
    const statusEntry = await ctx.nextStatusEntry();
    const claims =
      statusEntry === undefined
        ? candidate.claims
        : { ...candidate.claims, status: ctx.statusClaim(statusEntry) };
    let token: string;
    try {
      token = await ctx.sign(claims);
    } catch (error) {
      if (!isUseCaseError(error, "token_too_large")) throw error;
      throw refuse(400, [{ hop: parentIndex + 1, code: "token_too_large", message: error.message }]);
    }
    const audit: DecisionInput = {
      at: now,
      kind: "delegate",
      decision: "allow",
      task: claims.tsk,
      did: claims.did,
      jti: claims.jti,
      ...by,
      reasons: [],
      detail: jsonDetail({
        to: delegate.id,
        parent: p.did,
        cap: claims.cap,
        aud: claims.aud,
        exp: claims.exp,
        mdp: claims.mdp,
      }),
    };
    await ctx.store.recordHop({
      delegation: {
        did: claims.did,
        parent: p.did,
        from: p.sub,
        to: delegate.id,
        task: claims.tsk,
        cap: claims.cap,
        aud: claims.aud,
        mdp: claims.mdp,
        exp: claims.exp,
        depth: claims.dpt,
        rvi: candidate.rvi,
        ...(statusEntry === undefined ? {} : { statusEntry }),
        ...(request.intent === undefined ? {} : { intent: request.intent }),
      },
      token: {
        jti: claims.jti,
        compact: token,
        iat: claims.iat,
        exp: claims.exp,
        rvl: claims.rvl,
        prf: claims.prf as string,
      },
      at: now,
      audit,
    });
    return { did: claims.did, jti: claims.jti, token, chain: `${chain}~${token}` };
  });
}
