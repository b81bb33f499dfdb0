/**
 * A hop on PostgreSQL in one statement (issue 21): a hop that fits is inserted as its facts are
 * read, then judged on them; a hop the rules refuse is undone with its write, alone or in a batch;
 * a statement that a key or a constraint refuses is undone, and the hop is checked the long way,
 * whose refusal names the rule. Which statements ran is read from the named statements the store's
 * connections executed.
 */
import { StoreError } from "@baton/store/adapter-kit";
import {
  CAP_ALL,
  CAP_ISSUES,
  codeOf,
  countRecords,
  grant,
  hop,
  hopInput,
  registerAgents,
  T0,
} from "@baton/store/conformance";
import { randomDelegationId, sha256Base64url } from "@baton/token";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { openPostgresStore, type PostgresStore } from "../src/index.ts";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "./helpers/scratch-database.ts";

const ONE_STATEMENT = ["baton_hop_record"];
const THE_LONG_WAY = ["baton_hop_record", "baton_lock_path", "baton_hop_facts"];

describeWithPostgres("PostgresStore: a hop in one statement", () => {
  let database: ScratchDatabase;
  let store: PostgresStore;
  let alice: string;
  let bob: string;
  let carol: string;
  let mallory: string;
  /** The names of the prepared statements run since the last call, in order. */
  let named: () => string[];

  beforeEach(async () => {
    database = await createScratchDatabase();
    store = await openPostgresStore(database.url, { maxConnections: 4 });
    [alice, bob, carol, mallory] = await registerAgents(store, "alice", "bob", "carol", "mallory");
    const calls = vi.spyOn(pg.Client.prototype, "query");
    named = () => {
      const names = calls.mock.calls.flatMap(([config]) => {
        const name = (config as unknown as { name?: unknown }).name;
        return typeof name === "string" ? [name] : [];
      });
      calls.mockClear();
      return names;
    };
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    await database.drop();
  });

  test("records a hop that fits with one statement, not a path lock, a read of the facts and an insert", async () => {
    const root = await grant(store, alice, { cap: CAP_ALL });
    named();
    const input = hopInput(root, bob, { cap: CAP_ISSUES });
    const recorded = await store.recordHop(input);
    expect(named()).toEqual(ONE_STATEMENT);
    expect(recorded.delegation).toMatchObject({
      did: input.delegation.did,
      parent: root.did,
      root: root.did,
      task: root.task,
      depth: 1,
      from: alice,
      to: bob,
      cap: CAP_ISSUES,
      status: "live",
    });
    expect(await store.getDelegation(input.delegation.did)).toEqual(recorded.delegation);
    expect(await store.latestToken(input.delegation.did)).toEqual(recorded.token);
    expect(recorded.token).toMatchObject({ jti: input.token.jti, version: 1, prf: input.token.prf });
  });

  test("takes the root of a deeper hop from its parent's row", async () => {
    const root = await grant(store, alice);
    const toBob = await hop(store, root, bob);
    const toCarol = await store.recordHop(hopInput(toBob, carol));
    expect(toCarol.delegation).toMatchObject({ parent: toBob.did, root: root.did, depth: 2 });
    expect((await store.getDelegation(toCarol.delegation.did))?.root).toBe(root.did);
  });

  describe("undoes a hop the rules refuse after its statement inserted it, and leaves nothing", () => {
    test("running alone", async () => {
      const root = await grant(store, alice, { cap: CAP_ISSUES, mdp: 3 });
      const toBob = await hop(store, root, bob);
      await store.disableAgent(mallory, { reason: "compromised", at: T0 + 1 });
      const revokedParent = await hop(store, root, carol);
      await store.revokeDelegation(revokedParent.did, { reason: "stop", at: T0 + 1 });
      const before = await countRecords(store);
      const wrongPrf = hopInput(toBob, carol);
      const refusals: [string, () => Promise<unknown>][] = [
        ["revoked", () => store.recordHop(hopInput(root, mallory))],
        ["revoked", () => store.recordHop(hopInput(revokedParent, bob))],
        ["invalid", () => store.recordHop(hopInput(toBob, alice))],
        ["invalid", () => store.recordHop(hopInput(toBob, carol, { cap: CAP_ALL }))],
        [
          "invalid",
          () => store.recordHop({ ...wrongPrf, token: { ...wrongPrf.token, prf: sha256Base64url("x") } }),
        ],
      ];
      named();
      for (const [code, refused] of refusals) {
        expect(await codeOf(refused)).toBe(code);
        // Judged on what the one statement read: no second look.
        expect(named()).toEqual(ONE_STATEMENT);
      }
      expect(await countRecords(store)).toEqual(before);
    });

    test("in a batch, where the hops before and after it commit", async () => {
      const root = await grant(store, alice);
      await store.disableAgent(mallory, { reason: "compromised", at: T0 + 1 });
      const inputs = [hopInput(root, bob), hopInput(root, mallory), hopInput(root, carol)];
      const outcomes = await Promise.allSettled(inputs.map((input) => store.recordHop(input)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "revoked" });
      const stored = await Promise.all(inputs.map((input) => store.getDelegation(input.delegation.did)));
      expect(stored.map((row) => row?.to)).toEqual([bob, undefined, carol]);
      expect(await store.latestToken(inputs[1]?.delegation.did as string)).toBeUndefined();
    });
  });

  describe("checks the hop the long way when a key or a constraint refuses its statement", () => {
    test("a taken jti is a conflict, an unknown agent or parent not found", async () => {
      const root = await grant(store, alice);
      const first = await hop(store, root, bob);
      const before = await countRecords(store);
      const taken = hopInput(root, carol);
      named();
      expect(
        await codeOf(() => store.recordHop({ ...taken, token: { ...taken.token, jti: first.jti } })),
      ).toBe("conflict");
      expect(named()).toEqual(THE_LONG_WAY);
      expect(await codeOf(() => store.recordHop(hopInput(root, "agent:nobody")))).toBe("not_found");
      expect(named()).toEqual(THE_LONG_WAY);
      // No parent: nothing to insert below, so the statement finds nothing and the long way says why.
      expect(
        await codeOf(() => store.recordHop(hopInput({ ...root, did: randomDelegationId() }, carol))),
      ).toBe("not_found");
      expect(named()).toEqual(THE_LONG_WAY);
      expect(await countRecords(store)).toEqual(before);
    });

    test("in a batch, where the hop after it still commits", async () => {
      const root = await grant(store, alice);
      const first = await hop(store, root, bob);
      const taken = hopInput(root, carol);
      const after = hopInput(root, carol);
      const outcomes = await Promise.allSettled([
        store.recordHop({ ...taken, token: { ...taken.token, jti: first.jti } }),
        store.recordHop(after),
      ]);
      expect(outcomes[0]).toMatchObject({ status: "rejected", reason: expect.any(StoreError) });
      expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
      expect(outcomes[1]?.status).toBe("fulfilled");
      expect(await store.getDelegation(taken.delegation.did)).toBeUndefined();
      expect((await store.getDelegation(after.delegation.did))?.status).toBe("live");
    });
  });
});
