/**
 * Revoke: a delegation with its subtree, an agent's delegations, or a task. An agent may revoke
 * what it holds and anything below it (DESIGN.md: "a holder of an ancestor"), never a hop above
 * itself: a delegate must not be able to cut off its delegator. Agents and tasks need the operator.
 */
import type { DecisionInput } from "@baton/store/contract";
import type { Reason } from "@baton/verifier";
import { authenticate } from "../authenticate.ts";
import { recorded, type UseCaseContext } from "../context.ts";
import { type Attribution, storeReasons } from "../decision-records.ts";
import { refusals, UseCaseError } from "../use-case-error.ts";
import type { ActingParty } from "./acting-party.ts";

/** What to revoke: exactly one of `did`, `agent` or `task`, and why. */
export interface RevocationRequest {
  readonly did?: string | undefined;
  readonly agent?: string | undefined;
  readonly task?: string | undefined;
  readonly reason: string;
}

/** The dids revoked (already revoked ones are not listed again). */
export interface Revoked {
  readonly revoked: readonly string[];
}

/** Revokes what `request` names on behalf of `by`; an agent's refusal is logged as its `revoke` deny. */
export function revoke(ctx: UseCaseContext, by: ActingParty, request: RevocationRequest): Promise<Revoked> {
  return recorded(ctx, async () => {
    const now = ctx.now();
    let actor = "operator";
    let presenter: Attribution | undefined;
    if (by.kind === "agent") {
      const { leaf, by: attributed } = await authenticate(ctx, by.presentation, "revoke", now);
      presenter = attributed;
      actor = leaf.sub;
      if (request.did === undefined) {
        throw refusals.forbidden(
          "an agent may revoke delegations only by did; agents and tasks need the operator",
        );
      }
      const target = request.did;
      const holds =
        target === leaf.did ||
        (await ctx.store.ancestors(target)).some((ancestor) => ancestor.did === leaf.did);
      if (!holds) {
        const message = "the presented chain does not hold this delegation or an ancestor of it";
        const reasons: Reason[] = [{ hop: null, code: "action_not_permitted", message }];
        throw new UseCaseError({
          status: 403,
          code: "forbidden",
          message,
          reasons,
          decision: {
            at: now,
            kind: "revoke",
            decision: "deny",
            task: leaf.tsk,
            did: target,
            ...attributed,
            reasons: storeReasons(reasons),
          },
        });
      }
    }
    const audit = (target: Record<string, string>, task?: string): DecisionInput => ({
      at: now,
      kind: "revoke",
      decision: "allow",
      ...(task === undefined ? {} : { task }),
      ...(request.did === undefined ? {} : { did: request.did }),
      // The actor is the presenting agent; an operator's revocation has no agent actor.
      ...(presenter ?? {}),
      reasons: [],
      detail: { ...target, reason: request.reason, by: actor },
    });
    const options = { reason: request.reason, at: now };
    if (request.did !== undefined) {
      const delegation = await ctx.store.getDelegation(request.did);
      if (delegation === undefined) throw refusals.notFound(`delegation ${request.did} does not exist`);
      const audited = audit({ did: request.did }, delegation.task);
      return {
        revoked: [...(await ctx.store.revokeDelegation(request.did, { ...options, audit: audited })).revoked],
      };
    }
    if (request.agent !== undefined) {
      if ((await ctx.store.getAgent(request.agent)) === undefined)
        throw refusals.notFound(`agent ${request.agent} is not registered`);
      const audited = audit({ agent: request.agent });
      return {
        revoked: [...(await ctx.store.revokeAgent(request.agent, { ...options, audit: audited })).revoked],
      };
    }
    const task = request.task as string;
    if ((await ctx.store.getTask(task)) === undefined) throw refusals.notFound(`task ${task} does not exist`);
    return {
      revoked: [...(await ctx.store.revokeTask(task, { ...options, audit: audit({ task }, task) })).revoked],
    };
  });
}
