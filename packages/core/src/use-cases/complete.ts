/**
 * Complete: close a task and revoke its whole tree. The operator may complete any open task; an
 * agent only the task whose root grant it presents (a one-hop chain of that task).
 */
import type { Reason } from "@baton/verifier";
import { authenticate } from "../authenticate.ts";
import { recorded, type UseCaseContext } from "../context.ts";
import { type Attribution, storeReasons } from "../decision-records.ts";
import { refusals, UseCaseError } from "../use-case-error.ts";
import type { ActingParty } from "./acting-party.ts";

/** How many delegations completing the task revoked. */
export interface Completed {
  readonly revoked: number;
}

/** Completes task `id` on behalf of `by`; an agent's refusal is logged as its `complete` deny. */
export function complete(ctx: UseCaseContext, by: ActingParty, id: string): Promise<Completed> {
  return recorded(ctx, async () => {
    const now = ctx.now();
    let actor = "operator";
    let presenter: Attribution | undefined;
    if (by.kind === "agent") {
      const { hops, leaf, by: attributed } = await authenticate(ctx, by.presentation, "complete", now);
      presenter = attributed;
      if (hops.length !== 1 || leaf.tsk !== id) {
        const message = "only the holder of the task's root grant may complete it";
        const reasons: Reason[] = [{ hop: hops.length - 1, code: "action_not_permitted", message }];
        throw new UseCaseError({
          status: 403,
          code: "forbidden",
          message,
          reasons,
          decision: {
            at: now,
            kind: "complete",
            decision: "deny",
            task: leaf.tsk,
            did: leaf.did,
            ...attributed,
            reasons: storeReasons(reasons),
          },
        });
      }
      actor = leaf.sub;
    }
    const task = await ctx.store.getTask(id);
    if (task === undefined) throw refusals.notFound(`task ${id} does not exist`);
    if (task.status !== "open") throw refusals.conflict(`task ${id} is already ${task.status}`);
    const result = await ctx.store.completeTask(id, {
      at: now,
      reason: `completed by ${actor}`,
      audit: {
        at: now,
        kind: "complete",
        decision: "allow",
        task: id,
        did: task.rootDid,
        ...presenter,
        reasons: [],
        detail: { by: actor },
      },
    });
    return { revoked: result.revoked.length };
  });
}
