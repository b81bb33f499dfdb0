import type { TokenClaims, TokenHeader, VerificationKey } from "@baton/token";
import { LruCache } from "./lru-cache.ts";

/** A token whose signature verified, remembered by its exact compact bytes. */
export interface CachedToken {
  readonly header: TokenHeader;
  readonly claims: TokenClaims;
  /** The key it verified under: a hit counts only while the key source still returns this key. */
  readonly key: VerificationKey;
}

/**
 * Remembers signature checks by the token's exact bytes, so the ancestors of a hot chain cost a
 * map lookup instead of an Ed25519 verification. Only the signature and the (deterministic)
 * claim parse are cached; time, status, attenuation, proof and policy are re-checked every call.
 */
export class SignatureCache extends LruCache<string, CachedToken> {
  constructor(capacity = 10_000) {
    super(capacity);
  }
}
