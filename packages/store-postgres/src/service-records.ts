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
import { type PgContext, type Tx, toSigningKeyRecord } from "./pg-context.ts";

const KEY_COLUMNS = `kid, public_jwk as "publicJwk", private_key_pkcs8 as "privateKeyPkcs8", created_at as "createdAt",
  retired_at as "retiredAt"`;
const AUDIENCE_COLUMNS = `id, secret_hash as "secretHash", name, created_at as "createdAt"`;

type SigningKeyRow = Omit<SigningKeyRecord, "publicJwk"> & { publicJwk: string };

/** Adds a signing key; its public JWK must name the same kid, EdDSA and use sig. */
export async function addSigningKey(ctx: PgContext, input: AddSigningKeyInput): Promise<SigningKeyRecord> {
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
  return ctx.write(async (tx) => {
    const row = await tx.row<SigningKeyRow>(
      `insert into signing_keys (kid, public_jwk, private_key_pkcs8, created_at) values ($1, $2, $3, $4)
       on conflict (kid) do nothing returning ${KEY_COLUMNS}`,
      [kid, JSON.stringify(publicJwk), privateKeyPkcs8, createdAt],
    );
    if (row === undefined) {
      throw new StoreError("conflict", `key.kid: signing key ${kid} already exists`, { field: "key.kid" });
    }
    return toSigningKeyRecord(row);
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
  const keyId = checkKeyId(kid, "kid");
  const retiredAt = checkTime(at, "at");
  return ctx.write(async (tx) => {
    const row = await tx.row<SigningKeyRow>(
      `update signing_keys set retired_at = $2 where kid = $1 and retired_at is null returning ${KEY_COLUMNS}`,
      [keyId, retiredAt],
    );
    if (row !== undefined) return toSigningKeyRecord(row);
    const existing = await tx.row("select 1 as one from signing_keys where kid = $1", [keyId]);
    if (existing === undefined)
      throw new StoreError("not_found", `kid: no signing key ${keyId}`, { field: "kid" });
    throw new StoreError("conflict", `kid: signing key ${keyId} is already retired`, { field: "kid" });
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
  await ctx.write(async (tx) => {
    for (const { kid, from, to } of checked) {
      const row = await tx.row(
        "update signing_keys set private_key_pkcs8 = $3 where kid = $1 and private_key_pkcs8 = $2 returning kid",
        [kid, from, to],
      );
      if (row === undefined) {
        throw new StoreError("conflict", `changes: signing key ${kid} is missing or changed meanwhile`, {
          field: "changes",
        });
      }
    }
  });
}

/** Registers a tool server's audience. */
export async function registerAudience(
  ctx: PgContext,
  input: RegisterAudienceInput,
): Promise<AudienceRecord> {
  const value = checkObject(input, "audience");
  const id = checkAudienceName(value.id, "audience.id");
  const secretHash = checkSecretHash(value.secretHash, "audience.secretHash");
  const name = checkOptionalText(value.name, "audience.name", MAX_NAME_LENGTH);
  const at = checkTime(value.at, "audience.at");
  return ctx.write(async (tx) => {
    const row = await tx.row<AudienceRecord>(
      `insert into audiences (id, secret_hash, name, created_at) values ($1, $2, $3, $4)
       on conflict (id) do nothing returning ${AUDIENCE_COLUMNS}`,
      [id, secretHash, name, at],
    );
    if (row === undefined) {
      throw new StoreError("conflict", `audience.id: audience ${id} is already registered`, {
        field: "audience.id",
      });
    }
    return row;
  });
}

/** The audience, if any. */
export async function getAudience(ctx: PgContext, id: string): Promise<AudienceRecord | undefined> {
  if (typeof id !== "string") return undefined;
  return ctx.row<AudienceRecord>(`select ${AUDIENCE_COLUMNS} from audiences where id = $1`, [id]);
}

/** A setting's value, if set. */
export async function getSetting(ctx: Pick<Tx, "row">, key: string): Promise<string | undefined> {
  if (typeof key !== "string") return undefined;
  return (await ctx.row<{ value: string }>("select value from settings where key = $1", [key]))?.value;
}

/** Sets or overwrites a setting. */
export async function setSetting(ctx: PgContext, key: string, value: string, at: number): Promise<void> {
  const name = checkSettingKey(key, "key");
  const text = checkSettingValue(value, "value");
  const updatedAt = checkTime(at, "at");
  await ctx.write((tx) =>
    tx.rows(
      `insert into settings (key, value, updated_at) values ($1, $2, $3)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [name, text, updatedAt],
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
