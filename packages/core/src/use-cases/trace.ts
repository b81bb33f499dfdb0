/** Trace and inspect: a delegation, or a task's tree, with everything around it, for an investigator. */

import { recorded, type UseCaseContext } from "../context.ts";
import { type TaskTree, taskTreeOf } from "../task-tree.ts";
import { type Trace, traceOf } from "../trace-assembly.ts";
import { refusals } from "../use-case-error.ts";

/** Traces delegation `did`: its ancestors, descendants, token versions and first page of decisions. */
export function trace(ctx: UseCaseContext, did: string): Promise<Trace> {
  return recorded(ctx, async () => {
    const found = await traceOf(ctx.store, did);
    if (found === undefined) throw refusals.notFound(`delegation ${did} does not exist`);
    return found;
  });
}

/** A task's tree now: each hop's state, latest token times and what narrowed at it. */
export function inspectTask(ctx: UseCaseContext, id: string): Promise<TaskTree> {
  return recorded(ctx, async () => {
    const tree = await taskTreeOf(ctx.store, id, ctx.now());
    if (tree === undefined) throw refusals.notFound(`task ${id} does not exist`);
    return tree;
  });
}
