/**
 * Keys at rest (issue 14): the files the service creates are owner-only, and a copy of the
 * database yields no signing key without the key-encryption key (KEK), which lives in its own
 * file or in the environment. Real SQLite files, the real server over loopback HTTP.
 */
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { openSqliteStore, type SqliteStore } from "@baton/store-sqlite";
import { jwkThumbprint } from "@baton/token";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.ts";
import {
  decodeKek,
  generateKek,
  KeyEncryptionError,
  unsealPrivateKey,
  writeKekFile,
} from "../src/key-encryption.ts";
import { type RunningServer, startServer } from "../src/server.ts";

let dir: string;
let running: RunningServer | undefined;
const silent = pino({ level: "silent" });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-keys-at-rest-"));
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const dbPath = () => join(dir, "baton.db");
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A logger whose warnings the test can read. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), warnings: () => lines.filter((l) => l.level === 40) };
}

async function start(env: Record<string, string> = {}, logger = silent): Promise<RunningServer> {
  const config = loadConfig({ BATON_DB: dbPath(), BATON_LOG_LEVEL: "silent", ...env }, ["--port", "0"]);
  running = await startServer(config, { print: () => {}, logger });
  return running;
}

async function stop(): Promise<void> {
  await running?.close();
  running = undefined;
}

async function activeKid(server: RunningServer): Promise<string> {
  const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string }[];
  };
  return jwks.keys[0]?.kid as string;
}

/** What an Ed25519 private key looks like in every encoding someone might search a file for. */
function privateKeyForms(pkcs8: Buffer): string[] {
  const seed = pkcs8.subarray(pkcs8.length - 32);
  return [
    seed.toString("base64url"), // the JWK's `d`
    seed.toString("base64"),
    seed.toString("hex"),
    pkcs8.toString("base64"), // the old stored form
    pkcs8.toString("hex"),
  ];
}

/** True when any form of the key appears in the raw bytes of any of `files`. */
function leaks(files: readonly string[], pkcs8: Buffer): boolean {
  const seed = pkcs8.subarray(pkcs8.length - 32);
  return files
    .filter((file) => existsSync(file))
    .some((file) => {
      const bytes = readFileSync(file);
      if (bytes.includes(seed)) return true;
      const text = bytes.toString("latin1");
      return privateKeyForms(pkcs8).some((form) => text.includes(form));
    });
}

/** The active key's PKCS#8 DER, opened with the KEK file beside the database. */
async function openedActiveKey(store: SqliteStore): Promise<Buffer> {
  const record = await store.activeSigningKey();
  if (record === undefined) throw new Error("no active key");
  const kek = decodeKek(readFileSync(`${dbPath()}.kek`, "utf8"), "test");
  return unsealPrivateKey(kek, record.kid, record.privateKeyPkcs8);
}

describe("files the service creates", () => {
  /** @see issue 14 (keys at rest) */
  test("the database, its -wal and -shm, and the KEK file are owner-only (0600)", async () => {
    await start();
    for (const file of [dbPath(), `${dbPath()}-wal`, `${dbPath()}-shm`, `${dbPath()}.kek`]) {
      expect(existsSync(file), file).toBe(true);
      expect(modeOf(file).toString(8), file).toBe("600");
    }
  });

  test("an existing database file others can read is made owner-only at open, with a warning in the log", async () => {
    await start();
    await stop();
    chmodSync(dbPath(), 0o644);
    chmodSync(`${dbPath()}.kek`, 0o640);
    const { logger, warnings } = recordingLogger();
    await start({}, logger);
    expect(modeOf(dbPath()).toString(8)).toBe("600");
    expect(modeOf(`${dbPath()}.kek`).toString(8)).toBe("600");
    const messages = warnings().map((w) => w.msg);
    expect(messages.some((m) => m.includes(dbPath()) && m.includes("644"))).toBe(true);
    expect(messages.some((m) => m.includes(`${dbPath()}.kek`) && m.includes("640"))).toBe(true);
  });
});

