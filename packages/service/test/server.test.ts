import { generateKeyPairSync, type KeyPairKeyObjectResult } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, type SqliteStore } from "@baton/store-sqlite";
import { jwkThumbprint } from "@baton/token";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { generateKek } from "../src/key-encryption.ts";
import { startServer } from "../src/server.ts";
import { KID_LENGTH, SigningKeys } from "../src/signing-keys.ts";

const silent = pino({ level: "silent" });

describe("startServer", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "baton-server-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("prints the URL first, generates an operator token once, and keeps the signing key across restarts", async () => {
    const config = loadConfig({ BATON_DB: join(dir, "baton.db") }, ["--port", "0"]);
    const lines: string[] = [];
    const first = await startServer(config, { print: (line) => lines.push(line), logger: silent });
    expect(lines[0]).toBe(first.url);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = /operator token .*: (\S+)$/.exec(lines[1] ?? "")?.[1] ?? "";
    expect(token).not.toBe("");
    expect(lines[2]).toBe(`inspector: ${first.url}/inspect (asks for the operator token)`);
    const jwks1 = (await (await fetch(`${first.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const authorized = await fetch(`${first.url}/v1/approvals`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(authorized.status).toBe(200);
    await first.close();

    const again: string[] = [];
    const second = await startServer(config, { print: (line) => again.push(line), logger: silent });
    expect(again).toEqual([second.url, `inspector: ${second.url}/inspect (asks for the operator token)`]);
    const jwks2 = (await (await fetch(`${second.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks2.keys.map((key) => key.kid)).toEqual(jwks1.keys.map((key) => key.kid));
    expect(
      (await fetch(`${second.url}/v1/approvals`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    await second.close();
  });

  test("refuses a database path whose directory does not exist, creating nothing, and says how to create it", async () => {
    const missing = join(dir, "typo", "dir");
    const config = loadConfig({ BATON_DB: join(missing, "x.db") }, ["--port", "0"]);
    const lines: string[] = [];
    const started = startServer(config, { print: (line) => lines.push(line), logger: silent });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(`the directory ${missing} does not exist`);
    await expect(started).rejects.toThrow(`mkdir -p ${missing}`);
    expect(existsSync(join(dir, "typo"))).toBe(false);
    expect(lines).toEqual([]);
  });

  test("refuses to start with an AuthZEN access policy set that does not load, naming the file", async () => {
    const policies = join(dir, "authzen");
    mkdirSync(policies);
    writeFileSync(join(policies, "broken.cedar"), "permit (principal, action, resource);");
    const config = loadConfig({ BATON_DB: join(dir, "x.db"), BATON_AUTHZEN_POLICY_DIR: policies }, [
      "--port",
      "0",
    ]);
    const lines: string[] = [];
    const started = startServer(config, { print: (line) => lines.push(line), logger: silent });
    await expect(started).rejects.toMatchObject({
      code: "policy_id_missing",
      file: join(policies, "broken.cedar"),
    });
    expect(lines).toEqual([]);
  });

  test("creates a new database file in a directory that exists", async () => {
    const config = loadConfig({ BATON_DB: join(dir, "fresh.db") }, ["--port", "0"]);
    const server = await startServer(config, { print: () => {}, logger: silent });
    expect(existsSync(join(dir, "fresh.db"))).toBe(true);
    await server.close();
  });

  test("refuses a request that carries two Authorization headers, even when both are the operator token (400)", async () => {
    const operator = "o".repeat(32);
    const config = loadConfig({ BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: operator }, [
      "--port",
      "0",
    ]);
    const server = await startServer(config, { print: () => {}, logger: silent });
    const statusWith = (authorization: string[]) =>
      new Promise<number>((resolve, reject) => {
        // Raw header pairs, so node sends the header twice instead of joining it (and no default Host).
        const host = new URL(server.url).host;
        const headers = ["host", host, ...authorization.flatMap((value) => ["authorization", value])];
        const request = httpRequest(`${server.url}/v1/approvals`, { headers });
        request.on("response", (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.end();
      });
    try {
      expect(await statusWith([`Bearer ${operator}`])).toBe(200);
      expect(await statusWith([`bEaReR ${operator}`])).toBe(200);
      expect(await statusWith([`Bearer ${operator}`, `Bearer ${operator}`])).toBe(400);
      expect(await statusWith([`Bearer ${operator}, Bearer ${operator}`])).toBe(400);
    } finally {
      await server.close();
    }
  });

  test("finishes an in-flight request before closing the database", async () => {
    const config = loadConfig({ BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: "o".repeat(32) }, [
      "--port",
      "0",
    ]);
    const server = await startServer(config, { print: () => {}, logger: silent });
    const body = JSON.stringify({ id: "slow-tool" });
    const status = new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${server.url}/v1/audiences`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${"o".repeat(32)}`,
          "content-type": "application/json",
          "content-length": body.length,
        },
      });
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      // Send half the body, start the shutdown while the request is in flight, then finish it.
      request.write(body.slice(0, 5), () => {
        setTimeout(() => {
          closed = server.close();
          setTimeout(() => request.end(body.slice(5)), 50);
        }, 50);
      });
    });
    let closed: Promise<void> | undefined;
    expect(await status).toBe(201);
    await closed;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const store = openSqliteStore({ path: config.db });
    expect(await store.getAudience("slow-tool")).toBeDefined();
    await store.close();
  });
});

