import { performance } from "node:perf_hooks";
import { createCedarPolicy, loadPolicySet } from "@baton/policy";

const loaded = loadPolicySet();
if (!loaded.ok) throw loaded.error;
const cedar = createCedarPolicy(loaded.value);
const now = 1_767_261_600;
const hops = [0, 1, 2, 3, 4].map((dpt) => ({
  sub: `agent:a${dpt}`,
  dlg: dpt ? `agent:a${dpt - 1}` : undefined,
  did: `d${dpt}`,
  dpt,
  tsk: "t",
  iat: now - 60,
  cap: [],
  aud: ["x"],
})) as never;
const q = {
  kind: "use" as const,
  now,
  hops,
  audience: "repo-tool",
  action: "repo.issues.create",
  resource: "repo:acme/web/issues",
  args: {},
  context: { reversible: true, sensitivity: "low" },
};
for (let i = 0; i < 300; i++) cedar(q);
const t = performance.now();
for (let i = 0; i < 2000; i++) cedar(q);
console.log((((performance.now() - t) * 1000) / 2000).toFixed(1), "us");
