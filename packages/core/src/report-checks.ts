/**
 * What a tool server may write into the decision log. A report is the tool server's word about a
 * decision its verifier made offline; the service cannot re-check the signatures or the proof it
 * saw, but it can refuse every report the graph contradicts, so that a tool server cannot write
 * rows about delegations, tasks or agents it never served (DESIGN.md, "Concepts": a decision names
 * its actor, its reporter and every hop of the presented chain).
 */
import type { DelegationRecord } from "@baton/store";
import type { Decision } from "@baton/verifier";

/** Why one report was refused; `code` is stable. */
export interface ReportRefusal {
  readonly code:
    | "unknown_delegation"
    | "task_mismatch"
    | "actor_mismatch"
    | "chain_broken"
    | "audience_mismatch"
    | "malformed";
  readonly message: string;
}

/**
 * Checks a reported decision against the graph. `delegation` looks a did up. Refuses: a verified hop
 * the graph does not know, or that belongs to another task, another holder or another parent; an
 * actor other than the presented leaf's holder; a task named without a chain; an allow without a fully verified, proven chain; and
 * a chain whose leaf `aud` does not name the reporter (except a deny for exactly that reason).
 */
export function checkReport(
  decision: Decision,
  reporterAudience: string,
  delegation: (did: string) => DelegationRecord | undefined,
): ReportRefusal | undefined {
  const { chain, presented, actor, task } = decision;
  if (chain.length === 0 && task !== null) {
    return { code: "task_mismatch", message: "a report without a verified hop cannot name a task" };
  }
  if (chain.length > presented.length) {
    return { code: "malformed", message: "the verified chain is longer than the presented one" };
  }
  let parent: DelegationRecord | undefined;
  for (const [index, entry] of chain.entries()) {
    const record = delegation(entry.did);
    if (record === undefined) {
      return { code: "unknown_delegation", message: `hop ${index}: delegation ${entry.did} does not exist` };
    }
    if (record.task !== task) {
      return {
        code: "task_mismatch",
        message: `hop ${index}: delegation ${entry.did} is not of task ${task}`,
      };
    }
    if (
      record.to !== entry.sub ||
      presented[index]?.did !== entry.did ||
      presented[index]?.sub !== entry.sub
    ) {
      return {
        code: "actor_mismatch",
        message: `hop ${index}: delegation ${entry.did} is held by ${record.to}`,
      };
    }
    if (record.depth !== index || record.parent !== (parent?.did ?? null)) {
      return {
        code: "chain_broken",
        message: `hop ${index}: delegation ${entry.did} is not at this place of a chain`,
      };
    }
    parent = record;
  }
  // Hops past the verified ones stay claims, recorded as unverified: a forged token naming a real
  // did is exactly what a tool server must be able to report, so it is not held against the report.
  const leaf = presented[presented.length - 1];
  if (actor.agent !== (leaf?.sub ?? null)) {
    return { code: "actor_mismatch", message: "the actor must be the holder of the presented leaf" };
  }
  const verifiedWhole = presented.length > 0 && chain.length === presented.length;
  if (decision.decision !== "deny" && !(verifiedWhole && actor.proven)) {
    return {
      code: "malformed",
      message: `a ${decision.decision} needs a fully verified chain and a proven actor`,
    };
  }
  const aud = verifiedWhole ? parent?.aud : undefined;
  const deniedForAudience =
    decision.decision === "deny" && decision.reasons.some((r) => r.code === "audience_mismatch");
  if (aud !== undefined && !aud.includes("*") && !aud.includes(reporterAudience) && !deniedForAudience) {
    return {
      code: "audience_mismatch",
      message: `the chain's aud does not name ${reporterAudience}, so it was never presented to it`,
    };
  }
  return undefined;
}
