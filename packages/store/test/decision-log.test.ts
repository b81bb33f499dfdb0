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

afterEach(async () => {
  await store.close();
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

async function appendMany(n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await store.appendDecision(decision({ at: T0 + i, agent: i % 2 === 0 ? "agent:bob" : "agent:carol" }));
}

/** Runs SQL past the append-only triggers, as someone with the file could. */
function tamper(sql: string, ...params: unknown[]): void {
  const db = store.database;
  db.exec("drop trigger decisions_append_only_update; drop trigger decisions_append_only_delete");
  db.prepare(sql).run(...params);
}

describe("appendDecision", () => {
  test("chains each row to the one before it, starting from the genesis hash", async () => {
    const first = await store.appendDecision(decision());
    const second = await store.appendDecision(decision({ decision: "allow", reasons: [] }));
    expect(first).toMatchObject({ id: 1, prevHash: GENESIS_HASH });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ id: 2, prevHash: first.hash });
    expect(await store.verifyDecisionLog()).toEqual({ ok: true, rows: 2, headHash: second.hash });
  });

  test("returns the row as it reads back, reasons and detail included", async () => {
    const written = await store.appendDecision(decision());
    const [read] = (await store.queryDecisions({ limit: 1 })).items;
    expect(read).toEqual(written);
    expect(read?.reasons).toEqual([
      { hop: 2, code: "scope_widening", message: "hop 2 asks for more than hop 1 holds" },
    ]);
    expect(read?.detail).toEqual({ method: "POST", path: "/issues", nested: { ok: [1, 2, 3] } });
  });

  test("refuses malformed decisions and writes nothing", async () => {
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
      expect(await codeOf(async () => store.appendDecision(input as DecisionInput))).toBe("invalid");
    expect((await store.queryDecisions({ limit: 10 })).items).toEqual([]);
  });

  test("appends a batch in one transaction, all or nothing", async () => {
    const batch = await store.appendDecisions([
      decision(),
      decision({ decision: "allow", reasons: [] }),
      decision(),
    ]);
    expect(batch.map((d) => d.id)).toEqual([1, 2, 3]);
    expect(batch[1]?.prevHash).toBe(batch[0]?.hash);
    expect(await codeOf(async () => store.appendDecisions([decision(), decision({ kind: "BAD" })]))).toBe(
      "invalid",
    );
    expect(
      await codeOf(async () => store.appendDecisions(Array.from({ length: 1001 }, () => decision()))),
    ).toBe("invalid");
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 3 });
  });

  test("takes a batch exactly as large as the service accepts, and refuses one more decision", async () => {
    const batch = (length: number) => Array.from({ length }, () => decision());
    expect(MAX_DECISION_BATCH).toBe(INPUT_LIMITS.maxDecisionBatch);
    expect(await codeOf(async () => store.appendDecisions(batch(INPUT_LIMITS.maxDecisionBatch + 1)))).toBe(
      "invalid",
    );
    expect(await codeOf(async () => store.appendEachDecision(batch(INPUT_LIMITS.maxDecisionBatch + 1)))).toBe(
      "invalid",
    );
    expect(await store.appendDecisions(batch(INPUT_LIMITS.maxDecisionBatch))).toHaveLength(
      INPUT_LIMITS.maxDecisionBatch,
    );
  });

  test("is refused by the database itself when a row is updated or deleted", async () => {
    await appendMany(2);
    expect(() =>
      store.database.prepare("update decisions set decision = 'allow' where id = 1").run(),
    ).toThrow(/append-only/);
    expect(() => store.database.prepare("delete from decisions where id = 2").run()).toThrow(/append-only/);
    expect((await store.verifyDecisionLog()).ok).toBe(true);
  });
});

