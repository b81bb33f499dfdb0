/**
 * Serving a Token Status List: list `n`'s bits as they are in the graph now, signed. Anyone may
 * read it; a list never opened is `status_list_not_found`.
 */
import type { UseCaseContext } from "../context.ts";
import { statusListToken } from "../status-lists.ts";
import { UseCaseError } from "../use-case-error.ts";

/** Highest list number a store keeps: anything above it was never opened. */
const MAX_LIST = 2 ** 31 - 1;

/** The signed status list token of list `list`. */
export async function statusList(ctx: UseCaseContext, list: number): Promise<string> {
  const opened = Number.isSafeInteger(list) && list >= 0 && list <= MAX_LIST;
  const bits = opened ? await ctx.store.statusListBits(list) : undefined;
  if (bits === undefined) {
    throw new UseCaseError({
      status: 404,
      code: "status_list_not_found",
      message: `no status list ${list} has been opened; a token's status.status_list.uri names the lists that exist`,
    });
  }
  return statusListToken({
    issuer: ctx.settings.issuer,
    list,
    bytes: bits.bytes,
    now: ctx.now(),
    ttl: ctx.statusListTtl,
    key: ctx.keys.active(),
  });
}
