import { INPUT_LIMITS, randomId } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  type DecisionInput,
  GENESIS_HASH,
  MAX_DECISION_BATCH,
  openSqliteStore,
  type SqliteStore,
  seedGraph,
} from "../src/index.ts";
import { codeOf, T0, tempDir } from "./helpers/graph-fixture.ts";

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;

beforeEach(() => {
  dir = tempDir();
  store = openSqliteStore({ path: `${dir.path}/baton.db` });
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

function decision(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    at: T0,
    kind: "verify",
    decision: "deny",
    task: "task-1",
    did: randomId(),
    jti: randomId(),
    agent: "agent:bob",
    audience: "github-tools",
    action: "github.issues.create",
    resource: "repo:acme/web/issues",
    reasons: [{ hop: 2, code: "scope_widening", message: "hop 2 asks for more than hop 1 holds" }],
    detail: { method: "POST", path: "/issues", nested: { ok: [1, 2, 3] } },
    ...overrides,
  };
}

function appendMany(n: number): void {
  for (let i = 0; i < n; i++)
    store.appendDecision(decision({ at: T0 + i, agent: i % 2 === 0 ? "agent:bob" : "agent:carol" }));
}

/** Runs SQL past the append-only triggers, as someone with the file could. */
function tamper(sql: string, ...params: unknown[]): void {
  const db = store.database;
  db.exec("drop trigger decisions_append_only_update; drop trigger decisions_append_only_delete");
  db.prepare(sql).run(...params);
}

describe("appendDecision", () => {
  test("chains each row to the one before it, starting from the genesis hash", () => {
    const first = store.appendDecision(decision());
    const second = store.appendDecision(decision({ decision: "allow", reasons: [] }));
    expect(first).toMatchObject({ id: 1, prevHash: GENESIS_HASH });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ id: 2, prevHash: first.hash });
    expect(store.verifyDecisionLog()).toEqual({ ok: true, rows: 2, headHash: second.hash });
  });

  test("returns the row as it reads back, reasons and detail included", () => {
    const written = store.appendDecision(decision());
    const [read] = store.queryDecisions({ limit: 1 }).items;
    expect(read).toEqual(written);
    expect(read?.reasons).toEqual([
      { hop: 2, code: "scope_widening", message: "hop 2 asks for more than hop 1 holds" },
    ]);
    expect(read?.detail).toEqual({ method: "POST", path: "/issues", nested: { ok: [1, 2, 3] } });
  });

  test("refuses malformed decisions and writes nothing", () => {
    const bad: unknown[] = [
      decision({ kind: "Verify" }),
      decision({ decision: "maybe" as never }),
      decision({ at: Number.NaN }),
      decision({ did: "not-a-did" }),
      decision({ agent: "bob" }),
      decision({ reasons: [{ code: "Bad Code", message: "x" }] }),
      decision({ reasons: [{ code: "revoked", message: "x", extra: 1 } as never] }),
      decision({ reasons: Array.from({ length: 65 }, () => ({ code: "revoked", message: "x" })) }),
      decision({ detail: { big: "x".repeat(17 * 1024) } }),
      decision({ action: "a".repeat(513) }),
      { ...decision(), reasons: undefined },
    ];
    for (const input of bad)
      expect(codeOf(() => store.appendDecision(input as DecisionInput))).toBe("invalid");
    expect(store.queryDecisions({ limit: 10 }).items).toEqual([]);
  });

  test("appends a batch in one transaction, all or nothing", () => {
    const batch = store.appendDecisions([
      decision(),
      decision({ decision: "allow", reasons: [] }),
      decision(),
    ]);
    expect(batch.map((d) => d.id)).toEqual([1, 2, 3]);
    expect(batch[1]?.prevHash).toBe(batch[0]?.hash);
    expect(codeOf(() => store.appendDecisions([decision(), decision({ kind: "BAD" })]))).toBe("invalid");
    expect(codeOf(() => store.appendDecisions(Array.from({ length: 1001 }, () => decision())))).toBe(
      "invalid",
    );
    expect(store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 3 });
  });

  test("takes a batch exactly as large as the service accepts, and refuses one more decision", () => {
    const batch = (length: number) => Array.from({ length }, () => decision());
    expect(MAX_DECISION_BATCH).toBe(INPUT_LIMITS.maxDecisionBatch);
    expect(codeOf(() => store.appendDecisions(batch(INPUT_LIMITS.maxDecisionBatch + 1)))).toBe("invalid");
    expect(codeOf(() => store.appendEachDecision(batch(INPUT_LIMITS.maxDecisionBatch + 1)))).toBe("invalid");
    expect(store.appendDecisions(batch(INPUT_LIMITS.maxDecisionBatch))).toHaveLength(
      INPUT_LIMITS.maxDecisionBatch,
    );
  });

  test("is refused by the database itself when a row is updated or deleted", () => {
    appendMany(2);
    expect(() =>
      store.database.prepare("update decisions set decision = 'allow' where id = 1").run(),
    ).toThrow(/append-only/);
    expect(() => store.database.prepare("delete from decisions where id = 2").run()).toThrow(/append-only/);
    expect(store.verifyDecisionLog().ok).toBe(true);
  });
});

