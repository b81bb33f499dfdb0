/**
 * Smoke tests of the real `baton` bin in a child process: help, `--json` output that is JSON and
 * nothing else, and serve until SIGTERM.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { OPERATOR_TOKEN, tempDir } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../bin/baton.js", import.meta.url));

/** Runs the bin to completion; stdout and stderr as text. */
async function runBin(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, "exit");
  return { code, stdout, stderr };
}

describe("the baton bin", () => {
  const temp = tempDir("baton-bin-");
  afterAll(() => temp.remove());

  test("prints help and exits 0; exits 2 on an unknown command", async () => {
    const help = spawn(process.execPath, [BIN, "help"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    help.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const [code] = await once(help, "exit");
    expect(code).toBe(EXIT_CODES.ok);
    expect(out).toContain("usage: baton");
    const bad = spawn(process.execPath, [BIN, "frobnicate"], { stdio: "ignore" });
    expect((await once(bad, "exit"))[0]).toBe(EXIT_CODES.usage);
  });

  test("serve prints its URL, answers /healthz, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", join(temp.dir, "s.db")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent", NO_COLOR: "1" },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buffered = "";
        child.stdout.on("data", (chunk: Buffer) => {
          buffered += chunk.toString();
          const line = buffered.split("\n")[0];
          if (buffered.includes("\n") && line !== undefined) resolve(line.trim());
        });
        child.once("exit", (code) => reject(new Error(`serve exited early with ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // What the README pipes into other tools: stdout is one JSON document and nothing else.
      const listed = await runBin(["agents", "list", "--url", url, "--json"], {
        ...process.env,
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
      });
      expect(listed.code).toBe(EXIT_CODES.ok);
      expect(JSON.parse(listed.stdout)).toEqual({ items: [] });
      const version = await runBin(["--version", "--json"]);
      expect(JSON.parse(version.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      expect((await exited)[0]).toBe(EXIT_CODES.ok);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
