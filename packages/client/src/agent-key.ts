/**
 * An agent's Ed25519 key pair, held by the agent and never sent anywhere: only the public JWK is
 * registered, and every call is proved with a DPoP proof signed by the private half.
 */

import {
  decodeBase64url,
  type Ed25519PublicJwk,
  ed25519PublicJwk,
  encodeBase64url,
  jwkThumbprint,
} from "@baton/token";
import * as ed from "@noble/ed25519";

/** A private agent key as a JWK (RFC 8037), for storage by the agent. */
export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  readonly d: string;
}

/** An agent's key pair with its public JWK and RFC 7638 thumbprint. */
export class AgentKeyPair {
  private constructor(
    private readonly secretKey: Uint8Array,
    readonly publicJwk: Ed25519PublicJwk,
    /** What `cnf.jkt` binds the agent's tokens to. */
    readonly thumbprint: string,
  ) {}

  /** Generates a fresh key pair. */
  static async generate(): Promise<AgentKeyPair> {
    return AgentKeyPair.fromSecretKey(ed.utils.randomSecretKey());
  }

  /** Loads a key pair from its private JWK; throws a TypeError on anything else. */
  static async fromJwk(jwk: Ed25519PrivateJwk): Promise<AgentKeyPair> {
    if (jwk?.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string") {
      throw new TypeError("expected an Ed25519 private JWK {kty:'OKP', crv:'Ed25519', x, d}");
    }
    const secret = decodeBase64url(jwk.d);
    if (secret?.byteLength !== 32) throw new TypeError("jwk.d must be 32 bytes of base64url");
    const pair = await AgentKeyPair.fromSecretKey(secret);
    if (pair.publicJwk.x !== jwk.x) throw new TypeError("jwk.x does not match jwk.d");
    return pair;
  }

  private static async fromSecretKey(secretKey: Uint8Array): Promise<AgentKeyPair> {
    const publicJwk = ed25519PublicJwk(await ed.getPublicKeyAsync(secretKey));
    return new AgentKeyPair(secretKey, publicJwk, jwkThumbprint(publicJwk));
  }

  /** The private JWK, for the agent's own storage. Never send it to the service. */
  toPrivateJwk(): Ed25519PrivateJwk {
    return { ...this.publicJwk, d: encodeBase64url(this.secretKey) };
  }

  /** Signs bytes with the private key. */
  sign(message: Uint8Array): Promise<Uint8Array> {
    return ed.signAsync(message, this.secretKey);
  }
}
