/** Migrations apply at open, once however many instances start together, and a foreign schema is refused. */

import { generateKeyPairSync } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentKey, T0 } from "@baton/store/conformance";
import { randomId } from "@baton/token";
import pg from "pg";
import { afterEach, expect, test } from "vitest";
import { knownSchemaVersions, openPostgresStore, readMigrationJournal } from "../src/index.ts";
import { MIGRATIONS_FOLDER, migrateDatabase } from "../src/migrations.ts";
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

  test("upgrades a database at 0001 (before status lists): every delegation gets an entry, revoked ones read as set", async () => {
    const database = await createEmptyDatabase();
    databases.push(database);
    // Migrate only as far as 0001, as an older build would have.
    const folder = mkdtempSync(join(tmpdir(), "baton-pg-migrations-"));
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalPath = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
    const through = journal.entries.findIndex((entry) => entry.tag === "0001_integrity") + 1;
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, through) }));
    const pool = new pg.Pool({ connectionString: database.url });
    const [root, live, revoked] = [randomId(), randomId(), randomId()];
    try {
      expect(await migrateDatabase(pool, folder)).toBe("0001_integrity");
      const key = agentKey();
      await pool.query("insert into agents (id, jwk, jkt, created_at) values ('agent:alice', $1, $2, $3)", [
        JSON.stringify(key.jwk),
        key.jkt,
        T0,
      ]);
      await pool.query(
        "insert into tasks (id, intent, root_agent, root_did, opened_at) values ('t1', 'old task', 'agent:alice', $1, $2)",
        [root, T0],
      );
      for (const [did, parent, depth, at] of [
        [root, null, 0, T0],
        [live, root, 1, T0 + 1],
        [revoked, root, 1, T0 + 2],
      ] as const) {
        await pool.query(
          `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
           values ($1, $2, $3, 't1', $4, $5, 'agent:alice', '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 2, $6, $7)`,
          [did, parent, root, depth, parent === null ? null : "agent:alice", T0 + 3600, at],
        );
      }
      await pool.query(
        "update delegations set status = 'revoked', revoked_at = $1, revocation_seq = 1 where did = $2",
        [T0 + 3, revoked],
      );
    } finally {
      await pool.end();
      rmSync(folder, { recursive: true, force: true });
    }

    const store = await openPostgresStore(database.url);
    try {
      expect((await store.getDelegation(root))?.statusEntry).toEqual({ list: 0, index: 0 });
      expect((await store.getDelegation(live))?.statusEntry).toEqual({ list: 0, index: 1 });
      expect((await store.getDelegation(revoked))?.statusEntry).toEqual({ list: 0, index: 2 });
      const bits = await store.statusListBits(0);
      expect(bits?.allocated).toBe(3);
      expect(bits?.bytes[0]).toBe(0b100);
      expect(await store.reserveStatusEntries(2, T0 + 4)).toEqual({ list: 0, first: 3, count: 2 });
      await expect(
        store.pool.query("update delegations set intent = 'x' where did = $1", [revoked]),
      ).rejects.toThrow(/revoked delegation cannot change/);
      await expect(
        store.pool.query("update delegations set status_index = 9 where did = $1", [live]),
      ).rejects.toThrow(/keeps its status list entry/);
    } finally {
      await store.close();
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
