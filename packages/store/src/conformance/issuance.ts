import { randomId, sha256Base64url } from "@baton/token";
import { beforeEach, describe, expect, test } from "vitest";
import type { TaskHours } from "../store.ts";
import { isStoreError } from "../store-error.ts";
import {
  CAP_ALL,
  CAP_ISSUES,
  codeOf,
  countRecords,
  fakeCompact,
  grant,
  grantInput,
  hop,
  hopInput,
  type Issued,
  registerAgents,
  T0,
} from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** Grants, hops and revalidations: every graph rule and error code of issuance. */
export function issuanceConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;
  let alice: string;
  let bob: string;
  let carol: string;
  let mallory: string;

  beforeEach(async () => {
    store = ctx.store;
    [alice, bob, carol, mallory] = await registerAgents(store, "alice", "bob", "carol", "mallory");
  });

  /** What a refused write must leave as it was. */
  const counts = () => countRecords(store);

  describe("recordGrant", () => {
    test("opens the task and records the root delegation and its first token together", async () => {
      const input = grantInput(alice);
      const written = await store.recordGrant(input);
      expect(written.task).toMatchObject({ id: input.delegation.task.id, status: "open", rootAgent: alice });
      expect(written.delegation).toMatchObject({
        did: input.delegation.did,
        depth: 0,
        parent: null,
        from: null,
        to: alice,
      });
      expect(written.delegation.root).toBe(input.delegation.did);
      expect(written.token).toMatchObject({ jti: input.token.jti, version: 1, supersedes: null, prf: null });
      expect(written.token.hash).toBe(sha256Base64url(input.token.compact));
      expect(await store.getDelegation(input.delegation.did)).toEqual(written.delegation);
      expect(await store.latestToken(input.delegation.did)).toEqual(written.token);
    });

    test("refuses a task id that already exists", async () => {
      const first = await grant(store, alice);
      expect(await codeOf(async () => store.recordGrant(grantInput(bob, { task: first.task })))).toBe(
        "conflict",
      );
    });

    test("refuses a grant to an unknown agent and writes nothing", async () => {
      const before = await counts();
      expect(await codeOf(async () => store.recordGrant(grantInput("agent:nobody")))).toBe("not_found");
      expect(await counts()).toEqual(before);
    });

    test("refuses a grant to a disabled agent", async () => {
      await store.disableAgent(bob, { reason: "compromised", at: T0 });
      expect(await codeOf(async () => store.recordGrant(grantInput(bob)))).toBe("revoked");
    });

    test("refuses malformed input with invalid and writes nothing", async () => {
      const before = await counts();
      const good = grantInput(alice);
      const bad: unknown[] = [
        { ...good, delegation: { ...good.delegation, did: "short" } },
        { ...good, delegation: { ...good.delegation, to: "alice" } },
        { ...good, delegation: { ...good.delegation, cap: [] } },
        { ...good, delegation: { ...good.delegation, cap: [{ act: "../x", res: "repo:a" }] } },
        { ...good, delegation: { ...good.delegation, aud: ["a", "a"] } },
        { ...good, delegation: { ...good.delegation, mdp: 1.5 } },
        { ...good, delegation: { ...good.delegation, exp: "tomorrow" } },
        { ...good, delegation: { ...good.delegation, task: { id: "t", intent: "x".repeat(5000) } } },
        { ...good, delegation: { ...good.delegation, task: { id: "bad id", intent: "x" } } },
        { ...good, token: { ...good.token, compact: "not a jws" } },
        { ...good, token: { ...good.token, compact: `${"a".repeat(9000)}.b.c` } },
        { ...good, token: { ...good.token, prf: sha256Base64url("parent") } },
        { ...good, token: { ...good.token, exp: good.delegation.exp + 1, rvl: good.token.rvl } },
        { ...good, token: { ...good.token, rvl: good.token.exp + 1 } },
        { ...good, at: -1 },
        null,
        "grant",
      ];
      for (const input of bad) {
        expect(await codeOf(async () => store.recordGrant(input as never))).toBe("invalid");
      }
      expect(await counts()).toEqual(before);
    });

    test("appends its audit decision in the same transaction", async () => {
      const input = grantInput(alice);
      await store.recordGrant({
        ...input,
        audit: { at: T0, kind: "grant", decision: "allow", did: input.delegation.did, reasons: [] },
      });
      const page = await store.queryDecisions({ did: input.delegation.did, limit: 10 });
      expect(page.items.map((d) => d.kind)).toEqual(["grant"]);
    });

    test("writes neither the grant nor its audit when the audit is invalid", async () => {
      const before = await counts();
      const input = grantInput(alice);
      const audit = { at: T0, kind: "Grant!", decision: "allow" as const, reasons: [] };
      expect(await codeOf(async () => store.recordGrant({ ...input, audit }))).toBe("invalid");
      expect(await counts()).toEqual(before);
    });
  });

  describe("task business hours", () => {
    const WEEKDAYS: TaskHours = { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" };

    /** A grant whose task declares `hours`, as the service passes it. */
    function withHours(hours: unknown, to = alice) {
      const input = grantInput(to);
      return { ...input, delegation: { ...input.delegation, task: { ...input.delegation.task, hours } } };
    }

    /** The field a refused call names, or fails the test when it does not throw a StoreError. */
    async function fieldOf(fn: () => unknown): Promise<string | undefined> {
      try {
        await fn();
      } catch (error) {
        if (isStoreError(error, "invalid")) return error.field;
        throw error;
      }
      throw new Error("expected the call to throw a StoreError");
    }

    test("chainFacts gives the task with its hours, as getTask does", async () => {
      const [owner] = await registerAgents(store, "owner");
      const input = withHours(WEEKDAYS, owner);
      await store.recordGrant(input as never);
      const facts = await store.chainFacts([input.delegation.did]);
      expect(facts.task?.hours).toEqual(WEEKDAYS);
      expect(facts.task).toEqual(await store.getTask(input.delegation.task.id));
    });

    test("a grant that declares hours keeps them on its task, across a reopen of the store", async () => {
      const [owner] = await registerAgents(store, "owner");
      const input = withHours({ end: "18:00", days: [5, 1, 3], start: "08:30" }, owner);
      const written = await store.recordGrant(input as never);
      // Stored in a fixed key order, whatever order the caller used.
      const expected = { days: [5, 1, 3], start: "08:30", end: "18:00" };
      expect(written.task.hours).toEqual(expected);

      const reopen = ctx.subject.reopen;
      if (reopen === undefined) return;
      await store.close();
      const again = await reopen();
      const task = await again.getTask(input.delegation.task.id);
      expect(task?.hours).toEqual(expected);
      expect(Object.keys(task?.hours ?? {})).toEqual(["days", "start", "end"]);
      expect((await again.listTasks()).find((t) => t.id === task?.id)?.hours).toEqual(expected);
    });

    test("a grant without hours opens a task whose hours are null", async () => {
      const written = await store.recordGrant(grantInput(alice));
      expect(written.task.hours).toBeNull();
      expect((await store.getTask(written.task.id))?.hours).toBeNull();
      expect((await store.listTasks())[0]?.hours).toBeNull();
    });

    test("accepts a window that runs to midnight (end 24:00) and a single day", async () => {
      const written = await store.recordGrant(
        withHours({ days: [7], start: "00:00", end: "24:00" }) as never,
      );
      expect(written.task.hours).toEqual({ days: [7], start: "00:00", end: "24:00" });
    });

    test("refuses malformed hours with invalid naming the field, and writes nothing", async () => {
      const before = await counts();
      const bad: [unknown, string][] = [
        [null, "grant.delegation.task.hours"],
        ["08:00-18:00", "grant.delegation.task.hours"],
        [[1, 2], "grant.delegation.task.hours"],
        [{ ...WEEKDAYS, zone: "UTC" }, "grant.delegation.task.hours"],
        [{ start: "08:00", end: "18:00" }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: [] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: [0, 1] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: [8] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: [1.5] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: ["1"] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: [1, 1] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, days: [1, 2, 3, 4, 5, 6, 7, 1] }, "grant.delegation.task.hours.days"],
        [{ ...WEEKDAYS, start: "8:00" }, "grant.delegation.task.hours.start"],
        [{ ...WEEKDAYS, start: 480 }, "grant.delegation.task.hours.start"],
        [{ ...WEEKDAYS, start: "24:01" }, "grant.delegation.task.hours.start"],
        [{ ...WEEKDAYS, end: "18:60" }, "grant.delegation.task.hours.end"],
        [{ ...WEEKDAYS, end: "25:00" }, "grant.delegation.task.hours.end"],
        [{ ...WEEKDAYS, end: " 18:00" }, "grant.delegation.task.hours.end"],
        [{ ...WEEKDAYS, start: "18:00", end: "08:00" }, "grant.delegation.task.hours.end"],
        [{ ...WEEKDAYS, start: "08:00", end: "08:00" }, "grant.delegation.task.hours.end"],
      ];
      for (const [hours, field] of bad) {
        expect({
          hours,
          field: await fieldOf(async () => store.recordGrant(withHours(hours) as never)),
        }).toEqual({
          hours,
          field,
        });
      }
      expect(await counts()).toEqual(before);
      expect(await store.listTasks()).toEqual([]);
    });
  });

  describe("recordHop", () => {
    test("records a hop below its parent with the parent's root and task", async () => {
      const root = await grant(store, alice);
      const input = hopInput(root, bob, { cap: CAP_ISSUES, mdp: 3 });
      const written = await store.recordHop(input);
      expect(written.delegation).toMatchObject({
        parent: root.did,
        root: root.did,
        task: root.task,
        depth: 1,
        from: alice,
      });
      expect(written.token.prf).toBe(sha256Base64url(root.compact));
    });

    test("records a hop below a delegation issued with a 128-bit did, and walks and revokes both", async () => {
      // Delegations issued before dids were 96-bit live on in an upgraded store.
      const legacy = grantInput(alice);
      const did = randomId();
      const compact = fakeCompact({ did, jti: legacy.token.jti, sub: alice });
      await store.recordGrant({
        ...legacy,
        delegation: { ...legacy.delegation, did },
        token: { ...legacy.token, compact },
      });
      const root: Issued = {
        did,
        jti: legacy.token.jti,
        compact,
        task: legacy.delegation.task.id,
        depth: 0,
        mdp: legacy.delegation.mdp,
        to: alice,
        cap: legacy.delegation.cap,
        aud: legacy.delegation.aud,
        exp: legacy.delegation.exp,
      };
      const child = await store.recordHop(hopInput(root, bob));
      expect(child.delegation).toMatchObject({ parent: did, root: did });
      expect(child.delegation.did).toHaveLength(16);
      expect((await store.descendants(did)).map((d) => d.did)).toEqual([child.delegation.did]);
      const revoked = await store.revokeDelegation(did, { reason: "legacy", at: T0 + 1 });
      expect([...revoked.revoked].sort()).toEqual([did, child.delegation.did].sort());
    });

    test("refuses an unknown parent with not_found", async () => {
      const root = await grant(store, alice);
      const input = hopInput({ ...root, did: randomId() }, bob);
      expect(await codeOf(async () => store.recordHop(input))).toBe("not_found");
    });

    test("refuses a hop whose task, depth or delegating agent does not match the parent", async () => {
      const root = await grant(store, alice);
      const other = await grant(store, carol);
      const base = hopInput(root, bob);
      const d = base.delegation;
      expect(
        await codeOf(async () => store.recordHop({ ...base, delegation: { ...d, task: other.task } })),
      ).toBe("invalid");
      expect(await codeOf(async () => store.recordHop({ ...base, delegation: { ...d, depth: 2 } }))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.recordHop({ ...base, delegation: { ...d, from: carol } }))).toBe(
        "invalid",
      );
    });

    test("refuses a hop wider than its parent in scope, audience, depth or lifetime", async () => {
      const root = await grant(store, alice, { cap: CAP_ISSUES, aud: ["github-tools"], mdp: 2 });
      const base = hopInput(root, bob);
      const d = base.delegation;
      const attempts = [
        { ...d, cap: CAP_ALL },
        { ...d, aud: ["github-tools", "mail-tools"] },
        { ...d, aud: ["*"] },
        { ...d, mdp: 2 },
        { ...d, exp: root.exp + 1 },
      ];
      for (const delegation of attempts) {
        expect(await codeOf(async () => store.recordHop({ ...base, delegation }))).toBe("invalid");
      }
    });

    test("refuses a hop below a parent with no hops left", async () => {
      const root = await grant(store, alice, { mdp: 0 });
      expect(await codeOf(async () => store.recordHop(hopInput(root, bob, { mdp: 0 })))).toBe("invalid");
    });

    test("refuses a hop that hands the chain back to an agent already on it (a cycle)", async () => {
      const root = await grant(store, alice);
      const toBob = await hop(store, root, bob);
      const toCarol = await hop(store, toBob, carol);
      expect(await codeOf(async () => store.recordHop(hopInput(toCarol, alice)))).toBe("invalid");
      expect(await codeOf(async () => store.recordHop(hopInput(toCarol, bob)))).toBe("invalid");
      expect(await codeOf(async () => store.recordHop(hopInput(toCarol, carol)))).toBe("invalid");
    });

    test("refuses a hop whose prf names no recorded token of the parent", async () => {
      const root = await grant(store, alice);
      const input = hopInput(root, bob);
      const token = { ...input.token, prf: sha256Base64url("some other token") };
      expect(await codeOf(async () => store.recordHop({ ...input, token }))).toBe("invalid");
    });

    test("refuses a reused did or jti with conflict", async () => {
      const root = await grant(store, alice);
      const first = hopInput(root, bob);
      await store.recordHop(first);
      const again = hopInput(root, carol);
      expect(
        await codeOf(async () =>
          store.recordHop({ ...again, delegation: { ...again.delegation, did: first.delegation.did } }),
        ),
      ).toBe("conflict");
      expect(
        await codeOf(async () =>
          store.recordHop({ ...again, token: { ...again.token, jti: first.token.jti } }),
        ),
      ).toBe("conflict");
    });

    test("refuses a hop below a revoked parent with revoked and writes nothing", async () => {
      const root = await grant(store, alice);
      const toBob = await hop(store, root, bob);
      await store.revokeDelegation(toBob.did, { reason: "compromised", at: T0 + 1 });
      const before = await counts();
      expect(await codeOf(async () => store.recordHop(hopInput(toBob, carol)))).toBe("revoked");
      expect(await counts()).toEqual(before);
    });

    test("refuses a hop in a closed task, or from or to a disabled agent, with revoked", async () => {
      const closed = await grant(store, alice);
      const toBob = await hop(store, closed, bob);
      await store.completeTask(closed.task, { at: T0 + 1 });
      expect(await codeOf(async () => store.recordHop(hopInput(toBob, carol)))).toBe("revoked");

      const open = await grant(store, alice);
      await store.disableAgent(mallory, { reason: "compromised", at: T0 + 1 });
      expect(await codeOf(async () => store.recordHop(hopInput(open, mallory)))).toBe("revoked");
    });

    test("never leaves a live orphan when a revocation and a hop race", async () => {
      const root = await grant(store, alice);
      const toBob = await hop(store, root, bob);
      // Either order of the two transactions: the hop is refused, or it is revoked with the rest.
      const pending = hopInput(toBob, carol);
      await store.revokeDelegation(root.did, { reason: "stop", at: T0 + 1 });
      expect(await codeOf(async () => store.recordHop(pending))).toBe("revoked");

      const root2 = await grant(store, alice);
      const toBob2 = await hop(store, root2, bob);
      const child = await hop(store, toBob2, carol);
      const result = await store.revokeDelegation(root2.did, { reason: "stop", at: T0 + 1 });
      expect(result.revoked).toContain(child.did);
      expect((await store.getDelegation(child.did))?.status).toBe("revoked");
    });

    test("refuses self-delegation", async () => {
      const root = await grant(store, alice);
      expect(await codeOf(async () => store.recordHop(hopInput(root, alice)))).toBe("invalid");
    });
  });

  describe("recordRevalidation", () => {
    test("adds a version that supersedes the latest one", async () => {
      const root = await grant(store, alice);
      const jti = randomId();
      const v2 = await store.recordRevalidation({
        did: root.did,
        token: { jti, compact: fakeCompact({ jti }), iat: T0 + 10, exp: root.exp, rvl: T0 + 3610 },
        at: T0 + 10,
      });
      expect(v2).toMatchObject({ version: 2, supersedes: root.jti });
      const jti3 = randomId();
      await store.recordRevalidation({
        did: root.did,
        token: {
          jti: jti3,
          compact: fakeCompact({ jti: jti3 }),
          iat: T0 + 20,
          exp: root.exp,
          rvl: T0 + 3620,
        },
        at: T0 + 20,
      });
      expect((await store.tokenVersions(root.did)).map((t) => [t.version, t.supersedes])).toEqual([
        [1, null],
        [2, root.jti],
        [3, jti],
      ]);
      expect((await store.latestToken(root.did))?.jti).toBe(jti3);
    });

    test("links a re-issued hop to a re-issued parent through prf", async () => {
      const root = await grant(store, alice);
      const child = await hop(store, root, bob);
      const rootJti = randomId();
      const rootCompact = fakeCompact({ jti: rootJti });
      await store.recordRevalidation({
        did: root.did,
        token: { jti: rootJti, compact: rootCompact, iat: T0 + 10, exp: root.exp, rvl: T0 + 3610 },
        at: T0 + 10,
      });
      const jti = randomId();
      const token = { jti, compact: fakeCompact({ jti }), iat: T0 + 10, exp: child.exp, rvl: T0 + 3610 };
      expect(await codeOf(async () => store.recordRevalidation({ did: child.did, token, at: T0 + 10 }))).toBe(
        "invalid",
      );
      const v2 = await store.recordRevalidation({
        did: child.did,
        token: { ...token, prf: sha256Base64url(rootCompact) },
        at: T0 + 10,
      });
      expect(v2.version).toBe(2);
    });

    test("refuses a revoked delegation, an unknown one, and a reused jti", async () => {
      const root = await grant(store, alice);
      const jti = randomId();
      const token = { jti, compact: fakeCompact({ jti }), iat: T0 + 10, exp: root.exp, rvl: T0 + 3610 };
      expect(await codeOf(async () => store.recordRevalidation({ did: randomId(), token, at: T0 }))).toBe(
        "not_found",
      );
      expect(
        await codeOf(async () =>
          store.recordRevalidation({ did: root.did, token: { ...token, jti: root.jti }, at: T0 }),
        ),
      ).toBe("conflict");
      await store.revokeDelegation(root.did, { reason: "done", at: T0 + 5 });
      expect(await codeOf(async () => store.recordRevalidation({ did: root.did, token, at: T0 + 10 }))).toBe(
        "revoked",
      );
      expect(await store.tokenVersions(root.did)).toHaveLength(1);
    });
  });
}
