/**
 * The catalog of conformance cases, one file per group under cases/. Every expectation is written
 * from DESIGN.md's rules ("Re-authorizing a chain", "Presenting a chain"), never read back from
 * Baton's verifier: the runner test then proves Baton's verifier agrees with each one.
 */
import { chainCases } from "./cases/chain.ts";
import { depthAndWideningCases } from "./cases/depth-and-widening.ts";
import { dpopCases } from "./cases/dpop.ts";
import { headerCases } from "./cases/header.ts";
import { buildKit, type CaseInput, type CaseKit, present } from "./cases/kit.ts";
import { payloadCases } from "./cases/payload.ts";
import { policyAndReportingCases } from "./cases/policy-and-reporting.ts";
import { requestCases } from "./cases/request.ts";
import { shapeCases } from "./cases/shape.ts";
import { signatureCases } from "./cases/signature.ts";
import { timeAndStatusCases } from "./cases/time-and-status.ts";
import { validCases } from "./cases/valid.ts";
import type { VectorCase } from "./vector-format.ts";

/** The groups in the order the file lists them: DESIGN.md's order of checks. */
const GROUPS: readonly [string[], (kit: CaseKit) => Promise<CaseInput[]>][] = [
  [["valid"], validCases],
  [["shape"], shapeCases],
  [["header"], headerCases],
  [["signature"], signatureCases],
  [["payload"], payloadCases],
  [["chain"], chainCases],
  [["depth", "widening"], depthAndWideningCases],
  [["time", "status"], timeAndStatusCases],
  [["request"], requestCases],
  [["dpop"], dpopCases],
  [["policy", "reporting"], policyAndReportingCases],
];

export async function buildCases(): Promise<VectorCase[]> {
  const kit = await buildKit();
  const cases: VectorCase[] = [];
  for (const [groups, build] of GROUPS) {
    for (const input of await build(kit)) {
      const vector = present(input);
      if (!groups.includes(vector.group)) throw new Error(`${vector.name} is not in ${groups.join(" or ")}`);
      cases.push(vector);
    }
  }
  // Within a file, its groups in order.
  const order = GROUPS.flatMap(([groups]) => groups);
  cases.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
  const names = new Set<string>();
  for (const vector of cases) {
    if (names.has(vector.name)) throw new Error(`two cases are named ${vector.name}`);
    names.add(vector.name);
  }
  return cases;
}
