/**
 * "Why was this allowed?" (issue 22): the proof behind one logged decision, assembled from the
 * graph as it stood at the decision's time. For an allow, every hop of the chain: the parent
 * capability that covers each of the hop's own, its time checks against their bounds, whether it
 * was revoked at that moment, and the policy that permitted the call. For a deny (or a step-up),
 * the first failing hop with every check that failed there and its evidence.
 *
 * {@link explainDecision} is pure over {@link ExplanationFacts}; {@link explanationFactsOf} reads
 * those facts through the store port. The service (`GET /v1/decisions/{id}/explanation`) and
 * `baton explain <id>` (on --db or the service) both answer with this one assembly.
 */
import type {
  DecisionReason,
  DecisionRecord,
  DelegationRecord,
  Store,
  TaskRecord,
  TokenRecord,
} from "@baton/store/contract";
import { type Capability, covers } from "@baton/token";
import { capabilityText, durationText } from "./narrowing-words.ts";

/** One hop of the explained chain, as the graph knows it. */
export interface HopFacts {
  /** The did the chain named at this position; null when the token did not verify far enough to name one. */
  readonly did: string | null;
  readonly delegation: DelegationRecord | undefined;
  /** Every issued token version of the hop, oldest first. */
  readonly versions: readonly TokenRecord[];
}

/** Everything {@link explainDecision} reads. */
export interface ExplanationFacts {
  readonly decision: DecisionRecord;
  /** Root first. */
  readonly hops: readonly HopFacts[];
  readonly task: TaskRecord | undefined;
}

/** One parent capability covering one of the hop's own (the parent is null on a root grant). */
export interface Coverage {
  readonly capability: Capability;
  readonly coveredBy: Capability | null;
  readonly ok: boolean;
  readonly text: string;
}

/** One time of the hop against the decision's moment or the parent's bound. */
export interface TimeCheck {
  readonly check: "issued" | "expires" | "revalidate_by" | "within_parent";
  readonly at: number;
  readonly bound: number;
  readonly ok: boolean;
  readonly text: string;
}

/** A hop's revocation state at the decision's moment. */
export interface RevocationAtTime {
  readonly state: "live" | "revoked_later" | "same_second" | "revoked";
  readonly revokedAt: number | null;
  readonly text: string;
}

/** A check that failed, as the decision recorded it. */
export interface FailedCheck {
  readonly code: string;
  readonly message: string;
  readonly claim: string | null;
  readonly evidence: Readonly<Record<string, unknown>> | null;
  readonly policies: readonly string[];
}

/** The proof of one hop. */
export interface HopProof {
  /** Position in the chain, 0 for the root grant. */
  readonly hop: number;
  readonly did: string | null;
  readonly from: string | null;
  readonly holder: string | null;
  /** The token version in force at the decision's moment, when known. */
  readonly version: number | null;
  readonly coverage: readonly Coverage[];
  readonly times: readonly TimeCheck[];
  readonly revocation: RevocationAtTime | null;
  /** The checks the decision recorded as failing at this hop. */
  readonly failed: readonly FailedCheck[];
  readonly ok: boolean;
}

/** The answer to "why?" for one decision. */
export interface Explanation {
  readonly decision: DecisionRecord;
  readonly question: string;
  /** One sentence. */
  readonly summary: string;
  /** Allow: every hop. Deny or step-up: every hop up to and including the first failing one. */
  readonly hops: readonly HopProof[];
  /** The first hop with a failed check (deny, step-up); null for an allow. */
  readonly firstFailingHop: number | null;
  /** Failed checks not tied to any hop (the proof of possession, the audience, …). */
  readonly chainFailures: readonly FailedCheck[];
  /** The policies the decision recorded: that permitted an allow, or that refused. */
  readonly policies: readonly string[];
  readonly policyText: string;
  readonly task: { readonly id: string; readonly status: string; readonly closedAt: number | null } | null;
}

const iso = (at: number): string => new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

function failedCheck(reason: DecisionReason): FailedCheck {
  return {
    code: reason.code,
    message: reason.message,
    claim: reason.claim ?? null,
    evidence: (reason.evidence as Readonly<Record<string, unknown>> | undefined) ?? null,
    policies: reason.policies ?? [],
  };
}

/** The token version in force at `at`: the decision's own `jti` for the leaf, else the newest issued by then. */
function versionAt(
  versions: readonly TokenRecord[],
  at: number,
  jti: string | null,
): TokenRecord | undefined {
  const named = jti === null ? undefined : versions.find((version) => version.jti === jti);
  if (named !== undefined) return named;
  return versions.filter((version) => version.iat <= at).at(-1);
}

