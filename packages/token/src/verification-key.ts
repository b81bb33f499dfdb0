/**
 * The public keys signatures are checked under. A key is held as its JWK `x` and imported by
 * whichever crypto backend checks it (a node:crypto KeyObject or a WebCrypto CryptoKey), once,
 * on first use, so no caller needs to know which runtime it is on.
 */
import type { Ed25519PublicJwk } from "./agent-key.ts";

/**
 * An Ed25519 public key, already checked (canonical, prime order: see `parseAgentJwk`). Each
 * backend remembers its own imported form of it, so one object is imported once per process.
 */
export class Ed25519PublicKey {
  private constructor(
    /** The key's 32 bytes in base64url, as a JWK's `x`. */
    readonly x: string,
  ) {}

  /** Wraps a checked JWK; call `parseAgentJwk` on untrusted input first. */
  static fromJwk(jwk: Ed25519PublicJwk): Ed25519PublicKey {
    return new Ed25519PublicKey(jwk.x);
  }
}

/**
 * A node:crypto public `KeyObject`, described by the members Baton uses so that code for other
 * runtimes needs no Node types. Callers on Node may keep handing these to the verifier.
 */
export interface NodePublicKeyObject {
  readonly type: string;
  readonly asymmetricKeyType?: string | undefined;
  export(options: { format: "jwk" }): { readonly x?: string | undefined };
}

/** A key a signature may be checked under. */
export type VerificationKey = Ed25519PublicKey | NodePublicKeyObject;

/** One Ed25519 signature to check: over `message` (each character one byte), under `key`. */
export interface SignatureCheck {
  readonly key: VerificationKey;
  /** The signing input; for a JWS `header.payload`, ASCII by construction. */
  readonly message: string;
  readonly signature: Uint8Array;
}
