/**
 * Commands that work on the database file alone: auditing the hash-chained decision log
 * (including a row edited behind the store's back) and rotating the signing key.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, startServer } from "@baton/service";
import { openSqliteStore } from "@baton/store-sqlite";
import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton, OPERATOR_TOKEN, tempDir } from "./helpers.ts";

let temp: ReturnType<typeof tempDir> | undefined;
afterEach(() => temp?.remove());

async function seedLog(path: string, rows: number): Promise<void> {
  const store = openSqliteStore({ path });
  for (let i = 0; i < rows; i++) {
    await store.appendDecision({
      at: 1_767_225_600 + i,
      kind: "verify",
      decision: "allow",
      action: "repo.issues.read",
      reasons: [],
    });
  }
  await store.close();
}

describe("audit verify", () => {
  test("verifies an intact log and exits 0", async () => {
    temp = tempDir("baton-audit-");
    const db = join(temp.dir, "log.db");
    await seedLog(db, 5);
    const result = await baton(["audit", "verify", "--db", db, "--json"]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, rows: 5 });
  });

  test("reports the first tampered row and exits 1", async () => {
    temp = tempDir("baton-audit-");
    const db = join(temp.dir, "log.db");
    await seedLog(db, 5);
    // Someone with the file can drop the append-only trigger; the hash chain still catches the edit.
    const raw = new Database(db);
    raw.exec("DROP TRIGGER decisions_append_only_update");
    raw.prepare("UPDATE decisions SET decision = 'deny' WHERE id = 3").run();
    raw.close();
    const json = await baton(["audit", "verify", "--db", db, "--json"]);
    expect(json.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBrokenId: 3, problem: "hash_mismatch" });
    const human = await baton(["audit", "verify", "--db", db]);
    expect(human.code).toBe(EXIT_CODES.failed);
    expect(human.stdout).toContain("row 3");
  });

  test("a head hash other than the one expected fails", async () => {
    temp = tempDir("baton-audit-");
    const db = join(temp.dir, "log.db");
    await seedLog(db, 2);
    const result = await baton(["audit", "verify", "--db", db, "--expect-head", "0".repeat(64)]);
    expect(result.code).toBe(EXIT_CODES.failed);
  });

  test("needs --db", async () => {
    expect((await baton(["audit", "verify"])).code).toBe(EXIT_CODES.usage);
  });
});

describe("keys rotate", () => {
  test("adds an active key and retires the previous one on the database file", async () => {
    temp = tempDir("baton-keys-");
    const db = join(temp.dir, "keys.db");
    await openSqliteStore({ path: db }).close();
    const first = await baton(["keys", "rotate", "--db", db, "--json"]);
    expect(first.code).toBe(EXIT_CODES.ok);
    const second = JSON.parse((await baton(["keys", "rotate", "--db", db, "--json"])).stdout);
    expect(second).toMatchObject({ retired: expect.any(String), restartRequired: true });
    const keys = JSON.parse((await baton(["keys", "list", "--db", db, "--json"])).stdout).items as {
      kid: string;
      retiredAt: number | null;
      privateKeyPkcs8?: string;
    }[];
    expect(keys.filter((k) => k.retiredAt === null).map((k) => k.kid)).toEqual([second.kid]);
    expect(keys.some((k) => k.kid === second.retired && k.retiredAt !== null)).toBe(true);
    expect(keys.every((k) => k.privateKeyPkcs8 === undefined)).toBe(true);
  });

  test("is refused without --db, since the service has no rotation endpoint", async () => {
    expect((await baton(["keys", "rotate"])).code).toBe(EXIT_CODES.usage);
  });
});

/** @see issue 14 (keys at rest: KEK rotation) */
describe("keys rewrap", () => {
  async function jwksKids(db: string, env: Record<string, string> = {}): Promise<string[]> {
    const config = loadConfig(
      { BATON_DB: db, BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent", ...env },
      ["--port", "0"],
    );
    const service = await startServer(config, { print: () => {} });
    try {
      const jwks = (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      return jwks.keys.map((key) => key.kid);
    } finally {
      await service.close();
    }
  }

  test("re-seals every key under a new KEK file; the service then starts with it, and no longer with the old one", async () => {
    temp = tempDir("baton-rewrap-");
    const db = join(temp.dir, "baton.db");
    const kids = await jwksKids(db);
    expect((await baton(["keys", "rotate", "--db", db])).code).toBe(EXIT_CODES.ok);
    const oldKek = readFileSync(`${db}.kek`, "utf8");
    const newKek = join(temp.dir, "new.kek");

    const result = await baton(["keys", "rewrap", "--db", db, "--new-kek-file", newKek, "--json"]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ keys: 2, created: true, restartRequired: true });
    expect(statSync(newKek).mode & 0o777).toBe(0o600);
    const store = openSqliteStore({ path: db });
    const newId = JSON.parse(result.stdout).to as string;
    expect((await store.listSigningKeys()).every((k) => k.privateKeyPkcs8.startsWith(`kek1:${newId}:`))).toBe(
      true,
    );
    await store.close();

    const after = await jwksKids(db, { BATON_KEK_FILE: newKek });
    expect(after).toEqual(expect.arrayContaining(kids));
    expect(after).toHaveLength(2);

    // The old KEK file beside the database no longer opens the keys: a named startup error.
    expect(readFileSync(`${db}.kek`, "utf8")).toBe(oldKek);
    const refused = await baton(["serve", "--db", db, "--port", "0"], {
      env: { BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
    });
    expect(refused.code).toBe(EXIT_CODES.usage);
    expect(refused.stderr).toContain(`${db}.kek`);
    expect(refused.stderr).toContain("kek");
  });

  test("refuses without --new-kek-file, and with the current KEK file as the new one", async () => {
    temp = tempDir("baton-rewrap-");
    const db = join(temp.dir, "baton.db");
    await jwksKids(db);
    expect((await baton(["keys", "rewrap", "--db", db])).code).toBe(EXIT_CODES.usage);
    const same = await baton(["keys", "rewrap", "--db", db, "--new-kek-file", `${db}.kek`], {
      env: { BATON_KEK_FILE: `${db}.kek` },
    });
    expect(same.code).toBe(EXIT_CODES.usage);
    expect(existsSync(`${db}.kek`)).toBe(true);
  });

  test("serve with a wrong BATON_KEK exits 2 naming BATON_KEK", async () => {
    temp = tempDir("baton-rewrap-");
    const db = join(temp.dir, "baton.db");
    await jwksKids(db);
    const result = await baton(["serve", "--db", db, "--port", "0"], {
      env: { BATON_KEK: "A".repeat(43), BATON_LOG_LEVEL: "silent", BATON_OPERATOR_TOKEN: OPERATOR_TOKEN },
    });
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain("BATON_KEK");
    expect(result.stderr).not.toContain("internal error");
  });
});
