import type { TokenClaims, TokenHeader, VerificationKey } from "@baton/token";
import { LruCache } from "./lru-cache.ts";

/** A token whose signature verified, remembered by its exact compact bytes. */
export interface CachedToken {
  readonly header: TokenHeader;
  readonly claims: TokenClaims;
  /** The key it verified under: a hit counts only while the key source still returns this key. */
  readonly key: VerificationKey;
}

interface Remembered {
  readonly compact: string;
  readonly token: CachedToken;
}

/** The text after the last dot: a compact token's signature part. */
function signaturePart(compact: string): string {
  return compact.slice(compact.lastIndexOf(".") + 1);
}

/**
 * Remembers signature checks by the token's exact bytes, so the ancestors of a hot chain cost a
 * map lookup instead of an Ed25519 verification. Only the signature and the (deterministic)
 * claim parse are cached; time, status, attenuation, proof and policy are re-checked every call.
 *
 * The map is keyed by the signature part alone and a hit compares the whole token: every token
 * in a presented chain is a fresh string, whose hash V8 computes on its first lookup, and a lookup
 * by the ~86-character signature costs about a quarter of one by all ~900 characters, while the
 * comparison is one memcmp. A token with a cached signature and any other bytes is a miss, so it
 * is verified (and fails) like any other.
 */
export class SignatureCache {
  private readonly entries: LruCache<string, Remembered>;

  constructor(capacity = 10_000) {
    this.entries = new LruCache(capacity);
  }

  get capacity(): number {
    return this.entries.capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The verified token remembered for exactly these bytes, if any. */
  get(compact: string): CachedToken | undefined {
    const remembered = this.entries.get(signaturePart(compact));
    return remembered !== undefined && remembered.compact === compact ? remembered.token : undefined;
  }

  /** Remembers a token whose signature verified (replacing any other token with its signature). */
  set(compact: string, token: CachedToken): void {
    this.entries.set(signaturePart(compact), { compact, token });
  }

  clear(): void {
    this.entries.clear();
  }
}
