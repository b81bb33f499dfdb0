/**
 * The human view of a trace: the delegation tree from the root grant down, each hop with its
 * holder, capabilities, audiences, status, expiry and the decisions made under it.
 */
import { hopState } from "@baton/core";
import type { DecisionRecord, DelegationRecord } from "@baton/store";
import {
  decisionHop,
  describeActor,
  describeCapabilities,
  describeReporter,
  isoTime,
  relativeTime,
  shortId,
} from "./describe.ts";
import type { Trace } from "./investigation-source.ts";
import { printable } from "./printable.ts";
import type { Style } from "./style.ts";
import { renderTree, type TreeNode } from "./tree.ts";

/** Options of {@link renderDelegationTree}. */
export interface TreeViewOptions {
  readonly now: number;
  readonly style: Style;
  /** The delegation to mark as the one asked about. */
  readonly highlight?: string;
  /** Most decisions listed under one hop; the rest are counted. Default 8. */
  readonly decisionsPerHop?: number;
}

/** One decision as a short line: `✓ allow verify repo.issues.read on repo:acme/web/issues (repo-tool)`. */
export function describeDecision(decision: DecisionRecord, style: Style): string {
  const mark =
    decision.decision === "allow"
      ? style.green("✓ allow")
      : decision.decision === "step_up"
        ? style.yellow("? step_up")
        : style.red("✗ deny");
  const what = printable(
    [
      decision.kind,
      decision.action ?? "",
      decision.resource === null ? "" : `on ${decision.resource}`,
      decision.audience === null ? "" : `at ${decision.audience}`,
    ]
      .filter((part) => part !== "")
      .join(" "),
  );
  const codes = decision.reasons.map((reason) =>
    printable(reason.hop === null || reason.hop === undefined ? reason.code : `${reason.code}@${reason.hop}`),
  );
  const who = printable(`actor ${describeActor(decision)} · reporter ${describeReporter(decision)}`);
  return `${mark} ${what}${codes.length === 0 ? "" : ` ${style.bold(`(${codes.join(", ")})`)}`} ${style.dim(`${who} · ${isoTime(decision.at)}`)}`;
}

/** The hop's state as the service computes it (without a token version, it is never due). */
function statusText(delegation: DelegationRecord, now: number, style: Style): string {
  const state = hopState(delegation, undefined, now);
  if (state === "revoked") return style.red("revoked");
  if (state === "expired") return style.yellow("expired");
  return style.green("live");
}

function nodeFor(
  delegation: DelegationRecord,
  children: readonly TreeNode[],
  decisions: readonly DecisionRecord[],
  options: TreeViewOptions,
): TreeNode {
  const { style, now } = options;
  const from = printable(delegation.from ?? "operator");
  const marker = options.highlight === delegation.did ? style.cyan("  ◀ traced") : "";
  const label = `${style.bold(printable(delegation.to))} ${style.dim(`from ${from}`)}  ${statusText(delegation, now, style)}  did ${printable(delegation.did)}${marker}`;
  const details = [
    `can: ${describeCapabilities(delegation.cap)}`,
    // A revoked hop never "expires in …": its end came with the revocation, shown below.
    `for: ${printable(delegation.aud.join(", "))}   ${delegation.status === "revoked" ? `would have expired ${isoTime(delegation.exp)}` : `expires ${isoTime(delegation.exp)} (${relativeTime(delegation.exp, now)})`}   may delegate ${delegation.mdp} more`,
  ];
  if (delegation.intent !== null) details.push(`intent: ${printable(delegation.intent)}`);
  if (delegation.status === "revoked") {
    details.push(
      style.red(
        `revoked ${delegation.revokedAt === null ? "" : isoTime(delegation.revokedAt)}${delegation.revokeReason === null ? "" : `: ${printable(delegation.revokeReason)}`}${delegation.revokeCause === null ? "" : ` (${printable(delegation.revokeCause)})`}`,
      ),
    );
  }
  const limit = options.decisionsPerHop ?? 8;
  const oldestFirst = [...decisions].sort((a, b) => a.id - b.id);
  for (const decision of oldestFirst.slice(0, limit)) details.push(describeDecision(decision, style));
  if (oldestFirst.length > limit) {
    details.push(style.dim(`… ${oldestFirst.length - limit} more: baton decisions --did ${delegation.did}`));
  }
  return { label, details, children };
}

/**
 * Renders delegations as a tree from their roots. Delegations whose parent is not in the list are
 * roots. Decisions are attached to the hop whose `did` they name.
 */
export function renderDelegationTree(
  delegations: readonly DelegationRecord[],
  decisions: readonly DecisionRecord[],
  options: TreeViewOptions,
): string[] {
  const known = new Set(delegations.map((d) => d.did));
  const byParent = new Map<string | null, DelegationRecord[]>();
  for (const delegation of delegations) {
    const parent = delegation.parent !== null && known.has(delegation.parent) ? delegation.parent : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), delegation]);
  }
  const byDid = new Map<string, DecisionRecord[]>();
  for (const decision of decisions) {
    const hop = decisionHop(decision);
    if (hop === null) continue;
    byDid.set(hop, [...(byDid.get(hop) ?? []), decision]);
  }
  const build = (parent: string | null): TreeNode[] =>
    (byParent.get(parent) ?? []).map((delegation) =>
      nodeFor(delegation, build(delegation.did), byDid.get(delegation.did) ?? [], options),
    );
  return [options.style.dim("operator"), ...renderTree(build(null))];
}

/** The tree of a trace: the path from the root grant to the delegation, and everything below it. */
export function renderTrace(trace: Trace, options: Omit<TreeViewOptions, "highlight">): string[] {
  const lines = renderDelegationTree(
    [...trace.ancestors, trace.delegation, ...trace.descendants],
    trace.decisions,
    { ...options, highlight: trace.delegation.did },
  );
  const versions = trace.versions.length;
  lines.push(
    "",
    `task ${printable(trace.delegation.task)}; ${trace.ancestors.length} hop(s) above, ${trace.descendants.length} below; ${versions} token version(s) of ${shortId(trace.delegation.did)}; ${trace.decisions.length} decision(s)${trace.decisionsNext === null ? "" : " shown, newest first"}`,
  );
  if (trace.decisionsNext !== null) {
    lines.push(
      options.style.yellow(
        `more decisions on this path: baton decisions --path ${trace.delegation.did} --cursor ${trace.decisionsNext}`,
      ),
    );
  }
  return lines;
}