function coverageOf(delegation: DelegationRecord, parent: DelegationRecord | undefined): Coverage[] {
  return delegation.cap.map((capability) => {
    if (delegation.parent === null)
      return {
        capability,
        coveredBy: null,
        ok: true,
        text: `${capabilityText(capability)}: granted by the operator`,
      };
    const coveredBy = parent?.cap.find((candidate) => covers(candidate, capability)) ?? null;
    return {
      capability,
      coveredBy,
      ok: coveredBy !== null,
      text:
        coveredBy === null
          ? `${capabilityText(capability)}: NOT covered by any capability of the parent`
          : `${capabilityText(capability)}: covered by the parent's ${capabilityText(coveredBy)}`,
    };
  });
}

function timesOf(
  delegation: DelegationRecord,
  token: TokenRecord | undefined,
  parent: DelegationRecord | undefined,
  at: number,
): TimeCheck[] {
  const checks: TimeCheck[] = [];
  const gap = (a: number, b: number) => durationText(b - a);
  if (token !== undefined) {
    checks.push({
      check: "issued",
      at,
      bound: token.iat,
      ok: token.iat <= at,
      text: `issued ${iso(token.iat)}, ${token.iat <= at ? `${gap(token.iat, at)} before` : `${gap(at, token.iat)} AFTER`} the decision`,
    });
  }
  const exp = token?.exp ?? delegation.exp;
  checks.push({
    check: "expires",
    at,
    bound: exp,
    ok: at < exp,
    text:
      at < exp
        ? `expires ${iso(exp)}, ${gap(at, exp)} after the decision`
        : `had expired at ${iso(exp)}, ${gap(exp, at)} before the decision`,
  });
  if (token !== undefined) {
    checks.push({
      check: "revalidate_by",
      at,
      bound: token.rvl,
      ok: at < token.rvl,
      text:
        at < token.rvl
          ? `revalidate by ${iso(token.rvl)}, ${gap(at, token.rvl)} after the decision`
          : `revalidation was due at ${iso(token.rvl)}, ${gap(token.rvl, at)} before the decision`,
    });
  }
  if (parent !== undefined) {
    checks.push({
      check: "within_parent",
      at: delegation.exp,
      bound: parent.exp,
      ok: delegation.exp <= parent.exp,
      text:
        delegation.exp <= parent.exp
          ? `ends ${iso(delegation.exp)}, within the parent's ${iso(parent.exp)}`
          : `ends ${iso(delegation.exp)}, AFTER the parent's ${iso(parent.exp)}`,
    });
  }
  return checks;
}

function revocationAt(delegation: DelegationRecord, at: number): RevocationAtTime {
  const { revokedAt } = delegation;
  const why = `${delegation.revokeReason === null ? "" : `: ${delegation.revokeReason}`}${delegation.revokeCause === null ? "" : ` (${delegation.revokeCause})`}`;
  if (revokedAt === null) return { state: "live", revokedAt, text: "not revoked (then or since)" };
  if (revokedAt > at)
    return {
      state: "revoked_later",
      revokedAt,
      text: `not revoked then; revoked later, ${iso(revokedAt)}${why}`,
    };
  // Times are whole seconds: the log's order, not the clock, says which came first.
  if (revokedAt === at)
    return {
      state: "same_second",
      revokedAt,
      text: `revoked in the same second as the decision, ${iso(revokedAt)}${why}: the decision log's order says which came first`,
    };
  return { state: "revoked", revokedAt, text: `already revoked, ${iso(revokedAt)}${why}` };
}

function questionOf(outcome: DecisionRecord["decision"]): string {
  if (outcome === "allow") return "Why was this allowed?";
  if (outcome === "deny") return "Why was this denied?";
  return "Why was an approval asked for?";
}

