/** The demo is the README's first command: it must run the whole story and exit 0. */
import { join } from "node:path";
import type { DecisionRecord } from "@baton/store";
import { afterAll, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { run } from "../src/run.ts";
import { baton, tempDir } from "./helpers.ts";

describe("baton demo", () => {
  const temp = tempDir("baton-demo-");
  afterAll(() => temp.remove());
  const db = join(temp.dir, "demo.db");
  let leafDid = "";

  test("plays the scenario with every refusal Baton should make, and verifies the audit log", async () => {
    const result = await baton(["demo", "--db", "demo.db"], { cwd: temp.dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(EXIT_CODES.ok);
    for (const outcome of [
      "scope_widening",
      "audience_mismatch",
      "revalidation_due",
      "revoked",
      "audit log verified",
    ])
      expect(result.stdout).toContain(outcome);
    expect(result.stdout).not.toContain("UNEXPECTED");
    expect(result.stdout).toContain("The database is demo.db");
    // The suggested commands run from where the demo ran: the bin's path from there, no pnpm.
    expect(result.stdout).not.toMatch(/\bpnpm\b/);
    leafDid = /node \S+\/bin\/baton\.js trace (?:--did=)?(\S+) --db demo\.db/.exec(result.stdout)?.[1] ?? "";
    expect(leafDid).not.toBe("");
  });

  test("--mcp plays the MCP scene: filtered tools/list, per-call refusals, revalidation, revocation", async () => {
    const result = await baton(["demo", "--mcp", "--db", "demo-mcp.db"], { cwd: temp.dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(EXIT_CODES.ok);
    for (const outcome of [
      "tools/list is filtered: read_issues, create_issue",
      "read_issues globex/web: action_not_permitted (tool error result)",
      "create_issue priority 5 (lim max 3): action_not_permitted",
      "read_issues after revalidation: allowed",
      "read_issues after revocation: revoked (HTTP 401)",
      "audit log verified",
    ])
      expect(result.stdout).toContain(outcome);
    expect(result.stdout).not.toContain("UNEXPECTED");
  });

  test("leaves a database that the investigation commands read", async () => {
    const trace = await baton(["trace", `--did=${leafDid}`, "--db", db, "--json"]);
    expect(trace.code).toBe(EXIT_CODES.ok);
    const parsed = JSON.parse(trace.stdout);
    expect(parsed.delegation).toMatchObject({ to: "agent:notifier", status: "revoked" });
    expect(parsed.ancestors.map((a: { to: string }) => a.to)).toEqual(["agent:planner", "agent:triager"]);
    expect((await baton(["audit", "verify", "--db", db])).code).toBe(EXIT_CODES.ok);
  });

  test("names the agent that presented each refused chain, not the holder of the last hop that verified", async () => {
    const listed = await baton(["decisions", `--did=${leafDid}`, "--db", db, "--json", "--limit", "1000"]);
    expect(listed.code).toBe(EXIT_CODES.ok);
    const items = (JSON.parse(listed.stdout) as { items: DecisionRecord[] }).items;
    const deniedFor = (code: string) =>
      items.filter((d) => d.decision === "deny" && d.reasons.some((r) => r.code === code));
    // agent:notifier presented a chain whose root was due (hop 0), and later one with its
    // delegator's hop revoked (hop 1): both refusals are its own, proven by its DPoP proof.
    for (const code of ["revalidation_due", "revoked"]) {
      const denials = deniedFor(code).filter((d) => d.chain?.at(-1)?.did === leafDid);
      expect(denials.length).toBeGreaterThan(0);
      for (const denial of denials) {
        expect(denial).toMatchObject({ agent: "agent:notifier", actorProven: true, format: 2 });
        expect(denial.reporter).toMatch(/^(service|audience:.+)$/);
        expect(denial.chain?.map((hop) => hop.sub)).toEqual([
          "agent:planner",
          "agent:triager",
          "agent:notifier",
        ]);
      }
    }
    const table = await baton(["decisions", `--did=${leafDid}`, "--db", db, "--no-color"]);
    expect(table.stdout.split("\n")[0]).toMatch(/ACTOR\s+REPORTER/);
  });

  test("refuses to reuse an existing database file", async () => {
    expect((await baton(["demo", "--db", db])).code).toBe(EXIT_CODES.usage);
  });

  test("with --json prints a summary whose every outcome holds", async () => {
    const json = await baton(["demo", "--db", join(temp.dir, "second.db"), "--json"]);
    expect(json.code).toBe(EXIT_CODES.ok);
    const summary = JSON.parse(json.stdout) as {
      outcomes: { ok: boolean; actual: string }[];
      audit: { ok: boolean };
    };
    expect(summary.outcomes.length).toBeGreaterThanOrEqual(10);
    expect(summary.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(summary.audit.ok).toBe(true);
  });

  test("with --inspect keeps the service running, prints the inspector URL, and stops on abort", async () => {
    let stdout = "";
    const controller = new AbortController();
    const done = run(["demo", "--db", join(temp.dir, "inspect.db"), "--inspect", "--no-color"], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      env: {},
      signal: controller.signal,
    });
    await expect
      .poll(() => /inspector: (\S+)\/inspect#token=(\S+)/.exec(stdout), { timeout: 20_000 })
      .not.toBeNull();
    const [, url, token] = /inspector: (\S+)\/inspect#token=(\S+)/.exec(stdout) ?? [];
    expect((await fetch(`${url}/inspect`)).status).toBe(200);
    const tasks = await fetch(`${url}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } });
    expect(tasks.status).toBe(200);
    expect(((await tasks.json()) as { items: { status: string }[] }).items.map((t) => t.status)).toEqual([
      "completed",
    ]);
    controller.abort();
    expect(await done).toBe(EXIT_CODES.ok);
  });

  test("the offline walkthrough still runs without a service", async () => {
    const offline = await baton(["demo", "--offline"]);
    expect(offline.code).toBe(EXIT_CODES.ok);
    expect(offline.stdout).toContain("scope_widening");
  });
});
