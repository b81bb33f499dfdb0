/**
 * The revocation feed follower (issue 3) against a real loopback server serving pages of
 * `{items: [{seq, did, at, reason}], next}`: it catches up over pages, knows how fresh its view
 * is, keeps its view on errors (and goes stale, so the verifier fails closed), and polls with
 * back-off.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { followRevocationFeed, memoryRevocations } from "../src/revocation-sources.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import { makeVerifier, presentation, randomId, standardChain } from "./fixtures.ts";
import { type LoopbackServer, sendJson, startLoopback } from "./loopback.ts";

interface FeedItem {
  seq: number;
  did: string;
  at: number;
  reason: string;
}

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.useRealTimers();
});

/**
 * A feed server as the token service answers: `{epoch, items, next, head}`, `items` in sequence
 * order, at most `pageSize` per page; `status` other than 200 fails. `failAfter` fails every
 * request after that many more have been answered.
 */
async function feedServer(pageSize = 3) {
  const state = {
    epoch: "epoch-a",
    items: [] as FeedItem[],
    status: 200,
    pageSize,
    failAfter: Number.POSITIVE_INFINITY,
  };
  server = await startLoopback(({ url }, response) => {
    if (state.failAfter-- <= 0 || state.status !== 200)
      return sendJson(response, state.status === 200 ? 503 : state.status, { code: "unavailable" });
    const since = Number(url.searchParams.get("since") ?? "0");
    const limit = Math.min(state.pageSize, Number(url.searchParams.get("limit") ?? "1000"));
    const after = state.items.filter((item) => item.seq > since);
    const page = after.slice(0, limit);
    const last = page[page.length - 1];
    sendJson(response, 200, {
      epoch: state.epoch,
      items: page,
      next: after.length > limit && last !== undefined ? last.seq : null,
      head: state.items.at(-1)?.seq ?? 0,
    });
  });
  let second = 0;
  const revoke = (did = randomId()) => {
    // Each revocation a second later, as a live service would stamp them.
    state.items.push({ seq: state.items.length + 1, did, at: 1_900_000_000 + second++, reason: "test" });
    return did;
  };
  return {
    state,
    revoke,
    /** Brings back an older copy of the database: its first `count` entries, the same epoch. */
    restore: (count: number) => {
      state.items = state.items.slice(0, count);
    },
    /** Puts another database in place: a new epoch, no entries. */
    replace: (epoch: string) => {
      state.epoch = epoch;
      state.items = [];
    },
    url: `${server.origin}/v1/revocations`,
    fetches: () => server?.requests.length ?? 0,
  };
}

const START_MS = 1_900_000_000_000;

