/**
 * `baton explain` and `baton decisions --search/--format` (issue 22), on the demo's database file
 * and against a real service on loopback serving that same file: both give the same answers,
 * since both come from @baton/core.
 */
import { join } from "node:path";
import type { RunningServer } from "@baton/service";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton, OPERATOR_TOKEN, startService, tempDir } from "./helpers.ts";

interface Row {
  id: number;
  did: string | null;
  kind: string;
  decision: string;
  agent: string | null;
  reasons: { code: string }[];
}

describe("explain and search", () => {
  let temp: ReturnType<typeof tempDir>;
  let service: RunningServer;
  let db: string;
  let env: Record<string, string>;
  let rows: Row[];

  beforeAll(async () => {
    temp = tempDir("baton-explain-");
    db = join(temp.dir, "baton.db");
    expect((await baton(["demo", "--db", db, "--json"], { cwd: temp.dir })).code).toBe(EXIT_CODES.ok);
    service = await startService(temp.dir);
    env = { BATON_URL: service.url, BATON_OPERATOR_TOKEN: OPERATOR_TOKEN };
    rows = JSON.parse((await baton(["decisions", "--db", db, "--limit", "1000", "--json"])).stdout).items;
  });

  afterAll(async () => {
    await service?.close();
    temp?.remove();
  });

  /** The oldest decision that fits. */
  const find = (predicate: (row: Row) => boolean): Row => {
    const row = [...rows].reverse().find(predicate);
    if (row === undefined) throw new Error("the demo's log has no such decision");
    return row;
  };

  test("explains an allowed report hop by hop, the same on the file and on the service", async () => {
    const allowed = find(
      (r) => r.kind === "report" && r.decision === "allow" && r.agent === "agent:notifier",
    );
    const onFile = await baton(["explain", String(allowed.id), "--db", db, "--json"]);
    const onService = await baton(["explain", String(allowed.id), "--json"], { env });
    expect(onFile.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(onService.stdout)).toEqual(JSON.parse(onFile.stdout));
    const explanation = JSON.parse(onFile.stdout);
    expect(explanation.question).toBe("Why was this allowed?");
    expect(explanation.hops.map((hop: { holder: string; ok: boolean }) => [hop.holder, hop.ok])).toEqual([
      ["agent:planner", true],
      ["agent:triager", true],
      ["agent:notifier", true],
    ]);
    const text = await baton(["explain", String(allowed.id), "--db", db]);
    expect(text.stdout).toContain(
      "mail.send on mailbox:acme/lists/**: covered by the parent's mail.send on mailbox:acme/**",
    );
    expect(text.stdout).toContain("not revoked then; revoked later");
  });

  test("explains a denied report by its first failing hop, each failed check with its evidence", async () => {
    const denied = find((r) => r.reasons.some((reason) => reason.code === "audience_mismatch"));
    const result = await baton(["explain", String(denied.id)], { env });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain("Why was this denied?");
    expect(result.stdout).toContain(
      "denied at hop 2 (agent:notifier): audience_mismatch, action_not_permitted",
    );
    expect(result.stdout).toContain('evidence: {"audience":"repo-tool","aud":["mail-tool"]}');
  });

  test("refuses an unknown or malformed decision id", async () => {
    expect((await baton(["explain", "999999", "--db", db])).code).toBe(EXIT_CODES.refused);
    expect((await baton(["explain", "999999"], { env })).code).toBe(EXIT_CODES.refused);
    expect((await baton(["explain", "abc", "--db", db])).code).toBe(EXIT_CODES.usage);
  });

  test("searches with qualifiers the same way on the file and on the service", async () => {
    const query = ["decisions", "--search", "decision:deny code:revoked agent:agent:notifier", "--json"];
    const onFile = JSON.parse((await baton([...query, "--db", db])).stdout) as { items: Row[] };
    const onService = JSON.parse((await baton(query, { env })).stdout) as { items: Row[] };
    expect(onFile.items.length).toBeGreaterThan(0);
    expect(onService.items.map((r) => r.id)).toEqual(onFile.items.map((r) => r.id));
    for (const row of onFile.items) {
      expect(row).toMatchObject({ decision: "deny", agent: "agent:notifier" });
      expect(row.reasons.map((r) => r.code)).toContain("revoked");
    }
    const bad = await baton(["decisions", "--search", "since:someday", "--db", db]);
    expect(bad.code).toBe(EXIT_CODES.usage);
    expect(bad.stderr).toContain("since:someday is not a time");
    expect((await baton(["decisions", "--search", "since:someday"], { env })).code).toBe(EXIT_CODES.refused);
  });

  test("exports the matching decisions as JSON Lines and CSV, oldest first", async () => {
    const search = ["decisions", "--search", "decision:deny"];
    const jsonl = await baton([...search, "--format", "jsonl", "--db", db]);
    const lines = jsonl.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Row);
    const denies = rows
      .filter((r) => r.decision === "deny")
      .map((r) => r.id)
      .sort((a, b) => a - b);
    expect(lines.map((r) => r.id)).toEqual(denies);
    const csv = await baton([...search, "--format", "csv"], { env });
    const csvLines = csv.stdout.trimEnd().split("\r\n");
    expect(csvLines[0]?.startsWith("id,at,kind,decision,")).toBe(true);
    expect(csvLines.slice(1).map((line) => Number(line.split(",")[0]))).toEqual(denies);
    expect((await baton([...search, "--format", "xml", "--db", db])).code).toBe(EXIT_CODES.usage);
  });

  test("trace never says a revoked hop expires in the future", async () => {
    const root = find((r) => r.kind === "grant").did as string;
    // The demo's clock ran ahead of this one: every hop's expiry is still to come, and every hop is revoked.
    const traced = await baton(["trace", `--did=${root}`, "--db", db]);
    expect(traced.code).toBe(EXIT_CODES.ok);
    expect(traced.stdout).toContain("would have expired");
    expect(traced.stdout).not.toMatch(/expires [^\n]*\(in /);
  });
});