describe("SigningKeys", () => {
  test("rotation keeps the retired key in the JWKS until every token it signed has expired", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-keys-"));
    const store = openSqliteStore({ path: join(dir, "keys.db") });
    try {
      const keys = await SigningKeys.load(store, 1000, {
        maxTtl: 3600,
        clockSkew: 30,
        kek: generateKek("test KEK"),
      });
      const oldKid = keys.active().kid;
      const newKid = await keys.rotate(2000);
      expect(newKid).not.toBe(oldKid);
      expect(keys.active().kid).toBe(newKid);
      expect(
        keys
          .jwks(2000 + 3600)
          .keys.map((key) => key.kid)
          .sort(),
      ).toEqual([oldKid, newKid].sort());
      expect(keys.resolve(oldKid, 2000 + 3600)).toBeDefined();
      expect(keys.jwks(2000 + 3630).keys.map((key) => key.kid)).toEqual([newKid]);
      expect(keys.resolve(oldKid, 2000 + 3630)).toBeUndefined();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Opens a store in a fresh directory for `run`, then closes and removes it. */
  async function withStore(run: (store: SqliteStore) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "baton-keys-"));
    const store = openSqliteStore({ path: join(dir, "keys.db") });
    try {
      await run(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const thumbprintOf = (pair: KeyPairKeyObjectResult) =>
    jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: pair.publicKey.export({ format: "jwk" }).x as string });

  /** @see issue 17: the kid rides in the header of every hop, so it is short. */
  test("gives a new key a kid of 4 characters, the start of its RFC 7638 thumbprint", async () => {
    await withStore(async (store) => {
      const pair = generateKeyPairSync("ed25519");
      const keys = await SigningKeys.load(store, 1000, {
        maxTtl: 3600,
        clockSkew: 30,
        kek: generateKek("test KEK"),
        newKeyPair: () => pair,
      });
      expect(KID_LENGTH).toBe(4);
      expect(keys.active().kid).toBe(thumbprintOf(pair).slice(0, KID_LENGTH));
      expect(keys.jwks(1000).keys).toEqual([
        expect.objectContaining({ kid: keys.active().kid, alg: "Ed25519", use: "sig" }),
      ]);
    });
  });

  /** @see issue 17 */
  test("never gives a new key a kid that a stored key already has", async () => {
    await withStore(async (store) => {
      const first = generateKeyPairSync("ed25519");
      const second = generateKeyPairSync("ed25519");
      // The second key pair offered repeats the first: its kid is taken, so a fresh one is used.
      const offered = [first, first, second];
      const keys = await SigningKeys.load(store, 1000, {
        maxTtl: 3600,
        clockSkew: 30,
        kek: generateKek("test KEK"),
        newKeyPair: () => offered.shift() ?? generateKeyPairSync("ed25519"),
      });
      const rotated = await keys.rotate(2000);
      expect(rotated).toBe(thumbprintOf(second).slice(0, KID_LENGTH));
      expect((await store.listSigningKeys()).map((key) => key.kid).sort()).toEqual(
        [thumbprintOf(first).slice(0, KID_LENGTH), rotated].sort(),
      );
    });
  });

  /** @see issue 17: a store from before RFC 9864 holds a long kid and a JWK saying EdDSA. */
  test("keeps signing with a stored key whose JWK says EdDSA and whose kid is its full thumbprint", async () => {
    await withStore(async (store) => {
      const pair = generateKeyPairSync("ed25519");
      const x = pair.publicKey.export({ format: "jwk" }).x as string;
      const kid = thumbprintOf(pair);
      const publicJwk = { kty: "OKP", crv: "Ed25519", x, kid, alg: "Ed25519", use: "sig" } as const;
      const pkcs8 = pair.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
      await store.addSigningKey({ kid, publicJwk, privateKeyPkcs8: pkcs8, createdAt: 500 });
      store.database
        .prepare("update signing_keys set public_jwk = ? where kid = ?")
        .run(JSON.stringify({ ...publicJwk, alg: "EdDSA" }), kid);

      const keys = await SigningKeys.load(store, 1000, {
        maxTtl: 3600,
        clockSkew: 30,
        kek: generateKek("test KEK"),
      });
      expect(keys.active().kid).toBe(kid);
      expect(kid.length).toBe(43);
      expect(keys.jwks(1000).keys).toEqual([publicJwk]);
      expect(keys.resolve(kid, 1000)).toBeDefined();
    });
  });
});
