/**
 * Cost per call of the Cedar evaluator the verifier and the service share (issue 7). Run:
 * `node --import tsx packages/policy/scripts/measure-evaluate.ts`. Prints µs per evaluation for an
 * allow and a step_up over the shipped default set. (bench/ is owned by the benchmark harness; this
 * script is meant to be called from it.)
 */
import { performance } from "node:perf_hooks";
import { loadPolicySet } from "../src/load-policy-set.ts";
import type { PolicyInput } from "../src/policy-types.ts";

const loaded = loadPolicySet();
if (!loaded.ok) throw loaded.error;
const set = loaded.value;
const now = 1_767_261_600;
const hops = [0, 1, 2].map((dpt) => ({ sub: `agent:a${dpt}`, did: `d${dpt}`, dpt, tsk: "t", iat: now - 60 }));
const input = (reversible: boolean): PolicyInput => ({
  kind: "use",
  now,
  hops,
  audience: "repo-tool",
  action: "repo.issues.delete",
  resource: "repo:acme/web/issues/1",
  args: { reason: "stale" },
  context: { reversible, sensitivity: "medium" },
});

for (const [label, question] of [
  ["allow", input(true)],
  ["step_up", input(false)],
] as const) {
  for (let i = 0; i < 500; i++) set.evaluate(question);
  const runs = 5000;
  const start = performance.now();
  for (let i = 0; i < runs; i++) set.evaluate(question);
  const micros = ((performance.now() - start) * 1000) / runs;
  process.stdout.write(`${label}: ${micros.toFixed(1)} µs per evaluation (${runs} runs)\n`);
}
