/**
 * The token service's own records: its signing keys, the tool servers' audiences, settings, and
 * the revocation feed's epoch.
 */

import { randomBytes } from "node:crypto";
import type {
  AddSigningKeyInput,
  AudienceRecord,
  RegisterAudienceInput,
  ReplaceSigningKeyMaterial,
  SigningKeyRecord,
} from "@baton/store/adapter-kit";
import {
  checkAudienceName,
  checkKeyId,
  checkObject,
  checkOptionalText,
  checkPrivateKeyMaterial,
  checkSecretHash,
  checkSettingKey,
  checkSettingValue,
  checkTime,
  FEED_EPOCH_SETTING,
  invalidInput,
  MAX_NAME_LENGTH,
  StoreError,
} from "@baton/store/adapter-kit";
import { parseAgentJwk, type ServicePublicJwk } from "@baton/token";
import { and, desc, eq, isNull } from "drizzle-orm";
import * as schema from "./schema.ts";
import { type SqliteContext, toSigningKeyRecord } from "./sqlite-context.ts";

/** Adds a signing key; its public JWK must name the same kid, EdDSA and use sig. */
export function addSigningKey(ctx: SqliteContext, input: AddSigningKeyInput): SigningKeyRecord {
  const value = checkObject(input, "key");
  const kid = checkKeyId(value.kid, "key.kid");
  const jwk = checkObject(value.publicJwk, "key.publicJwk");
  const key = parseAgentJwk(jwk, "key.publicJwk");
  if (!key.ok) throw invalidInput("key.publicJwk", key.error.message);
  if (jwk.kid !== kid || jwk.alg !== "EdDSA" || jwk.use !== "sig") {
    throw invalidInput("key.publicJwk", 'must carry kid equal to key.kid, alg "EdDSA" and use "sig"');
  }
  const publicJwk: ServicePublicJwk = { ...key.value.jwk, kid, alg: "EdDSA", use: "sig" };
  const privateKeyPkcs8 = checkPrivateKeyMaterial(value.privateKeyPkcs8, "key.privateKeyPkcs8");
  const createdAt = checkTime(value.createdAt, "key.createdAt");
  return ctx.write(() => {
    if (ctx.db.select().from(schema.signingKeys).where(eq(schema.signingKeys.kid, kid)).get()) {
      throw new StoreError("conflict", `key.kid: signing key ${kid} already exists`, { field: "key.kid" });
    }
    const row = ctx.db
      .insert(schema.signingKeys)
      .values({ kid, publicJwk: JSON.stringify(publicJwk), privateKeyPkcs8, createdAt })
      .returning()
      .get();
    return toSigningKeyRecord(row);
  });
}

/** Every signing key, newest first. */
export function listSigningKeys(ctx: SqliteContext): SigningKeyRecord[] {
  return ctx.db
    .select()
    .from(schema.signingKeys)
    .orderBy(desc(schema.signingKeys.createdAt), desc(schema.signingKeys.kid))
    .all()
    .map(toSigningKeyRecord);
}

/** The newest key that is not retired. */
export function activeSigningKey(ctx: SqliteContext): SigningKeyRecord | undefined {
  const row = ctx.db
    .select()
    .from(schema.signingKeys)
    .where(isNull(schema.signingKeys.retiredAt))
    .orderBy(desc(schema.signingKeys.createdAt), desc(schema.signingKeys.kid))
    .limit(1)
    .get();
  return row === undefined ? undefined : toSigningKeyRecord(row);
}

/** Retires a key; it stays listed so the tokens it signed still verify. */
export function retireSigningKey(ctx: SqliteContext, kid: string, at: number): SigningKeyRecord {
  const keyId = checkKeyId(kid, "kid");
  const retiredAt = checkTime(at, "at");
  return ctx.write(() => {
    const row = ctx.db
      .update(schema.signingKeys)
      .set({ retiredAt })
      .where(and(eq(schema.signingKeys.kid, keyId), isNull(schema.signingKeys.retiredAt)))
      .returning()
      .get();
    if (row !== undefined) return toSigningKeyRecord(row);
    const existing = ctx.db.select().from(schema.signingKeys).where(eq(schema.signingKeys.kid, keyId)).get();
    if (existing === undefined)
      throw new StoreError("not_found", `kid: no signing key ${keyId}`, { field: "kid" });
    throw new StoreError("conflict", `kid: signing key ${keyId} is already retired`, { field: "kid" });
  });
}

/**
 * Replaces the stored private halves of signing keys, all in one transaction: each change applies
 * only if the row still holds `from` (else `conflict`, and nothing is written). For sealing
 * legacy plaintext keys and for re-sealing every key under a new key-encryption key.
 */