describe("signing keys at rest", () => {
  /** @see issue 14 (keys at rest) */
  test("a copy of the database holds no private key material", async () => {
    const server = await start();
    const kid = await activeKid(server);
    const store = server.store as SqliteStore;
    const pkcs8 = await openedActiveKey(store);
    expect((await store.activeSigningKey())?.kid).toBe(kid);
    // A backup as an operator would take one, and the live files as they are.
    await store.backup(join(dir, "copy.db"));
    expect(leaks([join(dir, "copy.db"), dbPath(), `${dbPath()}-wal`], pkcs8)).toBe(false);
    // The search itself finds the key where it is: the KEK opens it.
    expect(pkcs8).toHaveLength(48);
    expect((await store.activeSigningKey())?.privateKeyPkcs8).toMatch(/^kek1:/);
  });

  test("a missing KEK file stops the start with an error naming it, and generates no new key", async () => {
    const kid = await activeKid(await start());
    await stop();
    rmSync(`${dbPath()}.kek`);
    const refused = start().catch((error: unknown) => error);
    const error = (await refused) as KeyEncryptionError;
    expect(error).toBeInstanceOf(KeyEncryptionError);
    expect(error.code).toBe("kek_missing");
    expect(error.message).toContain(`${dbPath()}.kek`);
    expect(existsSync(`${dbPath()}.kek`)).toBe(false);
    const store = openSqliteStore({ path: dbPath() });
    expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual([kid]);
    await store.close();
  });

  /** @see issue 14 (keys at rest) */
  test("a wrong KEK stops the start with an error naming BATON_KEK or the file", async () => {
    await start();
    await stop();
    const wrong = generateKek("test").key.toString("base64url");
    const fromEnv = (await start({ BATON_KEK: wrong }).catch((e: unknown) => e)) as KeyEncryptionError;
    expect(fromEnv).toBeInstanceOf(KeyEncryptionError);
    expect(fromEnv.code).toBe("kek_mismatch");
    expect(fromEnv.message).toContain("BATON_KEK");

    const otherFile = join(dir, "other.kek");
    writeKekFile(otherFile, generateKek("test"));
    const fromFile = (await start({ BATON_KEK_FILE: otherFile }).catch(
      (e: unknown) => e,
    )) as KeyEncryptionError;
    expect(fromFile.code).toBe("kek_mismatch");
    expect(fromFile.message).toContain("BATON_KEK_FILE");
    expect(fromFile.message).toContain(otherFile);

    // The right KEK, given in the environment instead of the file, works.
    const right = readFileSync(`${dbPath()}.kek`, "utf8").trim();
    await start({ BATON_KEK: right });
  });

  /** @see issue 14 (keys at rest) */
  test("an old database with a plaintext key gets it sealed on start, keeping its kid", async () => {
    // A database as earlier versions wrote it: the key's PKCS#8 in plaintext, the file 0644.
    const legacy = openSqliteStore({ path: dbPath() });
    const pair = generateKeyPairSync("ed25519");
    const x = pair.publicKey.export({ format: "jwk" }).x as string;
    const kid = jwkThumbprint({ kty: "OKP", crv: "Ed25519", x });
    const pkcs8 = pair.privateKey.export({ format: "der", type: "pkcs8" });
    const publicJwk = { kty: "OKP", crv: "Ed25519", x, kid, alg: "Ed25519", use: "sig" } as const;
    await legacy.addSigningKey({
      kid,
      publicJwk,
      privateKeyPkcs8: pkcs8.toString("base64"),
      createdAt: 1_767_225_600,
    });
    // Before RFC 9864 the public JWK said alg EdDSA (issue 17).
    legacy.database
      .prepare("update signing_keys set public_jwk = ? where kid = ?")
      .run(JSON.stringify({ ...publicJwk, alg: "EdDSA" }), kid);
    await legacy.close();
    chmodSync(dbPath(), 0o644);
    expect(leaks([dbPath(), `${dbPath()}-wal`], pkcs8)).toBe(true);

    const { logger, warnings } = recordingLogger();
    const server = await start({}, logger);
    expect(await activeKid(server)).toBe(kid);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toEqual([{ kty: "OKP", crv: "Ed25519", x, kid, alg: "Ed25519", use: "sig" }]);
    expect(warnings().some((w) => w.msg.includes("sealed 1 plaintext signing key"))).toBe(true);
    const store = server.store as SqliteStore;
    expect((await store.activeSigningKey())?.privateKeyPkcs8).toMatch(/^kek1:/);
    expect((await openedActiveKey(store)).equals(pkcs8)).toBe(true);
    expect(leaks([dbPath(), `${dbPath()}-wal`], pkcs8)).toBe(false);
  });
});
