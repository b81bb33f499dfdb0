/**
 * Where a verifier learns which delegations are revoked: an in-memory set, or a follower of the
 * service's revocation feed (`GET /v1/revocations?since=N`) that polls with back-off and knows
 * how stale its view is, so the verifier can fail closed when it has lost touch.
 */

/** A view of revoked delegation ids. */
export interface RevocationSource {
  isRevoked(did: string): boolean;
  /**
   * When this view was last known complete, in seconds since the epoch; undefined when never.
   * Sources that are always current (an in-memory set kept by the caller) return `Infinity`.
   */
  syncedAt(): number | undefined;
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
  readonly lastError: Error | undefined;
  readonly size: number;
}

interface FeedPage {
  items: { seq: number; did: string }[];
  next: number | null;
}

function parseFeedPage(value: unknown): FeedPage {
  const page = value as Partial<FeedPage> | null;
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
  return { items: page.items, next };
}

/** Follows the service's revocation feed. */
export function followRevocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const fetchImpl = options.fetch ?? fetch;
  const clock = options.clock ?? Date.now;
  const pollMs = options.pollIntervalMs ?? 2000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const pageSize = options.pageSize ?? 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const revoked = new Set<string>();
  let cursor = 0;
  let synced: number | undefined;
  let lastError: Error | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let failures = 0;
  let syncing: Promise<void> | undefined;

  const catchUp = async (): Promise<void> => {
    const startedAt = clock();
    // Page until the feed says there is no more; only then is the view complete as of startedAt.
    for (let pages = 0; pages < 10_000; pages++) {
      const since = cursor;
      const url = new URL(options.url);
      url.searchParams.set("since", String(cursor));
      url.searchParams.set("limit", String(pageSize));
      const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`the revocation feed answered ${response.status}`);
      const page = parseFeedPage(await response.json());
      for (const item of page.items) {
        revoked.add(item.did);
        cursor = Math.max(cursor, item.seq);
      }
      if (page.next === null || page.items.length === 0) {
        synced = Math.floor(startedAt / 1000);
        return;
      }
      // A `next` that does not move past `since` would fetch the same page forever.
      if (page.next <= since) throw new Error("the revocation feed's next does not advance");
      cursor = Math.max(cursor, page.next);
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
    get lastError() {
      return lastError;
    },
    get size() {
      return revoked.size;
    },
  };
}