export function replaceSigningKeyMaterial(
  ctx: SqliteContext,
  changes: readonly ReplaceSigningKeyMaterial[],
): void {
  if (!Array.isArray(changes) || changes.length > 10_000)
    throw invalidInput("changes", "must be an array of at most 10000 changes");
  const checked = changes.map((change, i) => {
    const value = checkObject(change, `changes[${i}]`);
    return {
      kid: checkKeyId(value.kid, `changes[${i}].kid`),
      from: checkPrivateKeyMaterial(value.from, `changes[${i}].from`),
      to: checkPrivateKeyMaterial(value.to, `changes[${i}].to`),
    };
  });
  // The replaced halves must not linger in the file's free space or in the WAL: zero freed
  // space while writing, then checkpoint and truncate the WAL (issue 14).
  const secureDelete = ctx.database.pragma("secure_delete", { simple: true });
  ctx.database.pragma("secure_delete = ON");
  try {
    replaceEach(ctx, checked);
  } finally {
    ctx.database.pragma(`secure_delete = ${secureDelete === 1 ? "ON" : "OFF"}`);
  }
  ctx.database.pragma("wal_checkpoint(TRUNCATE)");
}

function replaceEach(ctx: SqliteContext, checked: readonly ReplaceSigningKeyMaterial[]): void {
  ctx.write(() => {
    for (const { kid, from, to } of checked) {
      const row = ctx.db
        .update(schema.signingKeys)
        .set({ privateKeyPkcs8: to })
        .where(and(eq(schema.signingKeys.kid, kid), eq(schema.signingKeys.privateKeyPkcs8, from)))
        .returning({ kid: schema.signingKeys.kid })
        .get();
      if (row === undefined) {
        throw new StoreError("conflict", `changes: signing key ${kid} is missing or changed meanwhile`, {
          field: "changes",
        });
      }
    }
  });
}

/** Registers a tool server's audience. */
export function registerAudience(ctx: SqliteContext, input: RegisterAudienceInput): AudienceRecord {
  const value = checkObject(input, "audience");
  const id = checkAudienceName(value.id, "audience.id");
  const secretHash = checkSecretHash(value.secretHash, "audience.secretHash");
  const name = checkOptionalText(value.name, "audience.name", MAX_NAME_LENGTH);
  const at = checkTime(value.at, "audience.at");
  return ctx.write(() => {
    if (getAudience(ctx, id) !== undefined) {
      throw new StoreError("conflict", `audience.id: audience ${id} is already registered`, {
        field: "audience.id",
      });
    }
    return ctx.db.insert(schema.audiences).values({ id, secretHash, name, createdAt: at }).returning().get();
  });
}

/** The audience, if any. */
export function getAudience(ctx: SqliteContext, id: string): AudienceRecord | undefined {
  if (typeof id !== "string") return undefined;
  return ctx.db.select().from(schema.audiences).where(eq(schema.audiences.id, id)).get();
}

/** A setting's value, if set. */
export function getSetting(ctx: SqliteContext, key: string): string | undefined {
  if (typeof key !== "string") return undefined;
  return ctx.db.select().from(schema.settings).where(eq(schema.settings.key, key)).get()?.value;
}

/** Sets or overwrites a setting. */
export function setSetting(ctx: SqliteContext, key: string, value: string, at: number): void {
  const name = checkSettingKey(key, "key");
  const text = checkSettingValue(value, "value");
  const updatedAt = checkTime(at, "at");
  ctx.write(() =>
    ctx.db
      .insert(schema.settings)
      .values({ key: name, value: text, updatedAt })
      .onConflictDoUpdate({ target: schema.settings.key, set: { value: text, updatedAt } })
      .run(),
  );
}

/**
 * Gives a database its feed epoch on first open: 128 random bits, kept with the data, so a
 * different database (a fresh one, another deployment's) always answers with a different epoch.
 */
export function ensureFeedEpoch(ctx: SqliteContext): void {
  if (getSetting(ctx, FEED_EPOCH_SETTING) !== undefined) return;
  const epoch = randomBytes(16).toString("base64url");
  ctx.write(() =>
    ctx.db
      .insert(schema.settings)
      .values({ key: FEED_EPOCH_SETTING, value: epoch, updatedAt: Math.floor(Date.now() / 1000) })
      .onConflictDoNothing()
      .run(),
  );
}

/** The revocation feed's epoch (see {@link ensureFeedEpoch}). */
export function feedEpoch(ctx: SqliteContext): string {
  const epoch = getSetting(ctx, FEED_EPOCH_SETTING);
  // ensureFeedEpoch ran at open, so a missing epoch is a bug or a hand-edited file.
  if (epoch === undefined) throw new Error("the database has no revocation feed epoch; reopen it");
  return epoch;
}