describe("memoryRevocations", () => {
  it("is never stale and answers what it was told", () => {
    const revocations = memoryRevocations(["a"]);
    revocations.revoke("b");
    expect(revocations.isRevoked("a")).toBe(true);
    expect(revocations.isRevoked("b")).toBe(true);
    expect(revocations.isRevoked("c")).toBe(false);
    expect(revocations.syncedAt()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("followRevocationFeed over loopback HTTP", () => {
  it("catches up over several pages, then knows when it was complete", async () => {
    const feed = await feedServer(3);
    const dids = Array.from({ length: 10 }, () => feed.revoke());
    const follower = followRevocationFeed({ url: feed.url, clock: () => START_MS });
    expect(follower.syncedAt()).toBeUndefined();
    await follower.syncOnce();
    expect(feed.fetches()).toBe(4);
    expect(follower.syncedAt()).toBe(START_MS / 1000);
    expect(follower.cursor).toBe(10);
    expect(follower.size).toBe(10);
    for (const did of dids) expect(follower.isRevoked(did)).toBe(true);
    expect(follower.isRevoked(randomId())).toBe(false);

    // The next sync asks only for what is new, from the entry at its cursor (re-read to check
    // that the feed's history is still the one it followed).
    const later = feed.revoke();
    await follower.syncOnce();
    expect(follower.isRevoked(later)).toBe(true);
    expect(server?.requests.at(-1)?.url).toContain("since=9");
    expect(follower.resyncs).toBe(0);
  });

  it("makes the verifier refuse a chain whose hop appears in the feed (revoked)", async () => {
    const feed = await feedServer();
    const chain = standardChain();
    feed.revoke(chain.tokens[1]?.claims.did as string);
    const follower = followRevocationFeed({ url: feed.url, clock: () => START_MS });
    await follower.syncOnce();
    const verifier = makeVerifier({ revocations: follower, clock: () => START_MS / 1000 });
    expectExactly(await verifier.verify(presentation(chain, { now: START_MS / 1000 })), [[1, "revoked"]]);
  });

  it("keeps its view on errors and goes stale, so the verifier fails closed after maxStalenessSeconds", async () => {
    const feed = await feedServer();
    const revokedDid = feed.revoke();
    let nowMs = START_MS;
    const follower = followRevocationFeed({ url: feed.url, clock: () => nowMs });
    await follower.syncOnce();
    const syncedAt = follower.syncedAt();

    feed.state.status = 503;
    nowMs += 45_000;
    await expect(follower.syncOnce()).rejects.toThrow();
    expect(follower.lastError).toBeInstanceOf(Error);
    expect(follower.isRevoked(revokedDid)).toBe(true);
    expect(follower.syncedAt()).toBe(syncedAt);

    const chain = standardChain();
    const at = (seconds: number) => presentation(chain, { now: seconds });
    const verifier = makeVerifier({ revocations: follower, maxStalenessSeconds: 60 });
    const synced = START_MS / 1000;
    expectAllowed(await verifier.verify(at(synced + 60)));
    expectExactly(await verifier.verify(at(synced + 61)), [[0, "revocation_unknown"]]);

    // Once the feed answers again the view is fresh again.
    feed.state.status = 200;
    nowMs = (synced + 61) * 1000;
    await follower.syncOnce();
    expect(follower.lastError).toBeUndefined();
    expectAllowed(await verifier.verify(at(synced + 61)));
  });

  it("keeps what it learnt from the pages before a failing one, but does not claim to be complete", async () => {
    const feed = await feedServer(2);
    const dids = [feed.revoke(), feed.revoke(), feed.revoke(), feed.revoke()];
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 2) return new Response("oops", { status: 500 });
      return fetch(input, init);
    };
    const follower = followRevocationFeed({ url: feed.url, fetch: flaky, clock: () => START_MS });
    await expect(follower.syncOnce()).rejects.toThrow();
    expect(follower.isRevoked(dids[0] as string)).toBe(true);
    expect(follower.syncedAt()).toBeUndefined();
    await follower.syncOnce();
    for (const did of dids) expect(follower.isRevoked(did)).toBe(true);
    expect(follower.syncedAt()).toBe(START_MS / 1000);
  });

  it("refuses pages that are not {items, next}", async () => {
    for (const body of [
      [],
      { items: "x" },
      { items: [{ seq: 1 }] },
      { items: [{ did: "a", seq: "1" }] },
      { items: [], next: "2" },
      { epoch: 7, items: [], next: null },
      { epoch: "e", items: [], next: null, head: "3" },
    ]) {
      const fake: typeof fetch = async () => Response.json(body);
      const follower = followRevocationFeed({ url: "http://127.0.0.1:9/v1/revocations", fetch: fake });
      await expect(follower.syncOnce()).rejects.toThrow();
      expect(follower.syncedAt()).toBeUndefined();
    }
  });

  it("refuses a feed whose next does not advance, instead of asking for the same page again and again", async () => {
    let calls = 0;
    const stuck: typeof fetch = async () => {
      calls++;
      return Response.json({ items: [{ seq: 5, did: "a", at: 0, reason: "x" }], next: 5 });
    };
    const follower = followRevocationFeed({ url: "http://127.0.0.1:9/v1/revocations", fetch: stuck });
    await expect(follower.syncOnce()).rejects.toThrow();
    expect(calls).toBeLessThanOrEqual(2);
    expect(follower.syncedAt()).toBeUndefined();
  });

  it("polls in the background after start() and stops after stop()", async () => {
    const feed = await feedServer();
    const did = feed.revoke();
    const follower = followRevocationFeed({ url: feed.url, pollIntervalMs: 10 });
    follower.start();
    await waitFor(() => follower.isRevoked(did));
    const late = feed.revoke();
    await waitFor(() => follower.isRevoked(late));
    follower.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const fetched = feed.fetches();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(feed.fetches()).toBe(fetched);
  });
});

/** @see issue 14 (feed rewind): a restored or replaced database rewrites the feed's history. */
describe("followRevocationFeed when the feed's history is rewritten", () => {
  const NOW = START_MS / 1000;
  const at = (chain: ReturnType<typeof standardChain>) => presentation(chain, { now: NOW });

  /** A follower that has read `count` revocations, and a verifier over it. */
  async function following(count: number, pageSize = 3) {
    const feed = await feedServer(pageSize);
    for (let i = 0; i < count; i++) feed.revoke();
    const follower = followRevocationFeed({ url: feed.url, clock: () => START_MS });
    await follower.syncOnce();
    const verifier = makeVerifier({ revocations: follower, clock: () => NOW, maxStalenessSeconds: 3600 });
    return { feed, follower, verifier };
  }

  it("starts over from zero under a new epoch, and denies revocation_unknown until it has read the whole feed", async () => {
    const { feed, follower, verifier } = await following(6);
    const forgotten = feed.state.items[0]?.did as string;
    expect(follower.epoch).toBe("epoch-a");

    // Another database: a new epoch, whose first revocations reuse sequence numbers 1..3.
    feed.replace("epoch-b");
    const chain = standardChain();
    feed.revoke();
    feed.revoke(chain.tokens[1]?.claims.did as string);
    for (let i = 0; i < 5; i++) feed.revoke();
    // The rebuild reads the first page, then the feed fails: no complete view, so no fresh one.
    feed.state.failAfter = 1;
    await expect(follower.syncOnce()).rejects.toThrow();
    expect(follower.resyncs).toBe(1);
    expect(follower.epoch).toBe("epoch-b");
    expect(follower.syncedAt()).toBeUndefined();
    expectExactly(await verifier.verify(at(standardChain())), [[0, "revocation_unknown"]]);

    feed.state.failAfter = Number.POSITIVE_INFINITY;
    await follower.syncOnce();
    expect(follower.syncedAt()).toBe(NOW);
    expect(follower.cursor).toBe(7);
    expect(follower.size).toBe(7);
    expect(follower.isRevoked(forgotten)).toBe(false);
    expectExactly(await verifier.verify(at(chain)), [[1, "revoked"]]);
    expectAllowed(await verifier.verify(at(standardChain())));
  });

  it("starts over when the feed's head is below its cursor (an older copy of the same database)", async () => {
    const { feed, follower, verifier } = await following(8);
    feed.restore(5);
    const chain = standardChain();
    feed.revoke(chain.tokens[2]?.claims.did as string); // seq 6, which the follower has passed
    await follower.syncOnce();
    expect(follower.resyncs).toBe(1);
    expect(follower.cursor).toBe(6);
    expectExactly(await verifier.verify(at(chain)), [[2, "revoked"]]);
  });

  it("starts over when the entry at its cursor changed although the head has overtaken the cursor", async () => {
    const { feed, follower, verifier } = await following(8);
    feed.restore(5);
    const chain = standardChain();
    feed.revoke(chain.tokens[1]?.claims.did as string); // seq 6
    for (let i = 0; i < 6; i++) feed.revoke(); // head 12, past the follower's cursor of 8
    await follower.syncOnce();
    expect(follower.resyncs).toBe(1);
    expect(follower.cursor).toBe(12);
    expectExactly(await verifier.verify(at(chain)), [[1, "revoked"]]);
  });

  it("keeps following without starting over while the history is unchanged", async () => {
    const { feed, follower } = await following(4, 2);
    for (let round = 0; round < 3; round++) {
      feed.revoke();
      await follower.syncOnce();
      await follower.syncOnce();
    }
    expect(follower.resyncs).toBe(0);
    expect(follower.cursor).toBe(7);
  });
});

describe("polling schedule (fake timers)", () => {
  /** A fetch whose answers a test scripts, recording the fake time of each call. */
  function scriptedFetch() {
    const calls: number[] = [];
    const state = { failing: false, delayMs: 0 };
    const fetchImpl: typeof fetch = async () => {
      calls.push(Date.now());
      if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (state.failing) return new Response("down", { status: 503 });
      return Response.json({ items: [], next: null });
    };
    return { calls, state, fetchImpl };
  }

  it("backs off exponentially while the feed fails, up to maxBackoffMs, and recovers", async () => {
    vi.useFakeTimers({ now: START_MS });
    const script = scriptedFetch();
    script.state.failing = true;
    const follower = followRevocationFeed({
      url: "http://feed.test/v1/revocations",
      fetch: script.fetchImpl,
      pollIntervalMs: 100,
      maxBackoffMs: 800,
    });
    follower.start();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 800 + 1);
    const gaps = script.calls.slice(1).map((t, i) => t - (script.calls[i] as number));
    expect(script.calls[0]).toBe(START_MS + 100);
    expect(gaps).toEqual([200, 400, 800, 800]);

    script.state.failing = false;
    await vi.advanceTimersByTimeAsync(800);
    expect(follower.lastError).toBeUndefined();
    const recovered = script.calls.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(script.calls.length - recovered).toBe(10);
    follower.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(script.calls.length - recovered).toBe(10);
  });

  it("runs one polling loop even when restarted while a sync is in flight", async () => {
    vi.useFakeTimers({ now: START_MS });
    const script = scriptedFetch();
    script.state.delayMs = 50;
    const follower = followRevocationFeed({
      url: "http://feed.test/v1/revocations",
      fetch: script.fetchImpl,
      pollIntervalMs: 100,
    });
    follower.start();
    await vi.advanceTimersByTimeAsync(110); // first sync in flight
    follower.stop();
    follower.start();
    await vi.advanceTimersByTimeAsync(1500);
    follower.stop();
    // One loop: a poll every 100 ms plus 50 ms of fetch, about 10 in 1.5 s; two loops would make 20.
    expect(script.calls.length).toBeLessThanOrEqual(12);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
