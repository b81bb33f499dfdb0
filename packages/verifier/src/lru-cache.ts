/**
 * A bounded least-recently-used map. Map keeps insertion order, so moving an entry to the young end
 * is a delete and a set, and the first key is always the oldest.
 *
 * A hit moves its entry only when more than half the capacity's worth of moves happened since the
 * entry last moved: an entry used again and again (the ancestors of a hot chain, an agent's proof
 * key) then costs one map lookup, where a delete and a set each time cost several times that and
 * left the map rehashing its holes. What is evicted is still an entry no one used for at least half
 * the capacity's worth of moves, so the cache is least-recently-used to within half its capacity.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { readonly value: V; moved: number }>();
  /** Moves to the young end so far (sets and moving hits). */
  private moves = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` is held, without counting as a use. */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.moves - entry.moved > this.capacity >> 1) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      entry.moved = ++this.moves;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, moved: ++this.moves });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