/** Assembles the explanation of `facts.decision` (pure). */
export function explainDecision(facts: ExplanationFacts): Explanation {
  const { decision } = facts;
  const byHop = new Map<number, DecisionReason[]>();
  const chainFailures: FailedCheck[] = [];
  if (decision.decision !== "allow") {
    for (const reason of decision.reasons) {
      if (reason.hop === null || reason.hop === undefined) chainFailures.push(failedCheck(reason));
      else byHop.set(reason.hop, [...(byHop.get(reason.hop) ?? []), reason]);
    }
  }
  const failingHops = [...byHop.keys()].sort((a, b) => a - b);
  const firstFailingHop = failingHops[0] ?? null;
  // A refusal may fail at a hop past the presented chain: the hop a `delegate` asked for.
  const shown =
    firstFailingHop === null
      ? facts.hops
      : Array.from(
          { length: firstFailingHop + 1 },
          (_, index): HopFacts => facts.hops[index] ?? { did: null, delegation: undefined, versions: [] },
        );
  const requested = (decision.detail as { to?: unknown } | null)?.to;
  const hops = shown.map((hop, index): HopProof => {
    const failed = (byHop.get(index) ?? []).map(failedCheck);
    const delegation = hop.delegation;
    if (delegation === undefined)
      return {
        hop: index,
        did: hop.did,
        from: index === facts.hops.length ? (decision.chain?.at(-1)?.sub ?? null) : null,
        holder:
          decision.chain?.[index]?.sub ??
          (index === facts.hops.length && typeof requested === "string" ? requested : null),
        version: null,
        coverage: [],
        times: [],
        revocation: null,
        failed,
        ok: false,
      };
    const parent = facts.hops[index - 1]?.delegation;
    const token = versionAt(hop.versions, decision.at, index === facts.hops.length - 1 ? decision.jti : null);
    const coverage = coverageOf(delegation, parent);
    const times = timesOf(delegation, token, parent, decision.at);
    const revocation = revocationAt(delegation, decision.at);
    return {
      hop: index,
      did: hop.did,
      from: delegation.from,
      holder: delegation.to,
      version: token?.version ?? null,
      coverage,
      times,
      revocation,
      failed,
      ok:
        failed.length === 0 &&
        coverage.every((c) => c.ok) &&
        times.every((t) => t.ok) &&
        revocation.state !== "revoked",
    };
  });
  const recordedPolicies = (decision.detail as { policies?: unknown } | null)?.policies;
  const policies = [
    ...new Set([
      ...(Array.isArray(recordedPolicies)
        ? recordedPolicies.filter((p): p is string => typeof p === "string")
        : []),
      ...decision.reasons.flatMap((reason) => reason.policies ?? []),
    ]),
  ];
  const policyText =
    decision.decision === "allow"
      ? policies.length > 0
        ? `permitted by policy ${policies.join(", ")}`
        : decision.kind === "verify" || decision.kind === "report"
          ? "no policy id was recorded: the runtime policy allowed the call without naming one (allow-all, or a row written before policy ids were logged)"
          : `a ${decision.kind} is not put to the runtime policy`
      : policies.length > 0
        ? `refused by policy ${policies.join(", ")}`
        : "no policy refused it";
  const holder = decision.agent ?? decision.chain?.at(-1)?.sub ?? "the operator";
  const failing = firstFailingHop === null ? undefined : hops[firstFailingHop];
  const summary =
    decision.decision === "allow"
      ? `${decision.kind} by ${holder} was allowed: ${hops.length} hop(s) each covered by its parent, in time and not revoked; ${policyText}.`
      : failing !== undefined
        ? `${decision.kind} by ${holder} was ${decision.decision === "deny" ? "denied" : "sent for approval"} at hop ${failing.hop} (${failing.holder ?? "unknown holder"}): ${failing.failed.map((f) => f.code).join(", ")}.`
        : `${decision.kind} by ${holder} was ${decision.decision === "deny" ? "denied" : "sent for approval"} before any hop was reached: ${chainFailures.map((f) => f.code).join(", ") || "no reason was recorded"}.`;
  return {
    decision,
    question: questionOf(decision.decision),
    summary,
    hops,
    firstFailingHop,
    chainFailures,
    policies,
    policyText,
    task:
      facts.task === undefined
        ? null
        : { id: facts.task.id, status: facts.task.status, closedAt: facts.task.closedAt },
  };
}

/** The decision with id `id`, or undefined. */
export async function decisionById(store: Store, id: number): Promise<DecisionRecord | undefined> {
  const page = await store.queryDecisions({ order: "oldest", cursor: id - 1, limit: 1 });
  const found = page.items[0];
  return found?.id === id ? found : undefined;
}

/**
 * The facts behind `decision`: the chain it presented (root first), or, for a decision about
 * one delegation with no chain (a grant, a revocation), the path from the root grant down to it.
 */
export async function explanationFactsOf(store: Store, decision: DecisionRecord): Promise<ExplanationFacts> {
  const dids: (string | null)[] =
    decision.chain !== null
      ? decision.chain.map((hop) => hop.did)
      : decision.did === null
        ? []
        : (await store.ancestors(decision.did)).map((record) => record.did);
  const hops = await Promise.all(
    dids.map(
      async (did): Promise<HopFacts> => ({
        did,
        delegation: did === null ? undefined : await store.getDelegation(did),
        versions: did === null ? [] : await store.tokenVersions(did),
      }),
    ),
  );
  return {
    decision,
    hops,
    task: decision.task === null ? undefined : await store.getTask(decision.task),
  };
}
