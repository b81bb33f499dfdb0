/**
 * The published conformance vectors (issue 17): Baton's own verifier reaches every expected
 * decision, the vectors reach every reason code they can, and the committed file is exactly what
 * the generator writes (so a change to the token format or the cases cannot drift unnoticed).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { REASON_CODES } from "@baton/token";
import { CALL_BOUNDS } from "@baton/verifier";
import { afterAll, describe, expect, it } from "vitest";
import { reasonSet, runVector } from "./run-vector.ts";
import type { VectorFile } from "./vector-format.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const committedPath = path.join(here, "baton-vectors.json");
const committedText = readFileSync(committedPath, "utf8");
const file = JSON.parse(committedText) as VectorFile;

describe("Baton's verifier against the published vectors", () => {
  it.each(file.cases.map((vector) => [vector.name, vector] as const))(
    "reaches the expected decision for %s",
    async (_name, vector) => {
      const decision = await runVector(file, vector);
      expect({ decision: decision.decision, reasons: reasonSet(decision.reasons) }).toEqual({
        decision: vector.expected.decision,
        reasons: reasonSet(vector.expected.reasons),
      });
    },
  );
});

describe("the vector file", () => {
  it("reaches every reason code, or says why a code is out of its reach", () => {
    const reached = new Set(file.cases.flatMap((vector) => vector.expected.reasons.map((r) => r.code)));
    const outOfReach = Object.keys(file.reason_codes.out_of_reach);
    expect(REASON_CODES.filter((code) => !reached.has(code) && !outOfReach.includes(code))).toEqual([]);
    expect(outOfReach.filter((code) => reached.has(code))).toEqual([]);
    expect([...file.reason_codes.covered].sort()).toEqual([...reached].sort());
  });

  it("declares the call bounds Baton's verifier applies (they are not configurable there)", () => {
    expect(file.verifier.call_bounds).toEqual({
      max_depth: CALL_BOUNDS.maxDepth,
      max_members: CALL_BOUNDS.maxMembers,
      max_json_length: CALL_BOUNDS.maxJsonLength,
    });
  });

  it("holds valid chains of every length from 1 to the verifier's limit", () => {
    const allowedLengths = file.cases
      .filter((vector) => vector.expected.decision === "allow" && vector.environment === undefined)
      .map((vector) => vector.chain.split("~").length);
    for (let length = 1; length <= file.verifier.max_chain_length; length++) {
      expect(allowedLengths).toContain(length);
    }
  });

  it("names every case uniquely and gives every deny a reason", () => {
    expect(new Set(file.cases.map((vector) => vector.name)).size).toBe(file.cases.length);
    for (const vector of file.cases) {
      expect(vector.expected.reasons.length > 0).toBe(vector.expected.decision !== "allow");
    }
  });

  const scratch = mkdtempSync(path.join(tmpdir(), "baton-vectors-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("is exactly what the generator writes (run `pnpm vectors` after changing the format or the cases)", () => {
    const regenerated = path.join(scratch, "baton-vectors.json");
    const tsx = path.join(here, "..", "node_modules", ".bin", "tsx");
    execFileSync(tsx, ["--conditions=source", path.join(here, "generate.ts"), regenerated], {
      stdio: "pipe",
    });
    const text = readFileSync(regenerated, "utf8");
    // Compare a summary first so a failure points at the cases that changed, not at one long string.
    const names = (json: string) => (JSON.parse(json) as VectorFile).cases.map((vector) => vector.name);
    expect(names(text)).toEqual(names(committedText));
    expect(text === committedText).toBe(true);
  });
});
