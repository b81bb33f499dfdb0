/** Status list entries for issuance: reserved in blocks from a real SQLite store, a block ahead. */
import type { StatusEntryBlock } from "@baton/store";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWorld, type World } from "./world.ts";

let world: World;
beforeEach(() => {
  world = createWorld();
});
afterEach(async () => world.close());

/** Lets the first reservation through and holds each later one until the test releases it. */
function holdReservationsAfterTheFirst(): { release: (n: number) => void; calls: () => number } {
  const real = world.store.reserveStatusEntries.bind(world.store);
  const held: (() => void)[] = [];
  let calls = 0;
  vi.spyOn(world.store, "reserveStatusEntries").mockImplementation(async (count, at) => {
    calls++;
    if (calls > 1) await new Promise<void>((resolve) => held.push(resolve));
    return real(count, at);
  });
  return { release: (n) => held[n]?.(), calls: () => calls };
}

/** Resolves with the entry, or with "waiting" when it is not ready within a few turns of the loop. */
async function entryUnlessWaiting(world: World) {
  return Promise.race([
    world.ctx.nextStatusEntry(),
    new Promise<"waiting">((resolve) => setTimeout(() => resolve("waiting"), 100)),
  ]);
}

describe("status list entries for issuance", () => {
  it("hands out each reserved entry once, even to issuances asking all at once", async () => {
    const reserve = vi.spyOn(world.store, "reserveStatusEntries");
    const entries = await Promise.all(Array.from({ length: 300 }, () => world.ctx.nextStatusEntry()));
    const indexes = entries.map((entry) => entry?.index);
    expect(new Set(indexes).size).toBe(300);
    expect(entries.every((entry) => entry?.list === 0)).toBe(true);
    // 300 entries in blocks of 64, plus at most one block reserved ahead.
    expect(reserve.mock.calls.length).toBeLessThanOrEqual(Math.ceil(300 / 64) + 1);
  });

  it("reserves the next block while a block's worth is in hand, so an issuance at a block's end does not wait", async () => {
    const reservations = holdReservationsAfterTheFirst();
    const first = await world.ctx.nextStatusEntry();
    expect(first).toEqual({ list: 0, index: 0 });
    // The first entry taken started the next reservation, held for now.
    expect(reservations.calls()).toBe(2);
    for (let index = 1; index < 64; index++) {
      expect(await entryUnlessWaiting(world)).toEqual({ list: 0, index });
    }
    reservations.release(0);
    const second = vi.mocked(world.store.reserveStatusEntries).mock.results[1]
      ?.value as Promise<StatusEntryBlock>;
    await second;
    await Promise.resolve();
    // The 65th entry comes from the block reserved ahead while the one after it is still held.
    expect(await entryUnlessWaiting(world)).toEqual({ list: 0, index: 64 });
    expect(reservations.calls()).toBe(3);
  });

  it("retries a reservation made ahead that failed, when an issuance finds no entry in hand", async () => {
    const real = world.store.reserveStatusEntries.bind(world.store);
    let calls = 0;
    vi.spyOn(world.store, "reserveStatusEntries").mockImplementation(async (count, at) => {
      calls++;
      if (calls === 2) throw new Error("the store is briefly unavailable");
      return real(count, at);
    });
    const entries = [];
    for (let i = 0; i < 65; i++) entries.push(await world.ctx.nextStatusEntry());
    expect(entries.at(-1)).toEqual({ list: 0, index: 64 });
    expect(new Set(entries.map((entry) => entry?.index)).size).toBe(65);
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it("hands out no entry from an empty reservation, and reserves again", async () => {
    const real = world.store.reserveStatusEntries.bind(world.store);
    let calls = 0;
    vi.spyOn(world.store, "reserveStatusEntries").mockImplementation(async (count, at) => {
      calls++;
      return calls === 1 ? { list: 7, first: 100, count: 0 } : real(count, at);
    });
    expect(await world.ctx.nextStatusEntry()).toEqual({ list: 0, index: 0 });
  });

  it("hands out nothing and reserves nothing when status lists are off", async () => {
    const reserve = vi.spyOn(world.store, "reserveStatusEntries");
    (world.ctx.settings as { statusLists?: boolean }).statusLists = false;
    expect(await world.ctx.nextStatusEntry()).toBeUndefined();
    expect(reserve).not.toHaveBeenCalled();
  });
});
