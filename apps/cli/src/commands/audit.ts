/** `baton audit verify`: walk the decision log's hash chain and report the first broken row. */
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { createProgress } from "../progress.ts";

export const auditVerify: Command = {
  name: "audit verify",
  summary: "verify the decision log's hash chain (--db); exit 1 at the first broken row",
  usage: "--db <file> [--expect-head <hash>]",
  options: { "expect-head": { type: "string" } },
  help: [
    "A chain cannot show that the whole log was rewritten from some row on: keep the printed head hash",
    "elsewhere and pass it back with --expect-head to detect that too.",
  ],
  async run(ctx) {
    if (!ctx.usesDatabase()) {
      throw usageError(
        "auditing recomputes every row's hash from the file: pass --db <file> (the service's database)",
      );
    }
    const store = await ctx.openDatabase();
    try {
      const total = (await store.queryDecisions({ limit: 1 })).items[0]?.id ?? 0;
      const progress = createProgress(ctx.io.stderr, "verifying the decision log", total);
      const result = await store.verifyDecisionLog({
        onProgress: (rows) => progress.update(rows),
        progressEvery: 10_000,
      });
      progress.done();
      const expected = ctx.string("expect-head");
      const headMismatch = result.ok && expected !== undefined && expected !== result.headHash;
      if (ctx.json) ctx.printJson(headMismatch ? { ...result, ok: false, problem: "head_mismatch" } : result);
      else if (!result.ok) {
        ctx.print(
          ctx.style.red(
            `audit log broken at row ${result.firstBrokenId} (${result.problem}): ${result.reason}`,
          ),
          `${result.rows} row(s) checked before it`,
        );
      } else if (headMismatch) {
        ctx.print(
          ctx.style.red(
            `audit log head is ${result.headHash}, not the expected ${expected}: rewritten or truncated`,
          ),
        );
      } else {
        ctx.print(ctx.style.green(`audit log verified: ${result.rows} row(s), head ${result.headHash}`));
      }
      return result.ok && !headMismatch ? EXIT_CODES.ok : EXIT_CODES.failed;
    } finally {
      await store.close();
    }
  },
};
