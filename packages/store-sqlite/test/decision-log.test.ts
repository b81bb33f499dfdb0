/**
 * The SQLite adapter's own decision-log tests: what only someone with the file can do (edit rows
 * past the append-only triggers) and logs seeded in bulk. The port-level behaviour is in the
 * conformance suite (src/conformance/decision-log.ts).
 */

import { decisionInput as decision } from "@baton/store/conformance/fixtures";
import { randomId } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore, seedGraph } from "../src/index.ts";
import { T0, tempDir } from "./helpers/graph-fixture.ts";

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

describe("the append-only triggers", () => {
  test("is refused by the database itself when a row is updated or deleted", async () => {
    await appendMany(2);
    expect(() =>
      store.database.prepare("update decisions set decision = 'allow' where id = 1").run(),
    ).toThrow(/append-only/);
    expect(() => store.database.prepare("delete from decisions where id = 2").run()).toThrow(/append-only/);
    expect((await store.verifyDecisionLog()).ok).toBe(true);
  });
});

describe("decision records (format 2) on disk", () => {
  const presented = (dids: string[]) =>
    dids.map((did, i) => ({ did, sub: `agent:hop${i}`, verified: i < dids.length - 1 }));

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
});

describe("seeded logs", () => {
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
});

describe("verifyDecisionLog on an edited file", () => {
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
});
