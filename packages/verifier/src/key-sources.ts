/**
 * Where a verifier gets the service's public keys: a static JWKS, or the service's JWKS URL
 * followed with caching, a rate-limited refresh on an unknown `kid`, and rotation (a key verifies
 * for exactly as long as it is in the published set).
 */
import { type Ed25519PublicKey, importJwks, type VerificationKey } from "@baton/token";

/** A source of service keys. `resolve` is synchronous: it is on the hot path. */
export interface KeySource {
  resolve(kid: string): VerificationKey | undefined;
  /**
   * Asks the source to look for a `kid` it does not know. Resolves true when the key set changed.
   * Rate-limited by the source, so a flood of made-up kids cannot turn into a flood of fetches.
   */
  refreshForUnknownKey?(): Promise<boolean>;
}

/** Keys from a JWKS object, fixed for the life of the verifier. Throws on an invalid set. */
export function staticKeys(jwks: unknown): KeySource {
  const imported = importJwks(jwks);
  if (!imported.ok) throw imported.error;
  const keys = imported.value;
  return { resolve: (kid) => keys.get(kid) };
}

export interface RemoteJwksOptions {
  readonly url: string;
  readonly fetch?: typeof fetch;
  /** Refetch after this long even without an unknown kid. */
  readonly maxAgeSeconds?: number;
  /** Never fetch more often than this, whatever kids are presented. */
  readonly minRefreshIntervalSeconds?: number;
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
}

/** A JWKS followed over HTTP. Call `ready()` (or `refresh()`) once before serving. */
export interface RemoteKeySource extends KeySource {
  ready(): Promise<void>;
  refresh(): Promise<boolean>;
  /** When the set was last fetched successfully (ms), or undefined. */
  readonly fetchedAt: number | undefined;
  readonly lastError: Error | undefined;
  refreshForUnknownKey(): Promise<boolean>;
}

/** Follows the service's `/.well-known/jwks.json`. */
export function remoteJwks(options: RemoteJwksOptions): RemoteKeySource {
  const fetchImpl = options.fetch ?? fetch;
  const clock = options.clock ?? Date.now;
  const maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
  const minIntervalMs = (options.minRefreshIntervalSeconds ?? 30) * 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  let keys = new Map<string, Ed25519PublicKey>();
  let fetchedAt: number | undefined;
  let attemptedAt: number | undefined;
  let lastError: Error | undefined;
  let inFlight: Promise<boolean> | undefined;

  const fetchOnce = async (): Promise<boolean> => {
    attemptedAt = clock();
    try {
      const response = await fetchImpl(options.url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`JWKS fetch from ${options.url} answered ${response.status}`);
      const imported = importJwks(await response.json());
      if (!imported.ok) throw new Error(imported.error.message);
      const changed =
        imported.value.size !== keys.size || [...imported.value.keys()].some((kid) => !keys.has(kid));
      keys = imported.value;
      fetchedAt = clock();
      lastError = undefined;
      return changed;
    } catch (error) {
      // Keep the last good set: a failed refresh must not turn into "no keys at all".
      lastError = error instanceof Error ? error : new Error(String(error));
      return false;
    }
  };

  const refresh = (): Promise<boolean> => {
    inFlight ??= fetchOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  // Every fetch, background or on demand, counts against the minimum interval: otherwise an
  // unreachable endpoint would be refetched on every request once the set is older than maxAge.
  const mayFetch = (): boolean => attemptedAt === undefined || clock() - attemptedAt >= minIntervalMs;

  return {
    resolve(kid) {
      if (fetchedAt !== undefined && clock() - fetchedAt > maxAgeMs && inFlight === undefined && mayFetch()) {
        void refresh();
      }
      return keys.get(kid);
    },
    async refreshForUnknownKey() {
      // A fetch already on its way may bring the key: wait for it rather than refuse the request.
      if (inFlight !== undefined) return inFlight;
      if (!mayFetch()) return false;
      return refresh();
    },
    async ready() {
      await refresh();
      if (fetchedAt === undefined)
        throw lastError ?? new Error(`could not fetch the JWKS from ${options.url}`);
    },
    refresh,
    get fetchedAt() {
      return fetchedAt;
    },
    get lastError() {
      return lastError;
    },
  };
}
