/**
 * A revocation source over Token Status Lists (draft-ietf-oauth-status-list-20): each token names
 * its entry (`status.status_list {idx, uri}`), the source fetches that list from the service,
 * checks its signature with the service keys, and answers from its bit. Runs on any runtime
 * (fetch, web streams, WebCrypto); no node: imports.
 *
 * Fail-closed like the feed: a token without a `status` claim, a list never loaded, an index
 * outside its list, or a list whose signed `iat` is older than the verifier's staleness limit
 * answers `revocation_unknown`, never "not revoked".
 */
import {
  DEFAULT_MAX_STATUS_LIST_BYTES,
  DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES,
  decodeStatusListToken,
  decompressStatusList,
  runSignatureChecks,
  STATUS_LIST_MEDIA_TYPE,
  type StatusBits,
  statusAt,
  statusListSignatureCheck,
  type TokenClaims,
} from "@baton/token";
import type { KeySource } from "./key-sources.ts";
import type { RevocationSource } from "./revocation-sources.ts";

export interface StatusListSourceOptions {
  /** The service's keys: a list is used only when its signature verifies under one of them. */
  readonly keys: KeySource;
  /**
   * Only lists whose URI starts with this are fetched, e.g. `https://baton.example/v1/status-lists/`
   * (a token naming any other URI answers `revocation_unknown`).
   */
  readonly uriPrefix: string;
  readonly fetch?: typeof fetch;
  /** Refetch a list after this long even if its `ttl` is longer. Default 30 s. */
  readonly maxAgeSeconds?: number;
  /** Never fetch one list more often than this, whatever tokens are presented. Default 1 s. */
  readonly minRefreshIntervalMs?: number;
  /** How often the background loop looks for lists due. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Most lists kept; the least recently used is dropped past it. Default 64. */
  readonly maxLists?: number;
  /** Largest inflated list accepted. Default 1 MiB. */
  readonly maxListBytes?: number;
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
}

/** A status list source: `start()` keeps the lists it has seen fresh in the background. */
export interface StatusListSource extends RevocationSource {
  /** Fetches every list seen so far (or only `uri`) now; rejects with the first failure. */
  refresh(uri?: string): Promise<void>;
  /**
   * Fetches the lists presented tokens named that have no usable view yet, rate-limited per list.
   * Resolves true when one of them changed, so the verifier decides again.
   */
  refreshForUnknown(): Promise<boolean>;
  start(): void;
  stop(): void;
  /** The URIs of the lists held, most recently used last. */
  readonly lists: readonly string[];
  readonly lastError: Error | undefined;
}

interface ListView {
  readonly bits: StatusBits;
  readonly bytes: Uint8Array;
  /** The list token's signed `iat`, capped at when it was fetched. */
  readonly issuedAt: number;
  readonly expiresAt: number | undefined;
  readonly ttl: number | undefined;
  readonly fetchedAtMs: number;
}

interface ListState {
  view: ListView | undefined;
  attemptedAtMs: number | undefined;
  failures: number;
  inFlight: Promise<boolean> | undefined;
}

function entryOf(claims: TokenClaims | undefined): { idx: number; uri: string } | undefined {
  return claims?.status?.status_list;
}

/**
 * Follows the status lists that presented tokens name. Give it to `createVerifier` as
 * `revocations`; the verifier asks it for each verified hop, and calls `refreshForUnknown` once
 * (then decides again) when a hop's list is not loaded yet.
 */