describe("decision records (format 2)", () => {
  const presented = (dids: string[]) =>
    dids.map((did, i) => ({ did, sub: `agent:hop${i}`, verified: i < dids.length - 1 }));

  test("keep the actor, whether it was proven, the reporter, the args digest and the presented chain", async () => {
    const chain = presented([randomId(), randomId()]);
    const record = await store.appendDecision(
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
    expect((await store.queryDecisions({ limit: 1 })).items[0]).toEqual(record);
    const { agent: _operatorActs, ...withoutActor } = decision({ actorProven: true });
    expect(await store.appendDecision(withoutActor)).toMatchObject({
      actorProven: null,
      reporter: "service",
    });
  });

  test("refuse a reporter, a chain or an evidence that is not of their shape", async () => {
    for (const bad of [
      { reporter: "tool" },
      { reporter: "audience:" },
      { chain: [{ did: "x", sub: null, verified: true }] },
      { chain: [{ did: null, sub: null }] },
      { actorProven: "yes" },
      { reasons: [{ hop: 0, code: "expired", message: "m", evidence: "not an object" }] },
      { reasons: [{ hop: 0, code: "expired", message: "m", evidence: { big: "x".repeat(5000) } }] },
    ]) {
      expect(await codeOf(async () => store.appendDecision(decision(bad as Partial<DecisionInput>)))).toBe(
        "invalid",
      );
    }
  });

  test("detect an edit to the actor, its proof, the reporter or the presented chain", async () => {
    for (const edit of [
      "update decisions set agent = 'agent:mallory' where id = 2",
      "update decisions set actor_proven = 0 where id = 2",
      "update decisions set reporter = 'service' where id = 2",
      `update decisions set chain = '[]' where id = 2`,
      "update decisions set format = 1 where id = 2",
    ]) {
      await store.close();
      dir.cleanup();
      dir = tempDir();
      store = openSqliteStore({ path: `${dir.path}/baton.db` });
      for (let i = 0; i < 3; i++) {
        await store.appendDecision(
          decision({ actorProven: true, reporter: "audience:repo-tool", chain: presented([randomId()]) }),
        );
      }
      tamper(edit);
      expect(await store.verifyDecisionLog()).toMatchObject({
        ok: false,
        firstBrokenId: 2,
        problem: "hash_mismatch",
      });
    }
  });

  test("appendEachDecision appends the inputs that pass and names the ones refused, in one commit", async () => {
    const outcomes = await store.appendEachDecision([
      decision(),
      decision({ kind: "Not A Kind" }),
      decision(),
    ]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { code: "invalid" } });
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 2 });
  });

  test("a path query returns exactly the decisions about a hop, its ancestors and its descendants", async () => {
    seedGraph(store, { delegations: 300, decisions: 3000, seed: 7 });
    const all = await store.queryDecisions({ limit: 1000, order: "oldest" });
    const everything = [...all.items];
    for (let cursor = all.next; cursor !== null; ) {
      const page = await store.queryDecisions({ limit: 1000, order: "oldest", cursor });
      everything.push(...page.items);
      cursor = page.next;
    }
    let middle: string | undefined;
    for (const { did } of everything) {
      if (did !== null && (await store.ancestors(did)).length > 1) {
        middle = did;
        break;
      }
    }
    expect(middle).toBeDefined();
    const did = middle as string;
    const related = new Set(
      [...(await store.ancestors(did)), ...(await store.descendants(did))].map((r) => r.did).concat(did),
    );
    const expected = everything.filter((d) => d.did !== null && related.has(d.did)).map((d) => d.id);
    const found: number[] = [];
    for (let cursor: number | null | undefined; cursor !== null; ) {
      const page = await store.queryDecisions({
        path: did,
        limit: 7,
        ...(cursor === undefined ? {} : { cursor }),
      });
      found.push(...page.items.map((d) => d.id));
      cursor = page.next;
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(everything.length);
    expect(found.sort((a, b) => a - b)).toEqual(expected);
  });
});

