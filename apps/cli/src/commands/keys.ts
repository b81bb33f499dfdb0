/**
 * `baton keys rotate|list|rewrap`: the service's signing keys, on the database file. The service
 * has no rotation endpoint yet, so this writes the file directly; a running service keeps signing
 * with the key it loaded until it is restarted. The private keys are sealed under the
 * key-encryption key (KEK, issue 14), found as the service finds it: BATON_KEK, BATON_KEK_FILE, or
 * `<db>.kek`.
 */
import { existsSync, rmSync } from "node:fs";
import {
  type AnyStore,
  defaultKekSource,
  generateKek,
  isPostgresUrl,
  type KeyEncryptionKey,
  loadConfig,
  loadKek,
  readKekFile,
  type ServiceConfig,
  SigningKeys,
  sealedKekIds,
  writeKekFile,
} from "@baton/service";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import type { CommandContext } from "../command-context.ts";
import { isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { formatTable } from "../table.ts";

/** The service's settings for the --db file (the same KEK and lifetimes the service would use). */
function configFor(ctx: CommandContext): ServiceConfig {
  return loadConfig({ ...ctx.io.env, BATON_DB: ctx.databaseLocation() }, []);
}

/** The KEK the database's keys are sealed under, found as the service finds it. */
async function currentKek(
  ctx: CommandContext,
  config: ServiceConfig,
  store: AnyStore,
): Promise<KeyEncryptionKey> {
  const warn = (message: string) => ctx.io.stderr.write(`baton: ${message}\n`);
  return loadKek(config.kek ?? defaultKekSource(config.db), await sealedKekIds(store), warn).kek;
}

export const keysRotate: Command = {
  name: "keys rotate",
  summary: "add a new signing key and retire the active one (--db; restart the service after)",
  usage: "--db <file>",
  options: {},
  help: [
    "The retired key stays in the JWKS until every token it signed has expired (max TTL + clock skew).",
    "A running service must be restarted to sign with the new key.",
  ],
  async run(ctx) {
    if (!ctx.usesDatabase()) {
      throw usageError(
        "the service has no key-rotation endpoint yet: run `baton keys rotate --db <file>` on its database",
      );
    }
    // The same settings the service uses decide how long the retired key stays published.
    const store = await ctx.openDatabase();
    try {
      const config = configFor(ctx);
      const kek = await currentKek(ctx, config, store);
      const now = ctx.now();
      const previous = (await store.activeSigningKey())?.kid ?? null;
      const keys = await SigningKeys.load(store, now, {
        maxTtl: config.maxTtl,
        clockSkew: config.clockSkew,
        kek,
      });
      const kid = await keys.rotate(now);
      const result = { kid, retired: previous, restartRequired: true };
      if (ctx.json) ctx.printJson(result);
      else {
        ctx.print(
          `new signing key ${kid}${previous === null ? "" : `; retired ${previous} (still published until its tokens expire)`}`,
          ctx.style.yellow("restart the service so that it signs with the new key"),
        );
      }
      return EXIT_CODES.ok;
    } finally {
      await store.close();
    }
  },
};

export const keysList: Command = {
  name: "keys list",
  summary: "list the service's signing keys (--db)",
  usage: "--db <file>",
  options: {},
  async run(ctx) {
    if (!ctx.usesDatabase())
      throw usageError("pass --db <file>; the public keys are also at <url>/.well-known/jwks.json");
    const store = await ctx.openDatabase();
    try {
      const keys = (await store.listSigningKeys()).map(({ privateKeyPkcs8: _secret, ...rest }) => rest);
      if (ctx.json) ctx.printJson({ items: keys });
      else {
        ctx.print(
          ...formatTable(
            ["KID", "STATUS", "CREATED", "RETIRED"],
            keys.map((k) => [
              k.kid,
              k.retiredAt === null ? "active" : "retired",
              isoTime(k.createdAt),
              k.retiredAt === null ? "" : isoTime(k.retiredAt),
            ]),
          ),
        );
      }
      return EXIT_CODES.ok;
    } finally {
      await store.close();
    }
  },
};

export const keysRewrap: Command = {
  name: "keys rewrap",
  summary: "re-seal every signing key under a new key-encryption key (--db; restart the service after)",
  usage: "--db <file> --new-kek-file <file>",
  options: { "new-kek-file": { type: "string" } },
  help: [
    "The current KEK is found as the service finds it: BATON_KEK, BATON_KEK_FILE, or <db>.kek.",
    "A --new-kek-file that does not exist is created (owner-only) with a fresh random KEK.",
    "All keys are re-sealed in one transaction. Then stop the service, point BATON_KEK_FILE at the new",
    "file (or move it to <db>.kek), start it, and destroy the old KEK file. Database backups made",
    "before the rewrap still open with the old KEK: destroy them too, or keep that KEK with them.",
  ],
  async run(ctx) {
    if (!ctx.usesDatabase()) throw usageError("pass --db <file>: rewrapping works on the database file");
    const target = ctx.string("new-kek-file");
    if (target === undefined)
      throw usageError("pass --new-kek-file <file>: where the new KEK is (or will be) kept");
    const newPath = ctx.path(target);
    const store = await ctx.openDatabase();
    try {
      const config = configFor(ctx);
      const from = await currentKek(ctx, config, store);
      if (config.kek?.kind === "file" && config.kek.path === newPath)
        throw usageError("--new-kek-file is the current KEK file: name a new file");
      const warn = (message: string) => ctx.io.stderr.write(`baton: ${message}\n`);
      const created = !existsSync(newPath);
      const to = created
        ? generateKek(`--new-kek-file (${newPath})`)
        : readKekFile(newPath, `--new-kek-file (${newPath})`, warn);
      if (to.id === from.id) throw usageError("the new KEK is the current one: name a file with another KEK");
      // The new KEK is on disk before any key is sealed under it; if sealing fails, the old KEK
      // stays in force and the unused new file is removed.
      if (created) writeKekFile(newPath, to);
      let count: number;
      try {
        count = await SigningKeys.rewrap(store, from, to);
      } catch (error) {
        if (created) rmSync(newPath, { force: true });
        throw error;
      }
      const result = {
        keys: count,
        from: from.id,
        to: to.id,
        kekFile: newPath,
        created,
        restartRequired: true,
      };
      if (ctx.json) ctx.printJson(result);
      else {
        ctx.print(
          `re-sealed ${count} signing key(s) under KEK ${to.id} (${newPath}${created ? ", created" : ""})`,
          ctx.style.yellow(
            `restart the service with BATON_KEK_FILE=${newPath}${isPostgresUrl(config.db) ? "" : ` (or move the file to ${config.db}.kek)`}, then destroy the old KEK`,
          ),
        );
      }
      return EXIT_CODES.ok;
    } finally {
      await store.close();
    }
  },
};
