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
  addSigningKeyFits,
  checkAddSigningKeyInput,
  checkRegisterAudienceInput,
  checkReplaceSigningKeyMaterialInput,
  checkRetireSigningKeyInput,
  checkSetSettingInput,
  FEED_EPOCH_SETTING,
  keyMaterialChangeFits,
  registerAudienceFits,
  retireSigningKeyFits,
} from "@baton/store/adapter-kit";
import { type PgContext, type Prepared, type Tx, toSigningKeyRecord } from "./pg-context.ts";

const KEY_COLUMNS = `kid, public_jwk as "publicJwk", private_key_pkcs8 as "privateKeyPkcs8", created_at as "createdAt",
  retired_at as "retiredAt"`;
const AUDIENCE_COLUMNS = `id, secret_hash as "secretHash", name, created_at as "createdAt"`;
/** The audience behind a tool server's secret: read on every verify. */
const AUDIENCE_BY_ID: Prepared = {
  name: "baton_audience_by_id",
  text: `select ${AUDIENCE_COLUMNS} from audiences where id = $1`,
};
const SETTING_BY_KEY: Prepared = {
  name: "baton_setting_by_key",
  text: "select value from settings where key = $1",
};

type SigningKeyRow = Omit<SigningKeyRecord, "publicJwk"> & { publicJwk: string };

/** Adds a signing key; its public JWK must name the same kid, alg Ed25519 and use sig (stored as Ed25519). */
export async function addSigningKey(ctx: PgContext, input: AddSigningKeyInput): Promise<SigningKeyRecord> {
  const key = checkAddSigningKeyInput(input);
  return ctx.write(async (tx) => {
    // ON CONFLICT DO NOTHING: a kid taken by a racing instance is refused like one taken before.
    const row = await tx.row<SigningKeyRow>(
      `insert into signing_keys (kid, public_jwk, private_key_pkcs8, created_at) values ($1, $2, $3, $4)
       on conflict (kid) do nothing returning ${KEY_COLUMNS}`,
      [key.kid, JSON.stringify(key.publicJwk), key.privateKeyPkcs8, key.createdAt],
    );
    addSigningKeyFits(key, { kidTaken: row === undefined });
    return toSigningKeyRecord(row as SigningKeyRow);
  });
}

/** Every signing key, newest first. */
export async function listSigningKeys(ctx: PgContext): Promise<SigningKeyRecord[]> {
  const rows = await ctx.rows<SigningKeyRow>(
    `select ${KEY_COLUMNS} from signing_keys order by created_at desc, kid desc`,
  );
  return rows.map(toSigningKeyRecord);
}

/** The newest key that is not retired. */
export async function activeSigningKey(ctx: PgContext): Promise<SigningKeyRecord | undefined> {
  const row = await ctx.row<SigningKeyRow>(
    `select ${KEY_COLUMNS} from signing_keys where retired_at is null order by created_at desc, kid desc limit 1`,
  );
  return row === undefined ? undefined : toSigningKeyRecord(row);
}

/** Retires a key; it stays listed so the tokens it signed still verify. */
export async function retireSigningKey(ctx: PgContext, kid: string, at: number): Promise<SigningKeyRecord> {
  const retirement = checkRetireSigningKeyInput(kid, at);
  return ctx.write(async (tx) => {
    const key = await tx.row<{ retiredAt: number | null }>(
      `select retired_at as "retiredAt" from signing_keys where kid = $1 for update`,
      [retirement.kid],
    );
    retireSigningKeyFits(retirement, { key });
    const row = await tx.row<SigningKeyRow>(
      `update signing_keys set retired_at = $2 where kid = $1 returning ${KEY_COLUMNS}`,
      [retirement.kid, retirement.at],
    );
    return toSigningKeyRecord(row as SigningKeyRow);
  });
}

/**
 * Replaces the stored private halves of signing keys, all in one transaction: each change applies
 * only if the row still holds `from` (else `conflict`, and nothing is written). The old values
 * stay in dead tuples until vacuum reclaims them; the README says how to hurry that.
 */
export async function replaceSigningKeyMaterial(
  ctx: PgContext,
  changes: readonly ReplaceSigningKeyMaterial[],
): Promise<void> {
  const checked = checkReplaceSigningKeyMaterialInput(changes);
  await ctx.write(async (tx) => {
    for (const change of checked) {
      // A conditional update: it applies only while the row still holds `from`.
      const row = await tx.row(
        "update signing_keys set private_key_pkcs8 = $3 where kid = $1 and private_key_pkcs8 = $2 returning kid",
        [change.kid, change.from, change.to],
      );
      keyMaterialChangeFits(change, { holdsFrom: row !== undefined });
    }
  });
}

/** Registers a tool server's audience. */
export async function registerAudience(
  ctx: PgContext,
  input: RegisterAudienceInput,
): Promise<AudienceRecord> {
  const audience = checkRegisterAudienceInput(input);
  return ctx.write(async (tx) => {
    const row = await tx.row<AudienceRecord>(
      `insert into audiences (id, secret_hash, name, created_at) values ($1, $2, $3, $4)
       on conflict (id) do nothing returning ${AUDIENCE_COLUMNS}`,
      [audience.id, audience.secretHash, audience.name, audience.at],
    );
    registerAudienceFits(audience, { idTaken: row === undefined });
    return row as AudienceRecord;
  });
}

/** The audience, if any. */
export async function getAudience(ctx: PgContext, id: string): Promise<AudienceRecord | undefined> {
  if (typeof id !== "string") return undefined;
  return ctx.row<AudienceRecord>(AUDIENCE_BY_ID, [id]);
}

/** A setting's value, if set. */
export async function getSetting(ctx: Pick<Tx, "row">, key: string): Promise<string | undefined> {
  if (typeof key !== "string") return undefined;
  return (await ctx.row<{ value: string }>(SETTING_BY_KEY, [key]))?.value;
}

/** Sets or overwrites a setting. */
export async function setSetting(ctx: PgContext, key: string, value: string, at: number): Promise<void> {
  const setting = checkSetSettingInput(key, value, at);
  await ctx.write((tx) =>
    tx.rows(
      `insert into settings (key, value, updated_at) values ($1, $2, $3)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [setting.key, setting.value, setting.at],
    ),
  );
}

/**
 * Gives a database its feed epoch on first open: 128 random bits, kept with the data, so a
 * different database always answers with a different epoch. Instances opening together agree:
 * the first insert wins and the others keep it.
 */
export async function ensureFeedEpoch(ctx: PgContext): Promise<void> {
  if ((await getSetting(ctx, FEED_EPOCH_SETTING)) !== undefined) return;
  const epoch = randomBytes(16).toString("base64url");
  await ctx.write((tx) =>
    tx.rows(
      "insert into settings (key, value, updated_at) values ($1, $2, $3) on conflict (key) do nothing",
      [FEED_EPOCH_SETTING, epoch, Math.floor(Date.now() / 1000)],
    ),
  );
}

/** The revocation feed's epoch (see {@link ensureFeedEpoch}). */
export async function feedEpoch(tx: Pick<Tx, "row">): Promise<string> {
  const epoch = await getSetting(tx, FEED_EPOCH_SETTING);
  if (epoch === undefined) throw new Error("the database has no revocation feed epoch; reopen it");
  return epoch;
}
