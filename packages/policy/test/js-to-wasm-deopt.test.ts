import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { hasJsToWasmDeoptBug } from "../src/js-to-wasm-inlining.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");

describe("Cedar evaluation and V8's JS-to-Wasm deoptimization", () => {
  test("keeps the process alive when the optimized evaluator is deoptimized during its Wasm call", () => {
    // A child process: on an affected V8 without the fix, this aborts the whole process (SIGTRAP).
    const child = spawnSync(
      process.execPath,
      [
        "--allow-natives-syntax",
        "--conditions=source",
        "--import",
        "tsx",
        path.join(here, "fixtures/deopt-during-cedar.ts"),
      ],
      { cwd: repoRoot, encoding: "utf8", timeout: 60_000 },
    );
    expect(child.stderr).not.toContain("Fatal error");
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    expect(child.stdout).toContain("survived a deoptimization during the Wasm call: allow");
  });

  test("applies the workaround on V8 11 and 12 (Node 20, 22) and not on V8 13 (Node 24)", () => {
    expect(hasJsToWasmDeoptBug("11.3.244.8-node.33")).toBe(true);
    expect(hasJsToWasmDeoptBug("12.4.254.21-node.33")).toBe(true);
    expect(hasJsToWasmDeoptBug("13.6.233.17-node.35")).toBe(false);
  });
});
