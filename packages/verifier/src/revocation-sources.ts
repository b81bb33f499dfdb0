/**
 * Where a verifier learns which delegations are revoked: an in-memory set, or a follower of the
 * service's revocation feed (`GET /v1/revocations?since=N`) that polls with back-off and knows
 * how stale its view is, so the verifier can fail closed when it has lost touch.
 */

import type { TokenClaims } from "@baton/token";

/**
 * A view of revoked delegations. The verifier asks it about each hop whose signature and claims
 * verified, passing the hop's claims: a set keyed by `did` ignores them, a status list source
 * reads the hop's `status` claim.
 */
export interface RevocationSource {
  isRevoked(did: string, claims?: TokenClaims): boolean;
  /**
   * When this view (of this hop, for a source with one view per list) was last known complete,
   * in seconds since the epoch; undefined when there is none. Sources that are always current (an
   * in-memory set kept by the caller) return `Infinity`.
   */
  syncedAt(claims?: TokenClaims): number | undefined;
  /** Why there is no view for this hop, for the `revocation_unknown` message; optional. */
  unknownReason?(claims: TokenClaims): string | undefined;
  /**
   * Asks the source to load the views hops lacked (rate-limited by the source). Resolves true
   * when a view changed; the verifier then decides once more.
   */
  refreshForUnknown?(): Promise<boolean>;
}

/** A revocation set the caller keeps up to date itself; never stale. */
export function memoryRevocations(initial: Iterable<string> = []): RevocationSource & {
  revoke(did: string): void;
} {
  const revoked = new Set(initial);
  return {
    isRevoked: (did) => revoked.has(did),
    syncedAt: () => Number.POSITIVE_INFINITY,
    revoke: (did) => {
      revoked.add(did);
    },
  };
}

export interface RevocationFeedOptions {
  /** The feed URL, e.g. `http://127.0.0.1:8787/v1/revocations`. */
  readonly url: string;
  readonly fetch?: typeof fetch;
  readonly pollIntervalMs?: number;
  readonly maxBackoffMs?: number;
  readonly pageSize?: number;
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
}

/** A feed follower: `start()` polls in the background, `syncOnce()` catches up now. */
export interface RevocationFeed extends RevocationSource {
  syncOnce(): Promise<void>;
  start(): void;
  stop(): void;
  /** The last sequence number seen. */
  readonly cursor: number;
  /** The epoch (identity of the feed's history) this view was built from; undefined before the first page. */
  readonly epoch: string | undefined;
  /** How many times this follower found the feed's history replaced and started again from zero. */
  readonly resyncs: number;
  readonly lastError: Error | undefined;
  readonly size: number;
}

interface FeedItem {
  seq: number;
  did: string;
  at?: number;
}

interface FeedPage {
  epoch: string | undefined;
  head: number | undefined;
  items: FeedItem[];
  next: number | null;
}

function parseFeedPage(value: unknown): FeedPage {
  const page = value as (Partial<FeedPage> & { epoch?: unknown; head?: unknown }) | null;
  if (page === null || typeof page !== "object" || !Array.isArray(page.items)) {
    throw new Error("the revocation feed answered something other than {items, next}");
  }
  for (const item of page.items) {
    if (typeof item?.did !== "string" || !Number.isSafeInteger(item?.seq)) {
      throw new Error("the revocation feed sent an item without did and seq");
    }
  }
  const next = page.next ?? null;
  if (next !== null && !Number.isSafeInteger(next))
    throw new Error("the revocation feed's next is not an integer");
  if (page.epoch !== undefined && (typeof page.epoch !== "string" || page.epoch.length === 0))
    throw new Error("the revocation feed's epoch is not a string");
  if (page.head !== undefined && !Number.isSafeInteger(page.head))
    throw new Error("the revocation feed's head is not an integer");
  return { epoch: page.epoch, head: page.head as number | undefined, items: page.items, next };
}

/**
 * Follows the service's revocation feed.
 *
 * A restored or replaced database rewrites the feed's history: sequence numbers the follower has
 * passed come back with other delegations behind them (issue 14). Three signals reveal it: a new
 * `epoch` (another database), a `head` below the cursor (an older copy of this one), and the
 * entry at the cursor no longer being the one seen there (an older copy whose head has since
 * overtaken the cursor; each catch-up re-reads that entry to check it). On any of them the
 * follower drops its view, reports itself unsynced (so the verifier answers `revocation_unknown`)
 * and rebuilds from `since=0`; it is fresh again only once that rebuild has read the whole feed.
 */
