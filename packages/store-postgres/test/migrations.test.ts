/** Migrations apply at open, once however many instances start together, and a foreign schema is refused. */

import { generateKeyPairSync } from "node:crypto";
import pg from "pg";
import { afterEach, expect, test } from "vitest";
import { knownSchemaVersions, openPostgresStore, readMigrationJournal } from "../src/index.ts";
import {
  createEmptyDatabase,
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "./helpers/scratch-database.ts";

describeWithPostgres("PostgresStore migrations", () => {
  const databases: ScratchDatabase[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.drop();
  });

  async function recordMigration(url: string, createdAt: number): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `insert into "drizzle"."__drizzle_migrations" (hash, created_at) values ('foreign', $1)`,
        [createdAt],
      );
    } finally {
      await client.end();
    }
  }

  test("migrates an empty database at open, once, when two instances start on it together", async () => {
    const database = await createEmptyDatabase();
    databases.push(database);
    const [a, b] = await Promise.all([openPostgresStore(database.url), openPostgresStore(database.url)]);
    try {
      const newest = knownSchemaVersions().at(-1);
      expect(a.schemaVersion).toBe(newest);
      expect(b.schemaVersion).toBe(newest);
      expect(await a.health()).toMatchObject({ ok: true, schemaVersion: newest });
      // One epoch for the database, whichever instance wrote it.
      expect((await a.revocationsSince(0)).epoch).toBe((await b.revocationsSince(0)).epoch);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("refuses a database migrated by newer code with schema_too_new", async () => {
    const database = await createScratchDatabase();
    databases.push(database);
    const newest = readMigrationJournal().at(-1)?.when ?? 0;
    await recordMigration(database.url, newest + 86_400_000);
    await expect(openPostgresStore(database.url)).rejects.toMatchObject({ code: "schema_too_new" });
  });

  test("refuses a database whose history holds a migration this code does not ship with schema_mismatch", async () => {
    const database = await createScratchDatabase();
    databases.push(database);
    await recordMigration(database.url, 1_000);
    await expect(openPostgresStore(database.url)).rejects.toMatchObject({ code: "schema_mismatch" });
  });

  test("refuses a URL that is not postgres:// with invalid", async () => {
    await expect(openPostgresStore("/var/lib/baton.db")).rejects.toMatchObject({ code: "invalid" });
  });

  /** @see issue 17: a database from before RFC 9864 holds public JWKs saying alg EdDSA. */
  test("reads a signing key stored with alg EdDSA as Ed25519, keeping its kid", async () => {
    const database = await createScratchDatabase();
    databases.push(database);
    const x = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x as string;
    const kid = "a-full-43-character-thumbprint-kid-of-old-k";
    const publicJwk = { kty: "OKP", crv: "Ed25519", x, kid, alg: "Ed25519", use: "sig" } as const;
    const store = await openPostgresStore(database.url);
    try {
      await store.addSigningKey({
        kid,
        publicJwk,
        privateKeyPkcs8: Buffer.alloc(48, 1).toString("base64"),
        createdAt: 1_000,
      });
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query("update signing_keys set public_jwk = $1 where kid = $2", [
          JSON.stringify({ ...publicJwk, alg: "EdDSA" }),
          kid,
        ]);
      } finally {
        await client.end();
      }
      expect((await store.activeSigningKey())?.publicJwk).toEqual(publicJwk);
      expect((await store.listSigningKeys()).map((key) => key.publicJwk)).toEqual([publicJwk]);
    } finally {
      await store.close();
    }
  });
});
