/**
 * The service's token-signing keys (issue 5): an Ed25519 key generated on first start and kept in
 * the store, `kid` = its RFC 7638 thumbprint. Rotation adds a new active key and retires the old
 * one; a retired public key stays in the JWKS (and keeps verifying) until every token it signed has
 * expired, which is at most `maxTtl` (+ clock skew) after it was retired.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import type { SigningKeyRecord, Store } from "@baton/store";
import { ed25519PublicKeyObject, jwkThumbprint, type ServicePublicJwk, type SigningKey } from "@baton/token";

interface LoadedKey {
  readonly record: SigningKeyRecord;
  readonly publicKey: KeyObject;
}

export interface SigningKeysOptions {
  /** Longest token lifetime: how long a retired key must keep verifying. */
  readonly maxTtl: number;
  readonly clockSkew: number;
}

/** The service's key set, loaded from the store once and reloaded on rotation. */
export class SigningKeys {
  private keys: LoadedKey[] = [];
  private activeKey: SigningKey | undefined;

  private constructor(
    private readonly store: Store,
    private readonly options: SigningKeysOptions,
  ) {}

  /** Loads the keys from the store, generating the first one if there is none. */
  static load(store: Store, now: number, options: SigningKeysOptions): SigningKeys {
    const keys = new SigningKeys(store, options);
    if (store.activeSigningKey() === undefined) keys.generate(now);
    keys.reload();
    return keys;
  }

  private generate(now: number): SigningKeyRecord {
    const pair = generateKeyPairSync("ed25519");
    const jwk = pair.publicKey.export({ format: "jwk" });
    if (typeof jwk.x !== "string") throw new Error("node:crypto exported an Ed25519 key without x");
    const base = { kty: "OKP", crv: "Ed25519", x: jwk.x } as const;
    const kid = jwkThumbprint(base);
    const publicJwk: ServicePublicJwk = { ...base, kid, alg: "EdDSA", use: "sig" };
    const pkcs8 = pair.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
    return this.store.addSigningKey({ kid, publicJwk, privateKeyPkcs8: pkcs8, createdAt: now });
  }

  private reload(): void {
    this.keys = this.store
      .listSigningKeys()
      .map((record) => ({ record, publicKey: ed25519PublicKeyObject(record.publicJwk) }));
    const active = this.store.activeSigningKey();
    if (active === undefined) throw new Error("the store has no active signing key");
    const privateKey = createPrivateKey({
      key: Buffer.from(active.privateKeyPkcs8, "base64"),
      format: "der",
      type: "pkcs8",
    });
    // A key whose private half does not match its published public half would sign unverifiable tokens.
    const derived = createPublicKey(privateKey).export({ format: "jwk" });
    if (derived.x !== active.publicJwk.x)
      throw new Error(`signing key ${active.kid} does not match its public key`);
    this.activeKey = { kid: active.kid, privateKey };
  }

  /** The key new tokens are signed with. */
  active(): SigningKey {
    if (this.activeKey === undefined) throw new Error("signing keys not loaded");
    return this.activeKey;
  }

  private published(record: SigningKeyRecord, now: number): boolean {
    return record.retiredAt === null || record.retiredAt + this.options.maxTtl + this.options.clockSkew > now;
  }

  /** The public key for `kid`, while it is published; undefined otherwise. */
  resolve(kid: string, now: number): KeyObject | undefined {
    const key = this.keys.find((candidate) => candidate.record.kid === kid);
    return key !== undefined && this.published(key.record, now) ? key.publicKey : undefined;
  }

  /** The JWKS: the active key and every retired key that may still have live tokens. */
  jwks(now: number): { keys: ServicePublicJwk[] } {
    return {
      keys: this.keys
        .filter((key) => this.published(key.record, now))
        .map(({ record }) => ({
          kty: "OKP",
          crv: "Ed25519",
          x: record.publicJwk.x,
          kid: record.kid,
          alg: "EdDSA",
          use: "sig",
        })),
    };
  }

  /** Generates a new active key and retires the current one. Returns the new `kid`. */
  rotate(now: number): string {
    const previous = this.store.activeSigningKey();
    const next = this.generate(now);
    if (previous !== undefined) this.store.retireSigningKey(previous.kid, now);
    this.reload();
    return next.kid;
  }
}
