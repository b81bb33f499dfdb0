/**
 * The decision search grammar and the exports (issue 22): one parser for the inspector and the
 * CLI, and files a spreadsheet cannot be tricked by.
 */
import type { DecisionRecord } from "@baton/store/contract";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { csvCell, decisionsAsCsv, decisionsAsJsonLines } from "../src/decision-export.ts";
import { matchesSearch, parseDecisionSearch } from "../src/decision-search.ts";
import { isUseCaseError } from "../src/use-case-error.ts";

const NOW = 1_800_000_000;

function decision(fields: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    id: 7,
    at: NOW - 600,
    kind: "verify",
    decision: "deny",
    task: "task-1",
    did: "did-leaf",
    jti: null,
    agent: "agent:tester",
    audience: "repo-tool",
    action: "repo.issues.read",
    resource: "repo:acme/web/issues/1",
    reasons: [{ hop: 2, code: "revoked", message: "delegation did-leaf is revoked" }],
    detail: null,
    format: 2,
    reporter: "service",
    actorProven: true,
    argsDigest: null,
    chain: [{ did: "did-leaf", sub: "agent:tester", verified: true }],
    prevHash: "0".repeat(64),
    hash: "a".repeat(64),
    ...fields,
  };
}

describe("parseDecisionSearch", () => {
  test("reads each qualifier, splitting at the first colon so agent ids keep theirs", () => {
    expect(
      parseDecisionSearch(
        'agent:agent:tester code:revoked did:abc action:repo.* decision:deny "two words"',
        NOW,
      ),
    ).toEqual({
      agents: ["agent:tester"],
      codes: ["revoked"],
      dids: ["abc"],
      actions: ["repo.*"],
      decisions: ["deny"],
      words: ["two words"],
    });
  });

  test("reads ISO 8601 times as UTC, epoch seconds, and ages before now", () => {
    expect(parseDecisionSearch("since:2026-12-06 until:2026-12-06T05:00Z", NOW)).toMatchObject({
      since: Date.UTC(2026, 11, 6) / 1000,
      until: Date.UTC(2026, 11, 6, 5) / 1000,
    });
    expect(parseDecisionSearch("since:2026-12-06T05:00:30", NOW).since).toBe(
      Date.UTC(2026, 11, 6, 5, 0, 30) / 1000,
    );
    expect(parseDecisionSearch("since:15m until:1700000000", NOW)).toMatchObject({
      since: NOW - 900,
      until: 1_700_000_000,
    });
  });

  test.each([
    ["since:yesterday", "is not a time"],
    ["until:2026-13-45", "is not a time"],
    ["decision:maybe", "use allow, deny or step_up"],
    ["agent:", "needs a value"],
    ['agent:"unclosed', "unclosed quote"],
    ["x".repeat(1025), "longer than 1024"],
  ])("refuses %s with invalid_request saying what to fix", (text, says) => {
    let thrown: unknown;
    try {
      parseDecisionSearch(text, NOW);
    } catch (error) {
      thrown = error;
    }
    expect(isUseCaseError(thrown, "invalid_request")).toBe(true);
    expect((thrown as Error).message).toContain(says);
  });

  test("keeps a word with an unknown prefix as a free word", () => {
    expect(parseDecisionSearch("repo:acme", NOW).words).toEqual(["repo:acme"]);
  });
});

describe("matchesSearch", () => {
  const match = (text: string, fields: Partial<DecisionRecord> = {}) =>
    matchesSearch(decision(fields), parseDecisionSearch(text, NOW));

  test("combines different qualifiers with AND and a repeated one with OR", () => {
    expect(match("code:revoked agent:agent:tester")).toBe(true);
    expect(match("code:revoked agent:agent:coder")).toBe(false);
    expect(match("agent:agent:coder agent:agent:tester")).toBe(true);
  });

  test("matches * anywhere in a value, and nothing else as a pattern", () => {
    expect(match("action:repo.*")).toBe(true);
    expect(match("action:repo.issues.rea")).toBe(false);
    expect(match("action:repo.issues.rea.")).toBe(false);
  });

  test("matches did: on the subject or the presented leaf", () => {
    expect(match("did:did-leaf", { did: null })).toBe(true);
    expect(match("did:other")).toBe(false);
  });

  test("keeps decisions inside since and until, inclusive", () => {
    expect(match(`since:${NOW - 600} until:${NOW - 600}`)).toBe(true);
    expect(match("since:5m")).toBe(false);
    expect(match("until:20m")).toBe(false);
  });

  test("matches free words in messages, case-insensitively", () => {
    expect(match("IS REVOKED")).toBe(true);
    expect(match("approve")).toBe(false);
  });

  test.prop([fc.string({ maxLength: 40 }).filter((s) => !s.includes('"'))])(
    "finds any quoted actor id exactly",
    (id) => {
      fc.pre(id.trim() !== "" && !/\s/.test(id) && !id.includes("*"));
      expect(match(`agent:"${id}"`, { agent: id })).toBe(true);
      expect(match(`agent:"${id}"`, { agent: `${id}x` })).toBe(false);
    },
  );
});

describe("exports", () => {
  test("defuses every cell a spreadsheet would run as a formula", () => {
    for (const hostile of ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
      expect(csvCell(hostile).replace(/^"/, "").startsWith("'")).toBe(true);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
  });

  test.prop([fc.string()])("never lets a cell start with a formula character", (text) => {
    const cell = csvCell(text).replace(/^"/, "");
    expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
  });

  test("writes one CSV row per decision under a header, and one JSON record per line", () => {
    const rows = [decision(), decision({ id: 8, resource: "=cmd|' /C calc'!A0" })];
    const csv = decisionsAsCsv(rows).split("\r\n");
    expect(csv[0]).toBe(
      "id,at,kind,decision,task,did,actor,actor_proven,reporter,audience,action,resource,reason_codes,reason_messages,hash",
    );
    expect(csv[2]).toContain(",'=cmd|' /C calc'!A0,");
    expect(csv).toHaveLength(4);
    const lines = decisionsAsJsonLines(rows).trimEnd().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as DecisionRecord).id)).toEqual([7, 8]);
  });
});
