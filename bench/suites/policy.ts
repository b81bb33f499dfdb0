/**
 * Policy evaluation cost per call: the shipped Cedar set (@baton/policy) evaluated on its own, for
 * an allow and a step_up, and a warm depth-5 verification through the pure core with no policy,
 * with a trivial allow hook, and with the Cedar hook the verifier and the service both use.
 */
import { createCedarPolicy, loadPolicySet } from "@baton/policy";
import type { TokenClaims } from "@baton/token";
import {
  type PolicyContext,
  type PolicyHook,
  ReplayCache,
  type RequestEnvironment,
  SignatureCache,
  staticKeys,
  verifyPresentation,
} from "@baton/verifier";
import { AUDIENCE, benchChain, DEFAULT_CALL, ISSUER, jwks, NOW, REQUEST_URL } from "../lib/chains.ts";
import type { Section } from "../lib/report.ts";
import { formatTime, measureSync, type Summary, TIMING_HEADERS, timingCells } from "../lib/stats.ts";

export interface PolicyResults {
  readonly without: Summary;
  readonly trivialHook: Summary;
  readonly cedarHook: Summary;
  /** The Cedar hook on the same call each time: every answer after the first is remembered. */
  readonly cedarHookRemembered: Summary;
  readonly cedarAllow: Summary;
  /** The same allow each time: the answer is remembered (@baton/policy's answer memo). */
  readonly cedarAllowRemembered: Summary;
  readonly cedarStepUp: Summary;
  /** A delegation outside the task's declared hours: the business-hours forbid reads the most. */
  readonly cedarDelegateDeny: Summary;
  /** The same allow, with the whole request checked against the schema on each call. */
  readonly cedarAllowValidated: Summary;
  /** Per round (validated, default, validated, …): default (lean request) median ÷ validated median. */
  readonly validationRatios: readonly number[];
}

export function measurePolicy(quick: boolean): PolicyResults {
  const loaded = loadPolicySet();
  if (!loaded.ok)
    throw new Error(`policy bench: the shipped policy set does not load: ${loaded.error.message}`);
  const cedar = createCedarPolicy(loaded.value);
  const validating = loadPolicySet({ validateRequests: true });
  if (!validating.ok) throw new Error(`policy bench: ${validating.error.message}`);
  const cedarValidated = createCedarPolicy(validating.value);
  const chain = benchChain(5);
  const keys = staticKeys(jwks);
  const allowAll: PolicyHook = () => ({ decision: "allow" });
  const environment = (policy: PolicyHook | undefined): RequestEnvironment => ({
    now: NOW,
    issuer: ISSUER,
    audience: AUDIENCE,
    resolveKey: (kid) => keys.resolve(kid),
    status: (hops) => hops.map(() => undefined),
    clockSkewSeconds: 30,
    maxChainLength: 16,
    maxTokenBytes: 8192,
    signatureCache: new SignatureCache(100),
    replayCache: new ReplayCache(10, 90),
    proofMaxAgeSeconds: 60,
    skipProof: true,
    policy,
  });
  // A reversible, low-sensitivity call is allowed by the default set at any depth.
  const presentation = {
    ...DEFAULT_CALL,
    chain: chain.chain,
    method: "POST",
    url: REQUEST_URL,
    context: { reversible: true, sensitivity: "low" },
  };
  const samples = quick ? 300 : 3_000;
  // Each call names a resource no call named before, so Cedar decides it: a remembered answer
  // (the policy set's answer memo) would time a map lookup instead.
  let serial = 0;
  const freshResource = () => `${DEFAULT_CALL.resource}/${++serial}`;
  const run = (env: RequestEnvironment, fresh = true) =>
    measureSync(
      () => {
        const call = fresh ? { ...presentation, resource: freshResource() } : presentation;
        if (verifyPresentation(call, env).decision !== "allow") throw new Error("policy bench: denied");
      },
      { samples, batch: 10 },
    );
  // The evaluator alone, on the policy context of this chain: an allow, and an irreversible call
  // below the first hop, which the default set answers with step_up.
  const question = (reversible: boolean, resource = freshResource()): PolicyContext => ({
    kind: "use",
    now: NOW,
    hops: chain.tokens.map((token) => token.claims as unknown as TokenClaims),
    audience: AUDIENCE,
    action: DEFAULT_CALL.action,
    resource,
    args: {},
    context: { reversible, sensitivity: "low" },
  });
  // Handing a hop on at NOW (a Sunday) in a task whose grant declared weekday hours.
  const delegation = (): PolicyContext => {
    const to = `agent:bench-next-${++serial}`;
    return {
      ...question(true),
      kind: "delegate",
      audience: "",
      action: "baton.delegate",
      resource: to,
      context: { to, taskHours: { days: [1, 2, 3, 4, 5], start: 540, end: 1020 } },
    };
  };
  const evaluate = (context: () => PolicyContext, expected: string, hook = cedar, n = samples) =>
    measureSync(
      () => {
        if (hook(context()).decision !== expected) throw new Error(`policy bench: expected ${expected}`);
      },
      { samples: n, batch: 10 },
    );
  const allow = () => question(true);
  const sameAllow = question(true, DEFAULT_CALL.resource);
  // Per-request schema validation on and off, interleaved in rounds: the ratio is per round.
  const validationRatios: number[] = [];
  let cedarAllowValidated = evaluate(allow, "allow", cedarValidated, 50);
  for (let round = 0; round < (quick ? 3 : 7); round++) {
    cedarAllowValidated = evaluate(allow, "allow", cedarValidated, samples / 3);
    const plain = evaluate(allow, "allow", cedar, samples / 3);
    validationRatios.push(plain.medianUs / cedarAllowValidated.medianUs);
  }
  const withoutEnv = environment(undefined);
  const hookEnv = environment(allowAll);
  const cedarEnv = environment(cedar);
  // Warm up each, then measure them one after the other so drift in machine load hits all alike.
  run(withoutEnv);
  run(hookEnv);
  run(cedarEnv);
  run(cedarEnv, false);
  return {
    without: run(withoutEnv),
    trivialHook: run(hookEnv),
    cedarHook: run(cedarEnv),
    cedarHookRemembered: run(cedarEnv, false),
    cedarAllow: evaluate(allow, "allow"),
    cedarAllowRemembered: evaluate(() => sameAllow, "allow"),
    cedarStepUp: evaluate(() => question(false), "step_up"),
    cedarDelegateDeny: evaluate(delegation, "deny"),
    cedarAllowValidated,
    validationRatios,
  };
}

