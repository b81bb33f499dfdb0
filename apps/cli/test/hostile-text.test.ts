/**
 * Text from the graph reaches the terminal escaped (issue 14). The service refuses control and
 * bidi-control characters at input now, but a database written before that (or edited behind the
 * store's back) may still hold them: every view shows them as `\uXXXX` escapes, never raw, and
 * `--json` keeps the same values with the characters escaped.
 *
 * @see issue 14 ("Terminal and text injection")
 */
import { join } from "node:path";
import { openSqliteStore, seedGraph } from "@baton/store-sqlite";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { printable, printableJson, printableLine } from "../src/printable.ts";
import { baton, tempDir } from "./helpers.ts";

const T0 = 1_767_225_600;
/** Clears the screen (CSI), opens a hyperlink (OSC) and flips the rest of the line (RLO). */
const HOSTILE = "ok\u009b2J\u009d8;;https://evil.example\u0007\u202egnp.exe\nforged line";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const RAW = /[\u0007\u009b\u009d\u202e\n]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const RAW_IN_JSON = /[\u0007\u009b\u009d\u202e]/;

let temp: ReturnType<typeof tempDir>;
let db: string;
let did: string;
let task: string;

beforeAll(async () => {
  temp = tempDir("baton-hostile-");
  db = join(temp.dir, "baton.db");
  const store = openSqliteStore({ path: db });
  const graph = seedGraph(store, { delegations: 2, fanout: 1, agents: 2, seed: 1, at: T0, decisions: 2 });
  did = graph.largestTask.rootDid;
  task = graph.largestTask.id;
  const root = await store.getDelegation(did);
  if (root === undefined) throw new Error("no root");
  await store.createApproval({
    id: "apv-1",
    did,
    agent: root.to,
    task,
    action: "repo.issues.delete",
    resource: "repo:acme/web/issues/1",
    reason: "benign",
    at: T0,
    expiresAt: T0 + 3600,
  });
  await store.revokeDelegation(did, { reason: "benign", at: T0 + 1 });
  await store.close();

  // An old row: written before the input checks, or by hand. The triggers that keep the log and
  // revocations final are dropped for the edit; the views must not care how the text got there.
  const raw = new Database(db);
  raw.exec(
    "DROP TRIGGER decisions_append_only_update; DROP TRIGGER delegations_revocation_is_final; DROP TRIGGER delegations_edge_is_fixed",
  );
  raw.prepare("UPDATE agents SET name = ?, owner = ?").run(HOSTILE, HOSTILE);
  raw.prepare("UPDATE tasks SET intent = ?").run(HOSTILE);
  raw
    .prepare("UPDATE delegations SET intent = ?, revoke_reason = ?, cap = ?")
    .run(HOSTILE, HOSTILE, JSON.stringify([{ act: HOSTILE, res: "repo:acme/web/**" }]));
  raw.prepare("UPDATE decisions SET action = ?, resource = ?, did = ?").run(HOSTILE, HOSTILE, did);
  raw.prepare("UPDATE approvals SET reason = ?, action = ?").run(HOSTILE, HOSTILE);
  raw.close();
});
afterAll(() => temp?.remove());

const VIEWS: readonly (readonly [string, readonly string[]])[] = [
  ["agents list", ["agents", "list"]],
  ["tasks list", ["tasks", "list"]],
  ["trace", ["trace", "--did=DID"]],
  ["decisions", ["decisions"]],
  ["approvals list", ["approvals", "list"]],
  ["graph (mermaid)", ["graph", "--task", "TASK"]],
  ["graph (dot)", ["graph", "--task", "TASK", "--format", "dot"]],
];

const argv = (args: readonly string[]) =>
  args.map((arg) => arg.replace("DID", did).replace("TASK", task)).concat(["--db", db]);

describe.each(VIEWS)("baton %s", (_name, args) => {
  test("prints a hostile stored string escaped, never raw", async () => {
    const result = await baton(argv(args), { clock: () => T0 + 10 });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(EXIT_CODES.ok);
    const lines = result.stdout.split("\n");
    for (const line of lines) expect(line).not.toMatch(RAW);
    expect(result.stdout).toContain("\\u009b2J");
    expect(result.stdout).toContain("\\u202egnp.exe");
  });

  test("with --json, keeps the stored value and escapes the characters", async () => {
    if (args[0] === "graph" && args.includes("--format")) return;
    const result = await baton([...argv(args), "--json"], { clock: () => T0 + 10 });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).not.toMatch(RAW_IN_JSON);
    expect(JSON.stringify(JSON.parse(result.stdout))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
  });
});

describe("printable", () => {
  test("escapes controls, bidi controls, separators and lone surrogates, and keeps the rest", () => {
    expect(printable("a\u009bb")).toBe("a\\u009bb");
    expect(printable("\u202e\u2066\u2028\t\n\u007f\u001b")).toBe(
      "\\u202e\\u2066\\u2028\\u0009\\u000a\\u007f\\u001b",
    );
    expect(printable("lone \ud800")).toBe("lone \\ud800");
    expect(printable("tag \u{e0041}")).toBe("tag \\u{e0041}");
    expect(printable("Zoë 山田 مرحبا ✓")).toBe("Zoë 山田 مرحبا ✓");
  });

  test("printableLine keeps the CLI's own colours and escapes any other escape sequence", () => {
    expect(printableLine("\u001b[31mred\u001b[39m \u001b]8;;x\u0007")).toBe(
      "\u001b[31mred\u001b[39m \\u001b]8;;x\\u0007",
    );
  });

  test("printableJson parses back to the same value", () => {
    const value = { s: HOSTILE, t: "\u{e0041}\u2029\u0085" };
    const text = printableJson(JSON.stringify(value, null, 2));
    expect(text).not.toMatch(/[\u0085\u009b\u202e\u2029\u{e0041}]/u);
    expect(JSON.parse(text)).toEqual(value);
  });
});
