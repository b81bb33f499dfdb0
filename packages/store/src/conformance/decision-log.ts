import { INPUT_LIMITS, randomId } from "@baton/token";
import { beforeEach, describe, expect, test } from "vitest";
import { GENESIS_HASH } from "../decision-chain.ts";
import { MAX_DECISION_BATCH } from "../input-checks.ts";
import type { DecisionInput } from "../store.ts";
import { codeOf, decisionInput as decision, grant, hop, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** The decision log: appends, format-2 fields, the hash chain, queries and pagination. */
export function decisionLogConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;

  beforeEach(() => {
    store = ctx.store;
  });

  async function appendMany(n: number): Promise<void> {
    for (let i = 0; i < n; i++)
      await store.appendDecision(decision({ at: T0 + i, agent: i % 2 === 0 ? "agent:bob" : "agent:carol" }));
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
      expect(
        await codeOf(async () => store.appendEachDecision(batch(INPUT_LIMITS.maxDecisionBatch + 1))),
      ).toBe("invalid");
      expect(await store.appendDecisions(batch(INPUT_LIMITS.maxDecisionBatch))).toHaveLength(
        INPUT_LIMITS.maxDecisionBatch,
      );
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
      const [a, b, c, d, e] = await registerAgents(store, "a", "b", "c", "d", "e");
      // root ─┬─ toB ── toC ── toD      and a sibling branch root ── toE, plus another task
      const root = await grant(store, a);
      const toB = await hop(store, root, b);
      const toC = await hop(store, toB, c);
      const toD = await hop(store, toC, d);
      const toE = await hop(store, root, e);
      const other = await grant(store, b);
      const about = (did: string, i: number) => decision({ did, at: T0 + i, agent: "agent:a" });
      const order = [root, toB, toC, toD, toE, other, toB, toE, toD, other, root];
      const ids = new Map<string, number[]>();
      for (const [i, issued] of order.entries()) {
        const record = await store.appendDecision(about(issued.did, i));
        ids.set(issued.did, [...(ids.get(issued.did) ?? []), record.id]);
      }
      // Decisions presenting toC as the chain's leaf also belong to its path.
      const presented = await store.appendDecision(
        decision({
          did: randomId(),
          chain: [root.did, toB.did, toC.did].map((did) => ({ did, sub: null, verified: true })),
        }),
      );
      const expected = [root, toB, toC, toD]
        .flatMap((issued) => ids.get(issued.did) ?? [])
        .sort((x, y) => x - y);
      const found: number[] = [];
      for (let cursor: number | null | undefined; cursor !== null; ) {
        const page = await store.queryDecisions({
          path: toC.did,
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        });
        found.push(...page.items.map((r) => r.id));
        cursor = page.next;
      }
      const withLeaf = found.includes(presented.id);
      expect(found.filter((id) => id !== presented.id).sort((x, y) => x - y)).toEqual(expected);
      expect(withLeaf || found.length === expected.length).toBe(true);
      expect(found).not.toContain(ids.get(toE.did)?.[0]);
      expect(found).not.toContain(ids.get(other.did)?.[0]);
      expect((await store.queryDecisions({ did: toD.did, limit: 10 })).items.map((r) => r.id)).toEqual(
        [...(ids.get(toD.did) ?? [])].reverse(),
      );
    });
  });

  describe("verifyDecisionLog", () => {
    test("reports progress on a large log", async () => {
      for (let i = 0; i < 5; i++)
        await store.appendDecisions(
          Array.from({ length: 500 }, (_, j) => decision({ at: T0 + i * 500 + j })),
        );
      const progress: number[] = [];
      const result = await store.verifyDecisionLog({
        onProgress: (n) => progress.push(n),
        progressEvery: 1000,
      });
      expect(result).toMatchObject({ ok: true, rows: 2500 });
      expect(progress).toEqual([1000, 2000, 2500]);
    });

    test("chains every row to the one before it end to end, whichever way it was appended", async () => {
      const [alice, bob] = await registerAgents(store, "alice", "bob");
      const audit = (kind: string) => ({ audit: { at: T0, kind, decision: "allow" as const, reasons: [] } });
      const root = await grant(store, alice);
      await store.appendDecision(decision());
      await store.appendDecisions([decision(), decision()]);
      await store.appendEachDecision([decision(), decision({ kind: "Bad Kind" }), decision()]);
      const child = await hop(store, root, bob);
      await store.revokeDelegation(child.did, { reason: "done", at: T0 + 1, ...audit("revoke") });
      await store.disableAgent(bob, { reason: "left", at: T0 + 2, ...audit("disable") });
      const rows = (await store.queryDecisions({ limit: 1000, order: "oldest" })).items;
      expect(rows.map((row) => row.id)).toEqual(rows.map((_, i) => i + 1));
      expect(rows.map((row) => row.kind)).toEqual([
        "verify",
        "verify",
        "verify",
        "verify",
        "verify",
        "revoke",
        "disable",
      ]);
      rows.forEach((row, i) => {
        expect(row.prevHash).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]?.hash);
        expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      });
      expect(new Set(rows.map((row) => row.hash)).size).toBe(rows.length);
      expect(await store.verifyDecisionLog()).toEqual({
        ok: true,
        rows: rows.length,
        headHash: rows.at(-1)?.hash,
      });
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
}
