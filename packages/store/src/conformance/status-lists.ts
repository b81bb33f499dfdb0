import { beforeEach, describe, expect, test } from "vitest";
import { STATUS_LIST_SIZE, type StatusEntry, type StatusListBits, type Store } from "../store.ts";
import { codeOf, countRecords, grant, hop, hopInput, type Issued, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** The indexes whose bit is set, least significant bit first. */
function setIndexes(bits: StatusListBits | undefined): number[] {
  const indexes: number[] = [];
  if (bits === undefined) return indexes;
  for (const [at, byte] of bits.bytes.entries()) {
    for (let bit = 0; bit < 8; bit++) if ((byte >> bit) & 1) indexes.push(at * 8 + bit);
  }
  return indexes;
}

/** Reserves one entry at a time, as the service's allocator does when it runs dry. */
async function reserveOne(store: Store): Promise<StatusEntry> {
  const block = await store.reserveStatusEntries(1, T0);
  return { list: block.list, index: block.first };
}

/** Token Status Lists: reservation, entries at issuance, and bits set by every revocation. */
export function statusListConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;

  beforeEach(async () => {
    store = ctx.store;
    [alice, bob, carol, dave] = await registerAgents(store, "alice", "bob", "carol", "dave");
  });

  /** alice → bob → carol, and alice → dave, in one task, each with its own entry. */
  async function tree(): Promise<{ root: Issued; toBob: Issued; toCarol: Issued; toDave: Issued }> {
    const root = await grant(store, alice, { statusEntry: await reserveOne(store) });
    const toBob = await hop(store, root, bob, { statusEntry: await reserveOne(store) });
    const toCarol = await hop(store, toBob, carol, { statusEntry: await reserveOne(store) });
    const toDave = await hop(store, root, dave, { statusEntry: await reserveOne(store) });
    return { root, toBob, toCarol, toDave };
  }

  async function indexOf(issued: Issued): Promise<number> {
    const entry = (await store.getDelegation(issued.did))?.statusEntry;
    if (entry === null || entry === undefined) throw new Error(`${issued.did} has no status entry`);
    return entry.index;
  }

  describe("reservation", () => {
    test("hands out consecutive blocks of list 0, then opens list 1 when list 0 is full", async () => {
      expect(await store.reserveStatusEntries(10, T0)).toEqual({ list: 0, first: 0, count: 10 });
      expect(await store.reserveStatusEntries(5, T0)).toEqual({ list: 0, first: 10, count: 5 });
      let allocated = 15;
      while (allocated + 1024 <= STATUS_LIST_SIZE) {
        allocated += (await store.reserveStatusEntries(1024, T0)).count;
      }
      const rest = STATUS_LIST_SIZE - allocated;
      // A block never crosses lists: the last one of list 0 is short.
      expect(await store.reserveStatusEntries(1024, T0)).toEqual({ list: 0, first: allocated, count: rest });
      expect(await store.reserveStatusEntries(3, T0)).toEqual({ list: 1, first: 0, count: 3 });
      expect((await store.statusListBits(0))?.allocated).toBe(STATUS_LIST_SIZE);
      expect((await store.statusListBits(1))?.allocated).toBe(3);
    });

    test("refuses a count outside 1 to 1024 with invalid", async () => {
      for (const count of [0, -1, 1025, 1.5, Number.NaN]) {
        expect(await codeOf(() => store.reserveStatusEntries(count, T0)), String(count)).toBe("invalid");
      }
    });

    test("never hands one entry to two reservations racing each other", async () => {
      const second = ctx.subject.reopen === undefined ? store : await ctx.subject.reopen();
      const blocks = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : second).reserveStatusEntries(7, T0)),
      );
      const entries = blocks.flatMap((block) =>
        Array.from({ length: block.count }, (_, i) => `${block.list}:${block.first + i}`),
      );
      expect(new Set(entries).size).toBe(12 * 7);
    });
  });

  describe("entries at issuance", () => {
    test("records a grant's and a hop's entry with the delegation", async () => {
      const rootEntry = await reserveOne(store);
      const root = await grant(store, alice, { statusEntry: rootEntry });
      const hopEntry = await reserveOne(store);
      const toBob = await hop(store, root, bob, { statusEntry: hopEntry });
      expect((await store.getDelegation(root.did))?.statusEntry).toEqual(rootEntry);
      expect((await store.getDelegation(toBob.did))?.statusEntry).toEqual(hopEntry);
      const unlisted = await hop(store, root, carol);
      expect((await store.getDelegation(unlisted.did))?.statusEntry).toBeNull();
    });

    test("refuses an entry that was never reserved with invalid, and writes nothing", async () => {
      const root = await grant(store, alice, { statusEntry: await reserveOne(store) });
      const before = await countRecords(store);
      const input = hopInput(root, bob, { statusEntry: { list: 0, index: 5 } });
      expect(await codeOf(() => store.recordHop(input))).toBe("invalid");
      const unopened = hopInput(root, bob, { statusEntry: { list: 3, index: 0 } });
      expect(await codeOf(() => store.recordHop(unopened))).toBe("invalid");
      for (const statusEntry of [{ list: -1, index: 0 }, { list: 0, index: STATUS_LIST_SIZE }, { list: 0 }]) {
        const bad = hopInput(root, bob, { statusEntry: statusEntry as StatusEntry });
        expect(await codeOf(() => store.recordHop(bad))).toBe("invalid");
      }
      expect(await countRecords(store)).toEqual(before);
    });

    test("refuses an entry another delegation holds with conflict", async () => {
      const entry = await reserveOne(store);
      const root = await grant(store, alice, { statusEntry: entry });
      expect(await codeOf(() => store.recordHop(hopInput(root, bob, { statusEntry: entry })))).toBe(
        "conflict",
      );
      expect(await codeOf(() => grant(store, bob, { statusEntry: entry }))).toBe("conflict");
    });
  });

  describe("bits", () => {
    test("reads a list of 65,536 entries, all 0 before any revocation", async () => {
      await tree();
      const bits = await store.statusListBits(0);
      expect(bits?.size).toBe(STATUS_LIST_SIZE);
      expect(bits?.bytes.byteLength).toBe(STATUS_LIST_SIZE / 8);
      expect(setIndexes(bits)).toEqual([]);
    });

    test("answers undefined for a list never opened and invalid for a bad list number", async () => {
      expect(await store.statusListBits(0)).toBeUndefined();
      await reserveOne(store);
      expect(await store.statusListBits(1)).toBeUndefined();
      for (const list of [-1, 1.5, "0", 2 ** 31]) {
        expect(await codeOf(() => store.statusListBits(list as number))).toBe("invalid");
      }
    });

    test("sets the bits of a revoked delegation and its whole subtree, and nothing beside them", async () => {
      const { root, toBob, toCarol, toDave } = await tree();
      await store.revokeDelegation(toBob.did, { reason: "bob is compromised", at: T0 + 5 });
      expect(setIndexes(await store.statusListBits(0))).toEqual(
        [await indexOf(toBob), await indexOf(toCarol)].sort((a, b) => a - b),
      );
      expect(setIndexes(await store.statusListBits(0))).not.toContain(await indexOf(root));
      expect(setIndexes(await store.statusListBits(0))).not.toContain(await indexOf(toDave));
    });

    test("sets the bits of everything an agent held or made when it is disabled or revoked", async () => {
      const { root, toBob, toCarol, toDave } = await tree();
      await store.disableAgent(bob, { reason: "gone", at: T0 + 5 });
      expect(setIndexes(await store.statusListBits(0))).toEqual(
        [await indexOf(toBob), await indexOf(toCarol)].sort((a, b) => a - b),
      );
      await store.revokeAgent(dave, { reason: "rotated", at: T0 + 6 });
      expect(setIndexes(await store.statusListBits(0))).toEqual(
        [await indexOf(toBob), await indexOf(toCarol), await indexOf(toDave)].sort((a, b) => a - b),
      );
      expect(setIndexes(await store.statusListBits(0))).not.toContain(await indexOf(root));
    });

    test("sets the bits of a whole task when it is completed or revoked", async () => {
      const first = await tree();
      await store.completeTask(first.root.task, { at: T0 + 5 });
      const all = await Promise.all(Object.values(first).map(indexOf));
      expect(setIndexes(await store.statusListBits(0))).toEqual(all.sort((a, b) => a - b));

      const other = await grant(store, carol, { statusEntry: await reserveOne(store) });
      const below = await hop(store, other, dave, { statusEntry: await reserveOne(store) });
      await store.revokeTask(other.task, { reason: "stop", at: T0 + 6 });
      expect(setIndexes(await store.statusListBits(0))).toEqual(
        [...all, await indexOf(other), await indexOf(below)].sort((a, b) => a - b),
      );
    });

    test("keeps the bits of other lists apart", async () => {
      const root = await grant(store, alice, { statusEntry: await reserveOne(store) });
      let allocated = 1;
      while (allocated < STATUS_LIST_SIZE) allocated += (await store.reserveStatusEntries(1024, T0)).count;
      const entry = await reserveOne(store);
      expect(entry).toEqual({ list: 1, index: 0 });
      const toBob = await hop(store, root, bob, { statusEntry: entry });
      await store.revokeDelegation(toBob.did, { reason: "x", at: T0 + 1 });
      expect(setIndexes(await store.statusListBits(1))).toEqual([0]);
      expect(setIndexes(await store.statusListBits(0))).toEqual([]);
    });
  });
}