export function followStatusLists(options: StatusListSourceOptions): StatusListSource {
  if (typeof options.uriPrefix !== "string" || !/^https?:\/\/[^/]+\//.test(options.uriPrefix)) {
    throw new TypeError(
      "uriPrefix must be an http(s) URL prefix ending in a path, e.g. https://baton.example/v1/status-lists/",
    );
  }
  const fetchImpl = options.fetch ?? fetch;
  const clock = options.clock ?? Date.now;
  const maxAgeMs = (options.maxAgeSeconds ?? 30) * 1000;
  const minIntervalMs = options.minRefreshIntervalMs ?? 1000;
  const pollMs = options.pollIntervalMs ?? 1000;
  const maxLists = options.maxLists ?? 64;
  const maxListBytes = options.maxListBytes ?? DEFAULT_MAX_STATUS_LIST_BYTES;
  const timeoutMs = options.timeoutMs ?? 5000;
  // Insertion order is recency: a read moves a list to the end, eviction takes the first.
  const lists = new Map<string, ListState>();
  let lastError: Error | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  const stateOf = (uri: string): ListState | undefined => {
    if (!uri.startsWith(options.uriPrefix)) return undefined;
    let state = lists.get(uri);
    if (state === undefined) {
      state = { view: undefined, attemptedAtMs: undefined, failures: 0, inFlight: undefined };
      if (lists.size >= maxLists) {
        const oldest = lists.keys().next().value;
        if (oldest !== undefined) lists.delete(oldest);
      }
    } else {
      lists.delete(uri);
    }
    lists.set(uri, state);
    return state;
  };

  /** The view of a hop's list that may be answered from, with why not when there is none. */
  const viewFor = (claims: TokenClaims | undefined): { view?: ListView; why?: string; idx?: number } => {
    const entry = entryOf(claims);
    if (entry === undefined)
      return { why: "the token has no status claim, so no status list can vouch for it" };
    const state = stateOf(entry.uri);
    if (state === undefined) return { why: `status list ${entry.uri} is not one this verifier follows` };
    const view = state.view;
    if (view === undefined) return { why: `status list ${entry.uri} is not loaded` };
    if (view.expiresAt !== undefined && clock() / 1000 >= view.expiresAt) {
      return { why: `status list ${entry.uri} expired at ${view.expiresAt}` };
    }
    if (statusAt(view.bytes, view.bits, entry.idx) === undefined) {
      return { why: `index ${entry.idx} is outside status list ${entry.uri}` };
    }
    return { view, idx: entry.idx };
  };

  const load = async (uri: string): Promise<ListView> => {
    const response = await fetchImpl(uri, {
      headers: { accept: STATUS_LIST_MEDIA_TYPE },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`status list ${uri} answered ${response.status}`);
    const startedAtMs = clock();
    const text = await response.text();
    if (text.length > DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES) throw new Error(`status list ${uri} is too large`);
    const decoded = decodeStatusListToken(text.trim());
    if (!decoded.ok) throw new Error(`status list ${uri} is refused: ${decoded.error.message}`);
    const { claims, kid } = decoded.value;
    // A list signed for another URI (list 3 served as list 4) would answer for the wrong tokens.
    if (claims.sub !== uri) throw new Error(`status list ${uri} names another list (${claims.sub})`);
    let key = options.keys.resolve(kid);
    if (key === undefined && options.keys.refreshForUnknownKey !== undefined) {
      await options.keys.refreshForUnknownKey();
      key = options.keys.resolve(kid);
    }
    if (key === undefined) throw new Error(`status list ${uri} is signed by unknown key ${kid}`);
    if (!(await runSignatureChecks(statusListSignatureCheck(decoded.value, key)))) {
      throw new Error(`status list ${uri} has a bad signature`);
    }
    const bytes = await decompressStatusList(claims.status_list.lst, { maxBytes: maxListBytes });
    if (!bytes.ok) throw new Error(`status list ${uri} is refused: ${bytes.error.message}`);
    return {
      bits: claims.status_list.bits,
      bytes: bytes.value,
      // The signed time, never the fetch time: a replayed old list must look as old as it is.
      issuedAt: Math.min(claims.iat, Math.floor(startedAtMs / 1000)),
      expiresAt: claims.exp,
      ttl: claims.ttl,
      fetchedAtMs: startedAtMs,
    };
  };

  /** Fetches one list; true when its view changed. Concurrent callers share one fetch. */
  const fetchList = (uri: string, state: ListState): Promise<boolean> => {
    state.inFlight ??= (async () => {
      state.attemptedAtMs = clock();
      try {
        const view = await load(uri);
        // Never go back to an older list than the one held (a stale cache or a replay).
        if (state.view !== undefined && view.issuedAt < state.view.issuedAt) return false;
        state.view = view;
        state.failures = 0;
        return true;
      } catch (error) {
        state.failures++;
        lastError = error instanceof Error ? error : new Error(String(error));
        throw lastError;
      } finally {
        state.inFlight = undefined;
      }
    })();
    return state.inFlight;
  };

  const dueForRefresh = (state: ListState, now: number): boolean => {
    if (
      state.attemptedAtMs !== undefined &&
      now - state.attemptedAtMs < minIntervalMs * 2 ** Math.min(state.failures, 6)
    )
      return false;
    if (state.view === undefined) return true;
    const ttlMs = (state.view.ttl ?? Number.POSITIVE_INFINITY) * 1000;
    return now - state.view.fetchedAtMs >= Math.min(ttlMs, maxAgeMs);
  };

  const refresh = async (uri?: string): Promise<void> => {
    const targets = uri === undefined ? [...lists.keys()] : [uri];
    for (const target of targets) {
      const state = stateOf(target);
      if (state === undefined) throw new Error(`${target} does not start with ${options.uriPrefix}`);
      await fetchList(target, state);
    }
  };

  const refreshForUnknown = async (): Promise<boolean> => {
    const now = clock();
    const due = [...lists.entries()].filter(([, state]) => dueForRefresh(state, now));
    const results = await Promise.allSettled(due.map(([uri, state]) => fetchList(uri, state)));
    return results.some((result) => result.status === "fulfilled" && result.value);
  };

  const schedule = (): void => {
    if (!running) return;
    timer = setTimeout(() => {
      refreshForUnknown()
        .catch(() => {
          // Recorded in lastError; the staleness rule makes the verifier fail closed meanwhile.
        })
        .finally(schedule);
    }, pollMs);
    timer.unref?.();
  };

  return {
    isRevoked(_did, claims) {
      const { view, idx } = viewFor(claims);
      // Any non-zero status (invalid, suspended, or an application value) is not "valid".
      return view === undefined || idx === undefined || statusAt(view.bytes, view.bits, idx) !== 0;
    },
    syncedAt(claims) {
      return viewFor(claims).view?.issuedAt;
    },
    unknownReason(claims) {
      return viewFor(claims).why;
    },
    refresh,
    refreshForUnknown,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
    },
    get lists() {
      return [...lists.keys()];
    },
    get lastError() {
      return lastError;
    },
  };
}
