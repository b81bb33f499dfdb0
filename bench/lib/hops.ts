/** Recorded hops for the store benchmarks: each with the audit decision the service would log. */
import type { HopInput } from "@baton/store";
import { decisionInput, hopInput, type Issued } from "@baton/store/conformance/fixtures";

/** A hop below `parent` to `to`, named `did`, with its delegator's `delegate` allow as its audit. */
export function auditedHop(parent: Issued, to: string, did: string): HopInput {
  const input = hopInput(parent, to);
  const audit = decisionInput({
    kind: "delegate",
    decision: "allow",
    reasons: [],
    did,
    jti: input.token.jti,
    task: parent.task,
    agent: parent.to,
  });
  return { ...input, delegation: { ...input.delegation, did }, audit };
}

/** Runs `task` `count` times, `concurrency` at a time. */
export async function inFlight(
  count: number,
  concurrency: number,
  task: () => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < count) await task();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
