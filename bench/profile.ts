/**
 * Profiles one chain-verification figure: runs it in a loop under the V8 CPU profiler and prints
 * the functions with the most self time. Usage:
 *
 *   node --conditions=source --import tsx bench/profile.ts [depth=5] [cold|warm] [proof|noproof] [seconds=5]
 *
 * The .cpuprofile is written to bench/results/profiles/ (open it in Chrome DevTools).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createVerifier,
  memoryRevocations,
  ReplayCache,
  SignatureCache,
  staticKeys,
  verifyPresentation,
} from "@baton/verifier";
import {
  AUDIENCE,
  benchChain,
  DEFAULT_CALL,
  freshProof,
  ISSUER,
  jwks,
  NOW,
  pureCoreEnvironment,
  REQUEST_URL,
} from "./lib/chains.ts";
import { type CpuProfile, topSelfTime } from "./lib/cpu-profile.ts";

const [depthArg = "5", cacheArg = "cold", proofArg = "proof", secondsArg = "5"] = process.argv.slice(2);
const depth = Number(depthArg);
const cold = cacheArg === "cold";
const withProof = proofArg === "proof";
const seconds = Number(secondsArg);
const chain = benchChain(depth);
const keys = staticKeys(jwks);
const signatureCache = new SignatureCache(1_000);
const verifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  keys,
  revocations: memoryRevocations(),
  clock: () => NOW,
  signatureCache,
  replayCache: new ReplayCache(10_000_000, 90),
});
const proofs = Array.from({ length: 20_000 }, () => freshProof(chain));
const call = { ...DEFAULT_CALL, chain: chain.chain, method: "POST", url: REQUEST_URL, now: NOW };

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
const coreEnvironment = pureCoreEnvironment(signatureCache);
const end = performance.now() + seconds * 1000;
let calls = 0;
while (performance.now() < end) {
  if (cold) signatureCache.clear();
  if (withProof) {
    const decision = await verifier.verify({ ...call, proof: proofs[calls % proofs.length] });
    if (decision.decision !== "allow" && calls < proofs.length)
      throw new Error(JSON.stringify(decision.reasons));
  } else {
    verifyPresentation(call, coreEnvironment);
  }
  calls++;
}
const { profile } = (await session.post("Profiler.stop")) as { profile: CpuProfile };
session.disconnect();
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results", "profiles");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `chain-d${depth}-${cacheArg}-${proofArg}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
console.log(`${calls} calls in ${seconds} s: ${((seconds * 1e6) / calls).toFixed(1)} µs per call`);
console.log(`profile: ${path.relative(process.cwd(), file)}`);
console.log("self time, top 15:");
for (const row of topSelfTime(profile, 15)) {
  console.log(`  ${row.percent.toFixed(1).padStart(5)} %  ${row.name}  ${row.location}`);
}