describe("decision records (format 2)", () => {
  const presented = (dids: string[]) =>
    dids.map((did, i) => ({ did, sub: `agent:hop${i}`, verified: i < dids.length - 1 }));

  test("keep the actor, whether it was proven, the reporter, the args digest and the presented chain", () => {
    const chain = presented([randomId(), randomId()]);
    const record = store.appendDecision(
      decision({ actorProven: true, reporter: "audience:repo-tool", argsDigest: "A".repeat(43), chain }),
    );
    expect(record).toMatchObject({
      format: 2,
      agent: "agent:bob",
      actorProven: true,
      reporter: "audience:repo-tool",
      argsDigest: "A".repeat(43),
      chain,
    });
    expect(store.queryDecisions({ limit: 1 }).items[0]).toEqual(record);
    const { agent: _operatorActs, ...withoutActor } = decision({ actorProven: true });
    expect(store.appendDecision(withoutActor)).toMatchObject({
      actorProven: null,
      reporter: "service",
    });
  });

  test("refuse a reporter, a chain or an evidence that is not of their shape", () => {
    for (const bad of [
      { reporter: "tool" },
      { reporter: "audience:" },
      { chain: [{ did: "x", sub: null, verified: true }] },
      { chain: [{ did: null, sub: null }] },
      { actorProven: "yes" },
      { reasons: [{ hop: 0, code: "expired", message: "m", evidence: "not an object" }] },
      { reasons: [{ hop: 0, code: "expired", message: "m", evidence: { big: "x".repeat(5000) } }] },
    ]) {
      expect(codeOf(() => store.appendDecision(decision(bad as Partial<DecisionInput>)))).toBe("invalid");
    }
  });

  test("detect an edit to the actor, its proof, the reporter or the presented chain", () => {
    for (const edit of [
      "update decisions set agent = 'agent:mallory' where id = 2",
      "update decisions set actor_proven = 0 where id = 2",
      "update decisions set reporter = 'service' where id = 2",
      `update decisions set chain = '[]' where id = 2`,
      "update decisions set format = 1 where id = 2",
    ]) {
      store.close();
      dir.cleanup();
      dir = tempDir();
      store = openSqliteStore({ path: `${dir.path}/baton.db` });
      for (let i = 0; i < 3; i++) {
        store.appendDecision(
          decision({ actorProven: true, reporter: "audience:repo-tool", chain: presented([randomId()]) }),
        );
      }
      tamper(edit);
      expect(store.verifyDecisionLog()).toMatchObject({
        ok: false,
        firstBrokenId: 2,
        problem: "hash_mismatch",
      });
    }
  });

  test("appendEachDecision appends the inputs that pass and names the ones refused, in one commit", () => {
    const outcomes = store.appendEachDecision([decision(), decision({ kind: "Not A Kind" }), decision()]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: "invalid" } });
    expect(store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 2 });
  });

  test("a path query returns exactly the decisions about a hop, its ancestors and its descendants", () => {
    seedGraph(store, { delegations: 300, decisions: 3000, seed: 7 });
    const all = store.queryDecisions({ limit: 1000, order: "oldest" });
    const everything = [...all.items];
    for (let cursor = all.next; cursor !== null; ) {
      const page = store.queryDecisions({ limit: 1000, order: "oldest", cursor });
      everything.push(...page.items);
      cursor = page.next;
    }
    const middle = everything
      .map((d) => d.did)
      .find((did) => did !== null && store.ancestors(did).length > 1);
    expect(middle).toBeDefined();
    const did = middle as string;
    const related = new Set(
      [...store.ancestors(did), ...store.descendants(did)].map((r) => r.did).concat(did),
    );
    const expected = everything.filter((d) => d.did !== null && related.has(d.did)).map((d) => d.id);
    const found: number[] = [];
    for (let cursor: number | null | undefined; cursor !== null; ) {
      const page = store.queryDecisions({ path: did, limit: 7, ...(cursor === undefined ? {} : { cursor }) });
      found.push(...page.items.map((d) => d.id));
      cursor = page.next;
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(everything.length);
    expect(found.sort((a, b) => a - b)).toEqual(expected);
  });
});