describe("verifyDecisionLog", () => {
  test("detects an edited field and names the row", async () => {
    await appendMany(5);
    tamper("update decisions set decision = 'allow' where id = 3");
    expect(await store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      problem: "hash_mismatch",
    });
  });

  test("detects an edit to reasons or detail even when the JSON means the same", async () => {
    await appendMany(3);
    tamper(
      "update decisions set detail = ? where id = 2",
      '{"path":"/issues","method":"POST","nested":{"ok":[1,2,3]}}',
    );
    expect(await store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 2,
      problem: "hash_mismatch",
    });
  });

  test("detects an edited row whose hash was recomputed, at the row after it", async () => {
    await appendMany(4);
    tamper("update decisions set prev_hash = ? where id = 3", "f".repeat(64));
    expect(await store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      problem: "chain_broken",
    });
  });

  test("detects a row deleted from the middle", async () => {
    await appendMany(5);
    tamper("delete from decisions where id = 3");
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 3, problem: "id_gap" });
  });

  test("detects a deleted middle row even when the later ids were renumbered", async () => {
    await appendMany(5);
    tamper("delete from decisions where id = 3");
    store.database.exec("update decisions set id = id - 1 where id > 3");
    expect(await store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      problem: "chain_broken",
    });
  });

  test("detects reordered rows", async () => {
    await appendMany(4);
    tamper("update decisions set id = -2 where id = 2");
    store.database.exec(
      "update decisions set id = 2 where id = 3; update decisions set id = 3 where id = -2",
    );
    expect(await store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 2,
      problem: "chain_broken",
    });
  });

  test("detects a truncated tail, and still does after more rows are appended", async () => {
    await appendMany(5);
    tamper("delete from decisions where id >= 4");
    expect(await store.verifyDecisionLog()).toMatchObject({
      ok: false,
      firstBrokenId: 4,
      problem: "truncated",
    });
    await store.appendDecision(decision());
    expect(await store.verifyDecisionLog()).toMatchObject({ ok: false, firstBrokenId: 4, problem: "id_gap" });
  });

  test("reports progress on a large log", async () => {
    seedGraph(store, { delegations: 100, decisions: 25_000, seed: 9 });
    const progress: number[] = [];
    const result = await store.verifyDecisionLog({
      onProgress: (n) => progress.push(n),
      progressEvery: 10_000,
    });
    expect(result).toMatchObject({ ok: true, rows: 25_000 });
    expect(progress).toEqual([10_000, 20_000, 25_000]);
  });

  test("verifies an empty log", async () => {
    expect(await store.verifyDecisionLog()).toEqual({ ok: true, rows: 0, headHash: GENESIS_HASH });
  });
});

describe("queryDecisions", () => {
  test("pages newest first by default and oldest first on request", async () => {
    await appendMany(5);
    const newest = await store.queryDecisions({ limit: 2 });
    expect(newest.items.map((d) => d.id)).toEqual([5, 4]);
    expect(
      (await store.queryDecisions({ limit: 2, cursor: newest.next ?? 0 })).items.map((d) => d.id),
    ).toEqual([3, 2]);
    const last = await store.queryDecisions({ limit: 2, cursor: 2 });
    expect(last.items.map((d) => d.id)).toEqual([1]);
    expect(last.next).toBeNull();
    const oldest = await store.queryDecisions({ limit: 3, order: "oldest" });
    expect(oldest.items.map((d) => d.id)).toEqual([1, 2, 3]);
    expect(
      (await store.queryDecisions({ limit: 3, order: "oldest", cursor: oldest.next ?? 0 })).items.map(
        (d) => d.id,
      ),
    ).toEqual([4, 5]);
  });

  test("filters by task, agent and did together", async () => {
    const did = randomId();
    await store.appendDecision(decision({ did, task: "task-a", agent: "agent:bob" }));
    await store.appendDecision(decision({ did, task: "task-a", agent: "agent:carol" }));
    await store.appendDecision(decision({ task: "task-b", agent: "agent:bob" }));
    expect((await store.queryDecisions({ task: "task-a", limit: 10 })).items.map((d) => d.id)).toEqual([
      2, 1,
    ]);
    expect((await store.queryDecisions({ agent: "agent:bob", limit: 10 })).items.map((d) => d.id)).toEqual([
      3, 1,
    ]);
    expect(
      (await store.queryDecisions({ did, agent: "agent:carol", limit: 10 })).items.map((d) => d.id),
    ).toEqual([2]);
  });

  test("refuses a bad limit, cursor or filter", async () => {
    expect(await codeOf(async () => store.queryDecisions({ limit: 0 }))).toBe("invalid");
    expect(await codeOf(async () => store.queryDecisions({ limit: 1001 }))).toBe("invalid");
    expect(await codeOf(async () => store.queryDecisions({ limit: 10, cursor: -1 }))).toBe("invalid");
    expect(
      await codeOf(async () => store.queryDecisions({ limit: 10, agent: "'; drop table decisions; --" })),
    ).toBe("invalid");
    expect(await codeOf(async () => store.queryDecisions({ limit: 10, order: "random" as never }))).toBe(
      "invalid",
    );
  });
});
