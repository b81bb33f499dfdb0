/**
 * Remembers DPoP proof ids until their `iat` leaves the acceptance window, in bounded memory.
 * When full, it forgets the oldest proof and raises a floor: proofs issued at or before the
 * floor are refused from then on, because the cache can no longer tell whether they were seen.
 * Memory stays bounded and a replay is never accepted; under overload, clients must send fresh
 * proofs, which they do anyway.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private floor = Number.NEGATIVE_INFINITY;

  constructor(
    readonly capacity = 100_000,
    readonly windowSeconds = 120,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Records proof `jti` issued at `iat`. Returns "fresh" the first time, "replayed" if it was seen,
   * and "too_old" if it predates what the cache can still vouch for.
   */
  check(jti: string, iat: number, now: number): "fresh" | "replayed" | "too_old" {
    this.evictExpired(now);
    if (this.seen.has(jti)) return "replayed";
    // Below the window the cache has forgotten (or never kept) what it saw, just as below the
    // floor: it cannot vouch for such a proof, so it must not call it fresh.
    if (iat <= this.floor || iat < now - this.windowSeconds) return "too_old";
    this.seen.set(jti, iat);
    if (this.seen.size > this.capacity) {
      const oldest = this.oldestEntry();
      if (oldest !== undefined) {
        this.seen.delete(oldest[0]);
        this.floor = Math.max(this.floor, oldest[1]);
      }
    }
    return "fresh";
  }

  private oldestEntry(): [string, number] | undefined {
    // Proofs arrive roughly in iat order, so the first entries are the oldest; scan a few to be safe.
    let oldest: [string, number] | undefined;
    let scanned = 0;
    for (const entry of this.seen) {
      if (oldest === undefined || entry[1] < oldest[1]) oldest = entry;
      if (++scanned >= 32) break;
    }
    return oldest;
  }

  private evictExpired(now: number): void {
    const horizon = now - this.windowSeconds;
    for (const [jti, iat] of this.seen) {
      if (iat >= horizon) break;
      this.seen.delete(jti);
    }
  }
}
