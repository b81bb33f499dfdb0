/** Trace and inspect: a delegation, or a task's tree, with everything around it, for an investigator. */

import { recorded, type UseCaseContext } from "../context.ts";
import { type ExportFormat, exportDecisions } from "../decision-export.ts";
import {
  allMatchingDecisions,
  type DecisionSearchPage,
  type DecisionSearchRequest,
  parseDecisionSearch,
  searchDecisions,
} from "../decision-search.ts";
import { decisionById, type Explanation, explainDecision, explanationFactsOf } from "../explanation.ts";
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

/** Explains decision `id`: the proof of an allow, or the first failing hop of a refusal (issue 22). */
export function explain(ctx: UseCaseContext, id: number): Promise<Explanation> {
  return recorded(ctx, async () => {
    const decision = await decisionById(ctx.store, id);
    if (decision === undefined) throw refusals.notFound(`decision ${id} does not exist: check the id`);
    return explainDecision(await explanationFactsOf(ctx.store, decision));
  });
}

/** One page of the decisions matching search `q` (see decision-search.ts for the grammar). */
export function findDecisions(
  ctx: UseCaseContext,
  request: Omit<DecisionSearchRequest, "search"> & { readonly q: string },
): Promise<DecisionSearchPage> {
  return recorded(ctx, async () => {
    const { q, ...rest } = request;
    return searchDecisions(ctx.store, { ...rest, search: parseDecisionSearch(q, ctx.now()) });
  });
}

/** The decisions matching `q` (oldest first, at most {@link EXPORT_LIMIT}) as a file in `format`. */
export function exportMatchingDecisions(
  ctx: UseCaseContext,
  request: {
    readonly q: string;
    readonly task?: string | undefined;
    readonly did?: string | undefined;
    readonly format: ExportFormat;
  },
): Promise<{ readonly body: string; readonly count: number; readonly truncated: boolean }> {
  return recorded(ctx, async () => {
    const search = parseDecisionSearch(request.q, ctx.now());
    const { items, truncated } = await allMatchingDecisions(ctx.store, {
      search,
      task: request.task,
      did: request.did,
    });
    return { body: exportDecisions(items, request.format), count: items.length, truncated };
  });
}
