/**
 * Policy evaluation cost per call. The Cedar evaluator (@baton/policy) is not available yet, so
 * this measures the verifier's PolicyHook overhead: a warm depth-5 call through the pure core with
 * and without a trivial hook that allows everything. The difference is what the hook plumbing
 * (building the PolicyContext, the call) adds on top of whatever the policy itself costs.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
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
  readonly cedarAvailable: boolean;
  readonly without: Summary;
  readonly trivialHook: Summary;
}

/** Whether @baton/policy has an entry point yet (it is being written in parallel). */
export function cedarEvaluatorAvailable(): boolean {
  return existsSync(fileURLToPath(new URL("../../packages/policy/src/index.ts", import.meta.url)));
}

export function measurePolicy(quick: boolean): PolicyResults {
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
  const presentation = { ...DEFAULT_CALL, chain: chain.chain, method: "POST", url: REQUEST_URL };
  const samples = quick ? 300 : 3_000;
  const run = (env: RequestEnvironment) =>
    measureSync(
      () => {
        if (verifyPresentation(presentation, env).decision !== "allow")
          throw new Error("policy bench: denied");
      },
      { samples, batch: 10 },
    );
  // Interleave the two so drift in machine load hits both alike.
  const withoutEnv = environment(undefined);
  const hookEnv = environment(allowAll);
  run(withoutEnv);
  run(hookEnv);
  return { cedarAvailable: cedarEvaluatorAvailable(), without: run(withoutEnv), trivialHook: run(hookEnv) };
}

export function policySection(results: PolicyResults): Section {
  const overhead = results.trivialHook.medianUs - results.without.medianUs;
  return {
    id: "policy",
    title: "Policy evaluation cost per call",
    intro:
      "A warm depth-5 call through the pure core (signatures cached, no proof), with no policy and with a trivial `PolicyHook` that allows everything; samples are batches of 10 calls.",
    headers: ["figure", ...TIMING_HEADERS],
    rows: [
      ["warm depth 5, no policy", ...timingCells(results.without)],
      ["warm depth 5, trivial allow hook", ...timingCells(results.trivialHook)],
      ["Cedar policy evaluation (@baton/policy)", "TODO", "", "", "", "", ""],
    ],
    notes: [
      `Hook overhead (difference of medians): ${formatTime(overhead)} per call. It is within the noise when it is near zero or negative.`,
      results.cedarAvailable
        ? "TODO: Cedar evaluator not yet benched. @baton/policy had an entry point in the working tree when this ran (being written in parallel, not yet committed); add its evaluator to bench/suites/policy.ts once it lands. No Cedar figure is reported; none is estimated."
        : "TODO: Cedar evaluator not yet available (@baton/policy has no entry point when this ran). No Cedar figure is reported; none is estimated.",
    ],
    targets: [],
    data: results,
  };
}