export function followRevocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const fetchImpl = options.fetch ?? fetch;
  const clock = options.clock ?? Date.now;
  const pollMs = options.pollIntervalMs ?? 2000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const pageSize = options.pageSize ?? 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  let revoked = new Set<string>();
  let cursor = 0;
  /** The entry at `cursor`, re-read at the start of each catch-up to prove the history is unchanged. */
  let anchor: FeedItem | undefined;
  let epoch: string | undefined;
  let synced: number | undefined;
  let resyncs = 0;
  let lastError: Error | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let failures = 0;
  let syncing: Promise<void> | undefined;

  /** Forgets everything: the feed's history is not the one this view was built from. */
  const startOver = (nextEpoch: string | undefined): void => {
    revoked = new Set();
    cursor = 0;
    anchor = undefined;
    epoch = nextEpoch;
    synced = undefined;
    resyncs++;
  };

  const fetchPage = async (since: number): Promise<FeedPage> => {
    const url = new URL(options.url);
    url.searchParams.set("since", String(since));
    url.searchParams.set("limit", String(pageSize));
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`the revocation feed answered ${response.status}`);
    return parseFeedPage(await response.json());
  };

  /** True when `page` belongs to another history than the view's. */
  const rewritten = (page: FeedPage, checkAnchor: boolean): boolean => {
    const known = cursor > 0 || epoch !== undefined;
    if (known && page.epoch !== epoch) return true;
    if (page.head !== undefined && page.head < cursor) return true;
    if (!checkAnchor || anchor === undefined) return false;
    const first = page.items[0];
    return (
      first === undefined ||
      first.seq !== anchor.seq ||
      first.did !== anchor.did ||
      (first.at !== undefined && anchor.at !== undefined && first.at !== anchor.at)
    );
  };

  const catchUp = async (): Promise<void> => {
    let startedAt = clock();
    // The first page starts one entry early, at the anchor, to check it is still there.
    let since = anchor === undefined ? cursor : anchor.seq - 1;
    let checkAnchor = anchor !== undefined;
    // Page until the feed says there is no more; only then is the view complete as of startedAt.
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await fetchPage(since);
      if (rewritten(page, checkAnchor)) {
        startOver(page.epoch);
        startedAt = clock();
        since = 0;
        checkAnchor = false;
        continue;
      }
      epoch = page.epoch;
      checkAnchor = false;
      for (const item of page.items) {
        revoked.add(item.did);
        if (item.seq >= cursor) {
          cursor = item.seq;
          anchor = { seq: item.seq, did: item.did, ...(item.at === undefined ? {} : { at: item.at }) };
        }
      }
      if (page.next === null || page.items.length === 0) {
        synced = Math.floor(startedAt / 1000);
        return;
      }
      // A `next` that does not move past `since` would fetch the same page forever.
      if (page.next <= since) throw new Error("the revocation feed's next does not advance");
      since = page.next;
    }
    // Never report a sync as done when the view is not known to be complete.
    throw new Error("the revocation feed did not catch up within 10000 pages");
  };

  const syncOnce = (): Promise<void> => {
    syncing ??= catchUp()
      .then(() => {
        failures = 0;
        lastError = undefined;
      })
      .catch((error: unknown) => {
        failures++;
        lastError = error instanceof Error ? error : new Error(String(error));
        throw lastError;
      })
      .finally(() => {
        syncing = undefined;
      });
    return syncing;
  };

  const schedule = (): void => {
    if (!running) return;
    const delay = failures === 0 ? pollMs : Math.min(maxBackoffMs, pollMs * 2 ** Math.min(failures, 16));
    timer = setTimeout(() => {
      syncOnce()
        .catch(() => {
          // Recorded in lastError; the staleness check makes the verifier fail closed meanwhile.
        })
        .finally(schedule);
    }, delay);
    timer.unref?.();
  };

  return {
    isRevoked: (did) => revoked.has(did),
    syncedAt: () => synced,
    syncOnce,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
    },
    get cursor() {
      return cursor;
    },
    get epoch() {
      return epoch;
    },
    get resyncs() {
      return resyncs;
    },
    get lastError() {
      return lastError;
    },
    get size() {
      return revoked.size;
    },
  };
}