describe("verifyDecisionLog", () => {
  test("detects an edited field and names the row", () => {
    appendMany(5);
    tamper("update decisions set decision = 'allow' where id = 3");
    expect(store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      problem: "hash_mismatch",
    });
  });

  test("detects an edit to reasons or detail even when the JSON means the same", () => {
    appendMany(3);
    tamper(
      "update decisions set detail = ? where id = 2",
      '{"path":"/issues","method":"POST","nested":{"ok":[1,2,3]}}',
    );
    expect(store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 2,
      problem: "hash_mismatch",
    });
  });

  test("detects an edited row whose hash was recomputed, at the row after it", () => {
    appendMany(4);
    tamper("update decisions set prev_hash = ? where id = 3", "f".repeat(64));
    expect(store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 3, problem: "chain_broken" });
  });

  test("detects a row deleted from the middle", () => {
    appendMany(5);
    tamper("delete from decisions where id = 3");
    expect(store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 3, problem: "id_gap" });
  });

  test("detects a deleted middle row even when the later ids were renumbered", () => {
    appendMany(5);
    tamper("delete from decisions where id = 3");
    store.database.exec("update decisions set id = id - 1 where id > 3");
    expect(store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 3, problem: "chain_broken" });
  });

  test("detects reordered rows", () => {
    appendMany(4);
    tamper("update decisions set id = -2 where id = 2");
    store.database.exec(
      "update decisions set id = 2 where id = 3; update decisions set id = 3 where id = -2",
    );
    expect(store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 2, problem: "chain_broken" });
  });

  test("detects a truncated tail, and still does after more rows are appended", () => {
    appendMany(5);
    tamper("delete from decisions where id >= 4");
    expect(store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 4, problem: "truncated" });
    store.appendDecision(decision());
    expect(store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 4, problem: "id_gap" });
  });

  test("reports progress on a large log", () => {
    seedGraph(store, { delegations: 100, decisions: 25_000, seed: 9 });
    const progress: number[] = [];
    const result = store.verifyDecisionLog({ onProgress: (n) => progress.push(n), progressEvery: 10_000 });
    expect(result).toMatchObject({ ok: true, rows: 25_000 });
    expect(progress).toEqual([10_000, 20_000, 25_000]);
  });

  test("verifies an empty log", () => {
    expect(store.verifyDecisionLog()).toEqual({ ok: true, rows: 0, headHash: GENESIS_HASH });
  });
});

describe("queryDecisions", () => {
  test("pages newest first by default and oldest first on request", () => {
    appendMany(5);
    const newest = store.queryDecisions({ limit: 2 });
    expect(newest.items.map((d) => d.id)).toEqual([5, 4]);
    expect(store.queryDecisions({ limit: 2, cursor: newest.next ?? 0 }).items.map((d) => d.id)).toEqual([
      3, 2,
    ]);
    const last = store.queryDecisions({ limit: 2, cursor: 2 });
    expect(last.items.map((d) => d.id)).toEqual([1]);
    expect(last.next).toBeNull();
    const oldest = store.queryDecisions({ limit: 3, order: "oldest" });
    expect(oldest.items.map((d) => d.id)).toEqual([1, 2, 3]);
    expect(
      store.queryDecisions({ limit: 3, order: "oldest", cursor: oldest.next ?? 0 }).items.map((d) => d.id),
    ).toEqual([4, 5]);
  });

  test("filters by task, agent and did together", () => {
    const did = randomId();
    store.appendDecision(decision({ did, task: "task-a", agent: "agent:bob" }));
    store.appendDecision(decision({ did, task: "task-a", agent: "agent:carol" }));
    store.appendDecision(decision({ task: "task-b", agent: "agent:bob" }));
    expect(store.queryDecisions({ task: "task-a", limit: 10 }).items.map((d) => d.id)).toEqual([2, 1]);
    expect(store.queryDecisions({ agent: "agent:bob", limit: 10 }).items.map((d) => d.id)).toEqual([3, 1]);
    expect(store.queryDecisions({ did, agent: "agent:carol", limit: 10 }).items.map((d) => d.id)).toEqual([
      2,
    ]);
  });

  test("refuses a bad limit, cursor or filter", () => {
    expect(codeOf(() => store.queryDecisions({ limit: 0 }))).toBe("invalid");
    expect(codeOf(() => store.queryDecisions({ limit: 1001 }))).toBe("invalid");
    expect(codeOf(() => store.queryDecisions({ limit: 10, cursor: -1 }))).toBe("invalid");
    expect(codeOf(() => store.queryDecisions({ limit: 10, agent: "'; drop table decisions; --" }))).toBe(
      "invalid",
    );
    expect(codeOf(() => store.queryDecisions({ limit: 10, order: "random" as never }))).toBe("invalid");
  });
});
