/**
 * `baton keys rotate|list`: the service's signing keys, on the database file. The service has no
 * rotation endpoint yet, so this writes the file directly; a running service keeps signing with
 * the key it loaded until it is restarted.
 */
import { loadConfig, SigningKeys } from "@baton/token-service";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import { isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { formatTable } from "../table.ts";

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
    const config = loadConfig(ctx.io.env, []);
    const store = ctx.openDatabase();
    try {
      const now = ctx.now();
      const previous = store.activeSigningKey()?.kid ?? null;
      const keys = SigningKeys.load(store, now, { maxTtl: config.maxTtl, clockSkew: config.clockSkew });
      const kid = keys.rotate(now);
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
      store.close();
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
    const store = ctx.openDatabase();
    try {
      const keys = store.listSigningKeys().map(({ privateKeyPkcs8: _secret, ...rest }) => rest);
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
      store.close();
    }
  },
};
