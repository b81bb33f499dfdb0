/**
 * The service's token-signing keys (issue 5): an Ed25519 key generated on first start and kept in
 * the key store (the `SigningKeyStore` port), `kid` = the first 4 characters of its RFC 7638
 * thumbprint (issues 17 and 21: the kid rides in every hop's header; keys made before keep the
 * kid they were given). Rotation adds a new active key and retires the old
 * one; a retired public key stays in the JWKS (and keeps verifying) until every token it signed has
 * expired, which is at most `maxTtl` (+ clock skew) after it was retired. Private keys are stored
 * sealed under the key-encryption key (issue 14, key-encryption.ts); a database from before that
 * has its plaintext keys sealed when it is loaded.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  type KeyPairKeyObjectResult,
} from "node:crypto";
import type { ReplaceSigningKeyMaterial, SigningKeyRecord, SigningKeyStore } from "@baton/store";
import { ed25519PublicKeyObject, jwkThumbprint, type ServicePublicJwk, type SigningKey } from "@baton/token";
import {
  isSealed,
  type KeyEncryptionKey,
  sealedWith,
  sealPrivateKey,
  unsealPrivateKey,
} from "./key-encryption.ts";

interface LoadedKey {
  readonly record: SigningKeyRecord;
  readonly publicKey: KeyObject;
}

export interface SigningKeysOptions {
  /** Longest token lifetime: how long a retired key must keep verifying. */
  readonly maxTtl: number;
  readonly clockSkew: number;
  /** Seals the private keys in the store. */
  readonly kek: KeyEncryptionKey;
  /** Where new Ed25519 key pairs come from; default `generateKeyPairSync("ed25519")`. For tests. */
  readonly newKeyPair?: () => KeyPairKeyObjectResult;
}

/**
 * Characters of the thumbprint a new key's `kid` keeps: 24 bits. A kid only has to tell apart
 * the keys one service has ever made (a handful; none is ever deleted), and `generate` refuses
 * a kid any stored key already has, so a shared prefix costs a fresh key pair, never a clash. It
 * rides in every hop's header: a full thumbprint would spend 43 characters there, and 8 kept a
 * three-capability hop over 1 KiB (issue 21).
 */
export const KID_LENGTH = 4;

/** Most key pairs tried for a kid no stored key has; a second try is already a rare event. */
const KID_ATTEMPTS = 8;

/** The PKCS#8 DER of a stored private key, sealed or legacy plaintext. */
function privateKeyBytes(kek: KeyEncryptionKey, record: SigningKeyRecord): Buffer {
  return isSealed(record.privateKeyPkcs8)
    ? unsealPrivateKey(kek, record.kid, record.privateKeyPkcs8)
    : Buffer.from(record.privateKeyPkcs8, "base64");
}

/** The KEK ids the store's sealed keys were sealed under, without repeats. */
export async function sealedKekIds(store: SigningKeyStore): Promise<string[]> {
  const ids = (await store.listSigningKeys()).map((record) => sealedWith(record.privateKeyPkcs8));
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/** The service's key set, loaded from the store once and reloaded on rotation. */
export class SigningKeys {
  private keys: LoadedKey[] = [];
  private activeKey: SigningKey | undefined;

  private constructor(
    private readonly store: SigningKeyStore,
    private readonly options: SigningKeysOptions,
  ) {}

  /** How many legacy plaintext keys {@link load} sealed. */
  sealedOnLoad = 0;

  /**
   * Loads the keys from the store, sealing any legacy plaintext key and generating the first key
   * if there is none. Throws a `KeyEncryptionError` when a key does not open under the KEK.
   */
  static async load(store: SigningKeyStore, now: number, options: SigningKeysOptions): Promise<SigningKeys> {
    const keys = new SigningKeys(store, options);
    keys.sealedOnLoad = await SigningKeys.reseal(store, options.kek, options.kek, { plaintextOnly: true });
    if ((await store.activeSigningKey()) === undefined) await keys.generate(now);
    await keys.reload();
    return keys;
  }

  /**
   * Re-seals every stored private key under `to` (legacy plaintext ones too), in one transaction:
   * KEK rotation. Every key must open under `from` first, or nothing changes. Returns the count.
   */
  static async rewrap(store: SigningKeyStore, from: KeyEncryptionKey, to: KeyEncryptionKey): Promise<number> {
    return await SigningKeys.reseal(store, from, to, { plaintextOnly: false });
  }

  private static async reseal(
    store: SigningKeyStore,
    from: KeyEncryptionKey,
    to: KeyEncryptionKey,
    options: { plaintextOnly: boolean },
  ): Promise<number> {
    const changes: ReplaceSigningKeyMaterial[] = [];
    for (const record of await store.listSigningKeys()) {
      if (options.plaintextOnly && isSealed(record.privateKeyPkcs8)) continue;
      const sealed = sealPrivateKey(to, record.kid, privateKeyBytes(from, record));
      changes.push({ kid: record.kid, from: record.privateKeyPkcs8, to: sealed });
    }
    if (changes.length > 0) await store.replaceSigningKeyMaterial(changes);
    return changes.length;
  }

  private async generate(now: number): Promise<SigningKeyRecord> {
    const taken = new Set((await this.store.listSigningKeys()).map((record) => record.kid));
    const newKeyPair = this.options.newKeyPair ?? (() => generateKeyPairSync("ed25519"));
    for (let attempt = 0; attempt < KID_ATTEMPTS; attempt++) {
      const pair = newKeyPair();
      const jwk = pair.publicKey.export({ format: "jwk" });
      if (typeof jwk.x !== "string") throw new Error("node:crypto exported an Ed25519 key without x");
      const base = { kty: "OKP", crv: "Ed25519", x: jwk.x } as const;
      const kid = jwkThumbprint(base).slice(0, KID_LENGTH);
      // A kid names one key for good: a prefix some stored key already has is never reused.
      if (taken.has(kid)) continue;
      const publicJwk: ServicePublicJwk = { ...base, kid, alg: "Ed25519", use: "sig" };
      const pkcs8 = pair.privateKey.export({ format: "der", type: "pkcs8" });
      const sealed = sealPrivateKey(this.options.kek, kid, pkcs8);
      return await this.store.addSigningKey({ kid, publicJwk, privateKeyPkcs8: sealed, createdAt: now });
    }
    throw new Error(`no fresh key pair gave a kid unused by the ${taken.size} stored keys`);
  }

  private async reload(): Promise<void> {
    this.keys = (await this.store.listSigningKeys()).map((record) => ({
      record,
      publicKey: ed25519PublicKeyObject(record.publicJwk),
    }));
    const active = await this.store.activeSigningKey();
    if (active === undefined) throw new Error("the store has no active signing key");
    // Every key must open, not only the active one: a rewrap later needs them all.
    for (const { record } of this.keys) {
      if (record.kid !== active.kid) privateKeyBytes(this.options.kek, record).fill(0);
    }
    const der = privateKeyBytes(this.options.kek, active);
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    der.fill(0);
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
          alg: "Ed25519",
          use: "sig",
        })),
    };
  }

  /** Generates a new active key and retires the current one. Returns the new `kid`. */
  async rotate(now: number): Promise<string> {
    const previous = await this.store.activeSigningKey();
    const next = await this.generate(now);
    if (previous !== undefined) await this.store.retireSigningKey(previous.kid, now);
    await this.reload();
    return next.kid;
  }
}