export function policySection(results: PolicyResults): Section {
  const hookOverhead = results.trivialHook.medianUs - results.without.medianUs;
  const cedarOverhead = results.cedarHook.medianUs - results.without.medianUs;
  return {
    id: "policy",
    title: "Policy evaluation cost per call",
    intro:
      "The shipped Cedar policy set (`@baton/policy`, pre-parsed once, each call sending Cedar only what the policies can read) evaluated alone on a depth-5 chain's policy context, and a warm depth-5 call through the pure core (signatures cached, no proof) with no policy, a trivial allow hook, and the Cedar hook; samples are batches of 10 calls. Each call names a resource (a delegate, for the delegation) that no call named before, so Cedar decides it; the rows marked answer remembered repeat one call, whose answer the set remembers after the first (see @baton/policy's README, Remembered answers).",
    headers: ["figure", ...TIMING_HEADERS],
    rows: [
      ["Cedar evaluation, allow", ...timingCells(results.cedarAllow)],
      ["the same allow again (answer remembered)", ...timingCells(results.cedarAllowRemembered)],
      ["Cedar evaluation, step_up", ...timingCells(results.cedarStepUp)],
      ["Cedar evaluation, delegate outside business hours (deny)", ...timingCells(results.cedarDelegateDeny)],
      [
        "Cedar evaluation, allow, whole request schema-checked (validateRequests)",
        ...timingCells(results.cedarAllowValidated),
      ],
      ["warm depth 5, no policy", ...timingCells(results.without)],
      ["warm depth 5, trivial allow hook", ...timingCells(results.trivialHook)],
      ["warm depth 5, Cedar hook", ...timingCells(results.cedarHook)],
      [
        "warm depth 5, Cedar hook, the same call again (answer remembered)",
        ...timingCells(results.cedarHookRemembered),
      ],
    ],
    notes: [
      `Hook plumbing (difference of medians, trivial hook − none): ${formatTime(hookOverhead)} per call; within the noise when near zero or negative.`,
      `Cedar on the warm path (difference of medians, Cedar hook − none): ${formatTime(cedarOverhead)} per call.`,
      `With the lean request (the default: only the context attributes and entities the policies can read, parsed without the schema; property tests show the answers agree), an allow costs ${validationRatios(results)} of one with the whole request checked against the schema (per round, interleaved; median ${median(results.validationRatios).toFixed(2)}).`,
    ],
    targets: [
      {
        target: "Cedar per call at most half the whole-request path, same run (issue 21)",
        measured: `${median(results.validationRatios).toFixed(2)}× (median per-round ratio, allow)`,
        met: median(results.validationRatios) <= 0.5,
      },
    ],
    data: results,
  };
}

function validationRatios(results: PolicyResults): string {
  return results.validationRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(", ");
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
