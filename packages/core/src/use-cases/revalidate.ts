/**
 * Revalidate: re-authorize the presented chain now and re-issue the tokens that are due
 * (DESIGN.md, "Revalidation"). Root first: a hop is re-issued when it is due, when its approvals
 * changed, or when its parent was (its `prf` must name the parent's new bytes).
 */
import type { ChainToken } from "@baton/token";
import { approvalsFor, policyReason, type Reason } from "@baton/verifier";
import { authenticate, type PresentedChain } from "../authenticate.ts";
import { recorded, type UseCaseContext } from "../context.ts";
import { storeReasons } from "../decision-records.ts";
import { reissuedClaims } from "../issuance.ts";
import { chainRefusal } from "../use-case-error.ts";

/** The chain after revalidation: the same hops, re-issued where due. */
export interface Revalidated {
  readonly chain: string;
}

/** Re-authorizes `presentation` and re-issues what is due; refusals are logged as `revalidate` denies. */
export function revalidate(ctx: UseCaseContext, presentation: PresentedChain): Promise<Revalidated> {
  return recorded(ctx, async () => {
    const now = ctx.now();
    const { hops, leaf, by, taskFacts } = await authenticate(ctx, presentation, "revalidate", now, {
      acceptRevalidationDue: true,
    });
    const deny = (reasons: readonly Reason[], did: string, status: 401 | 403) =>
      chainRefusal(reasons, status, {
        at: now,
        kind: "revalidate",
        decision: "deny",
        task: leaf.tsk,
        did,
        ...by,
        reasons: storeReasons(reasons),
      });
    const policy = ctx.policy({
      kind: "delegate",
      now,
      hops: hops.map((hop) => hop.claims),
      audience: "",
      action: "baton.revalidate",
      resource: leaf.sub,
      args: {},
      // The task is the chain's (`tsk` is equal along it), read with the link statuses.
      context: taskFacts,
      approved: approvalsFor(leaf, "baton.revalidate", leaf.sub),
    });
    if (policy.decision !== "allow") {
      const reason = policyReason(policy, hops.length - 1, "policy refuses to revalidate this chain");
      throw deny([reason], leaf.did, 403);
    }

    const reissued: ChainToken[] = [];
    let changed = false;
    for (const [index, hop] of hops.entries()) {
      const parent = reissued[index - 1];
      // Approvals decided since this token was issued (or expired since) re-issue it too, so a
      // step-up takes effect on the next revalidation rather than the next due date.
      const active = (await ctx.store.activeApprovals(hop.claims.did, now)).slice(0, 16);
      const approvals = active.map((approval) => approval.id);
      const held = hop.claims.apv ?? [];
      const approvalsChanged = approvals.length !== held.length || approvals.some((id) => !held.includes(id));
      if (!changed && !approvalsChanged && now < hop.claims.rvl) {
        reissued.push(hop);
        continue;
      }
      changed = true;
      const delegation = await ctx.store.getDelegation(hop.claims.did);
      const rvi = delegation?.rvi ?? ctx.settings.revalidationInterval;
      const next = reissuedClaims(
        hop.claims,
        parent,
        now,
        rvi,
        approvals,
        Math.min(...active.map((approval) => approval.expiresAt)),
      );
      if (next === undefined) {
        const message = "the token expires now; ask for a new delegation";
        throw deny([{ hop: index, code: "expired", message }], hop.claims.did, 401);
      }
      // The status claim follows the delegation's entry, so a token issued before status lists (or
      // while they were off) gains it on re-issue, and loses it while they are off.
      const { status: _status, ...rest } = next;
      const entry = ctx.statusListsOn ? delegation?.statusEntry : null;
      const claims = entry == null ? rest : { ...rest, status: ctx.statusClaim(entry) };
      const compact = await ctx.sign(claims);
      await ctx.store.recordRevalidation({
        did: claims.did,
        token: {
          jti: claims.jti,
          compact,
          iat: claims.iat,
          exp: claims.exp,
          rvl: claims.rvl,
          ...(claims.prf === undefined ? {} : { prf: claims.prf }),
        },
        at: now,
        audit: {
          at: now,
          kind: "revalidate",
          decision: "allow",
          task: claims.tsk,
          did: claims.did,
          jti: claims.jti,
          ...by,
          reasons: [],
          detail: { supersedes: hop.claims.jti, rvl: claims.rvl, hop: index },
        },
      });
      reissued.push({ compact, claims });
    }
    return { chain: reissued.map((hop) => hop.compact).join("~") };
  });
}
