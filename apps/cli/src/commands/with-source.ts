/** Runs read-only work on the --db file or, without --db, on the service. */
import type { CommandContext } from "../command-context.ts";
import { type InvestigationSource, serviceSource, storeSource } from "../investigation-source.ts";

/** Calls `work` with the source the arguments name, and closes a database afterwards. */
export async function withSource<T>(
  ctx: CommandContext,
  work: (source: InvestigationSource) => Promise<T>,
): Promise<T> {
  if (!ctx.usesDatabase()) return work(serviceSource(ctx.operator()));
  const store = await ctx.openDatabase();
  try {
    return await work(storeSource(store, () => ctx.now()));
  } finally {
    await store.close();
  }
}
