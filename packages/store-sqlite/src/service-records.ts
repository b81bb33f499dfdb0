/**
 * The token service's own records: its signing keys, the tool servers' audiences, settings, and
 * the revocation feed's epoch.
 */

import { randomBytes } from "node:crypto";
import {
  type AddSigningKeyInput,
  type AudienceRecord,
  addSigningKeyFits,
  type CheckedKeyMaterialChange,
  checkAddSigningKeyInput,
  checkRegisterAudienceInput,
  checkReplaceSigningKeyMaterialInput,
  checkRetireSigningKeyInput,
  checkSetSettingInput,
  FEED_EPOCH_SETTING,
  keyMaterialChangeFits,
  type RegisterAudienceInput,
  type ReplaceSigningKeyMaterial,
  registerAudienceFits,
  retireSigningKeyFits,
  type SigningKeyRecord,
} from "@baton/store/adapter-kit";
import { and, desc, eq, isNull } from "drizzle-orm";
import * as schema from "./schema.ts";
import { type SqliteContext, toSigningKeyRecord } from "./sqlite-context.ts";

/** Adds a signing key; its public JWK must name the same kid, alg Ed25519 and use sig (stored as Ed25519). */
export function addSigningKey(ctx: SqliteContext, input: AddSigningKeyInput): Promise<SigningKeyRecord> {
  const key = checkAddSigningKeyInput(input);
  const { kid, publicJwk, privateKeyPkcs8, createdAt } = key;
  return ctx.write(() => {
    addSigningKeyFits(key, {
      kidTaken:
        ctx.db.select().from(schema.signingKeys).where(eq(schema.signingKeys.kid, kid)).get() !== undefined,
    });
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
export function retireSigningKey(ctx: SqliteContext, kid: string, at: number): Promise<SigningKeyRecord> {
  const retirement = checkRetireSigningKeyInput(kid, at);
  return ctx.write(() => {
    const k = schema.signingKeys;
    retireSigningKeyFits(retirement, {
      key: ctx.db.select({ retiredAt: k.retiredAt }).from(k).where(eq(k.kid, retirement.kid)).get(),
    });
    const row = ctx.db
      .update(k)
      .set({ retiredAt: retirement.at })
      .where(and(eq(k.kid, retirement.kid), isNull(k.retiredAt)))
      .returning()
      .get();
    if (row === undefined) throw new Error(`signing key ${retirement.kid} changed inside its transaction`);
    return toSigningKeyRecord(row);
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
  const checked = checkReplaceSigningKeyMaterialInput(changes);
  // Runs alone, between the pragmas that bracket it: queued writes commit first.
  ctx.flushWrites();
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

function replaceEach(ctx: SqliteContext, checked: readonly CheckedKeyMaterialChange[]): void {
  ctx.writeNow(() => {
    for (const change of checked) {
      const { kid, from, to } = change;
      const row = ctx.db
        .update(schema.signingKeys)
        .set({ privateKeyPkcs8: to })
        .where(and(eq(schema.signingKeys.kid, kid), eq(schema.signingKeys.privateKeyPkcs8, from)))
        .returning({ kid: schema.signingKeys.kid })
        .get();
      // The conditional update is the read: no row changed means the key no longer holds `from`.
      keyMaterialChangeFits(change, { holdsFrom: row !== undefined });
    }
  });
}

/** Registers a tool server's audience. */
export function registerAudience(ctx: SqliteContext, input: RegisterAudienceInput): Promise<AudienceRecord> {
  const audience = checkRegisterAudienceInput(input);
  const { id, secretHash, name, at } = audience;
  return ctx.write(() => {
    registerAudienceFits(audience, { idTaken: getAudience(ctx, id) !== undefined });
    return ctx.db.insert(schema.audiences).values({ id, secretHash, name, createdAt: at }).returning().get();
  });
}

/** The audience, if any. */
export function getAudience(ctx: SqliteContext, id: string): AudienceRecord | undefined {
  if (typeof id !== "string") return undefined;
  return ctx.lookups.audience.get({ key: id });
}

/** A setting's value, if set. */
export function getSetting(ctx: SqliteContext, key: string): string | undefined {
  if (typeof key !== "string") return undefined;
  return ctx.lookups.setting.get({ key })?.value;
}

/** Sets or overwrites a setting. */
export function setSetting(ctx: SqliteContext, key: string, value: string, at: number): Promise<void> {
  const { key: name, value: text, at: updatedAt } = checkSetSettingInput(key, value, at);
  return ctx.write(() => {
    ctx.db
      .insert(schema.settings)
      .values({ key: name, value: text, updatedAt })
      .onConflictDoUpdate({ target: schema.settings.key, set: { value: text, updatedAt } })
      .run();
  });
}

/**
 * Gives a database its feed epoch on first open: 128 random bits, kept with the data, so a
 * different database (a fresh one, another deployment's) always answers with a different epoch.
 */
export function ensureFeedEpoch(ctx: SqliteContext): void {
  if (getSetting(ctx, FEED_EPOCH_SETTING) !== undefined) return;
  const epoch = randomBytes(16).toString("base64url");
  ctx.writeNow(() =>
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
