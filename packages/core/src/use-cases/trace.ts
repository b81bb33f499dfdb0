/** Trace: a delegation with everything around it, for an investigator. */

import { recorded, type UseCaseContext } from "../context.ts";
import { type Trace, traceOf } from "../trace-assembly.ts";
import { refusals } from "../use-case-error.ts";

/** Traces delegation `did`: its ancestors, descendants, token versions and first page of decisions. */
export function trace(ctx: UseCaseContext, did: string): Promise<Trace> {
  return recorded(ctx, () => {
    const found = traceOf(ctx.store, did);
    if (found === undefined) throw refusals.notFound(`delegation ${did} does not exist`);
    return found;
  });
}
