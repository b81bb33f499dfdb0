/**
 * Running the service: open the store, make sure the operator token hash and a signing key are in
 * it, listen, and shut down gracefully (stop accepting, finish in-flight requests, close the
 * database). The first line written to stdout is the URL the service listens on.
 */
import { statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import {
  type AccessPolicySet,
  createCedarPolicy,
  loadAccessPolicySet,
  type WatchedPolicySet,
  watchPolicySet,
} from "@baton/policy";
import type { SigningKeyStore, Store } from "@baton/store";
import type { PolicyHook } from "@baton/verifier";
import { type ServerType, serve } from "@hono/node-server";
import pino, { type Logger } from "pino";
import { createApp } from "./app.ts";
import { OPERATOR_TOKEN_SETTING } from "./auth.ts";
import { ConfigError, checkIssuer, defaultKekSource, type ServiceConfig } from "./config.ts";
import { INSPECTOR_PATH } from "./inspector-assets.ts";
import { loadKek } from "./key-encryption.ts";
import { describeLocation, isPostgresUrl, openStore } from "./open-store.ts";
import type { ServiceBindings } from "./openapi.ts";
import { generateOperatorToken, hashSecret } from "./secrets.ts";
import { SigningKeys, sealedKekIds } from "./signing-keys.ts";

/** What {@link prepareStore} did about the operator token and the keys. */
export interface PreparedStore {
  readonly signingKeys: SigningKeys;
  /** A token generated on this start, to be shown once; undefined when one already existed or was configured. */
  readonly generatedOperatorToken: string | undefined;
  /** The key-encryption key file created on this start, if any. */
  readonly createdKekFile: string | undefined;
}

/**
 * Stores the operator token's hash (a configured token replaces the stored one; with none
 * configured and none stored, a fresh token is generated), opens the key-encryption key, and
 * loads or creates the signing key. `store` holds the graph and, behind the key-store port, the
 * signing keys (the SQLite adapter is both). `warn` hears what was fixed on the way (a KEK file others
 * could read, plaintext keys sealed).
 */
export async function prepareStore(
  store: Store & SigningKeyStore,
  config: ServiceConfig,
  now: number,
  warn: (message: string) => void = () => {},
): Promise<PreparedStore> {
  let generatedOperatorToken: string | undefined;
  if (config.operatorToken !== undefined) {
    const hash = hashSecret(config.operatorToken);
    if ((await store.getSetting(OPERATOR_TOKEN_SETTING)) !== hash)
      await store.setSetting(OPERATOR_TOKEN_SETTING, hash, now);
  } else if ((await store.getSetting(OPERATOR_TOKEN_SETTING)) === undefined) {
    generatedOperatorToken = generateOperatorToken();
    await store.setSetting(OPERATOR_TOKEN_SETTING, hashSecret(generatedOperatorToken), now);
  }
  const { kek, created } = loadKek(
    config.kek ?? defaultKekSource(config.db),
    await sealedKekIds(store),
    warn,
  );
  const signingKeys = await SigningKeys.load(store, now, {
    maxTtl: config.maxTtl,
    clockSkew: config.clockSkew,
    kek,
  });
  if (signingKeys.sealedOnLoad > 0) {
    warn(
      `sealed ${signingKeys.sealedOnLoad} plaintext signing key(s) under ${kek.origin}; backups of the database made before now still hold them in plaintext: rotate the signing key (baton keys rotate) and destroy those backups`,
    );
  }
  return { signingKeys, generatedOperatorToken, createdKekFile: created };
}

/**
 * Refuses a database file whose directory does not exist. The store would create the directory
 * and a fresh database with a new operator token, so a mistyped path would start a second, empty
 * service instead of failing. A new file in an existing directory is fine (the first start).
 */
export function checkDatabaseDirectory(db: string): void {
  if (db === ":memory:" || isPostgresUrl(db)) return;
  const dir = dirname(resolve(db));
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new ConfigError(
      "--db / BATON_DB",
      `the directory ${dir} does not exist; if the database belongs there, create it with \`mkdir -p ${dir}\`, otherwise correct the path`,
    );
  }
}

/** A running service. */
export interface RunningServer {
  readonly url: string;
  readonly issuer: string;
  readonly store: Store;
  /** Stops accepting connections, waits for in-flight requests, closes the store. Idempotent. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  /** Where human-readable lines (the URL, a generated token) go. Default: stdout. */
  readonly print?: (line: string) => void;
  readonly logger?: Logger;
  /** Seconds since the epoch. Default: the system clock. */
  readonly clock?: () => number;
  /** How long to wait for in-flight requests on close before cutting connections. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  /**
   * Runtime policy to use instead of the Cedar set in `config.policyDir` (or the shipped default
   * set), e.g. allow-all in tests that are not about policy.
   */
  readonly policy?: PolicyHook;
}

function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * Opens the store and serves the app. Resolves once the server listens; the URL line has been
 * printed by then. Logs (JSON, pino) go to stderr so stdout stays machine-readable.
 */
export async function startServer(
  config: ServiceConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  checkDatabaseDirectory(config.db);
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logger =
    options.logger ??
    pino({ level: config.logLevel, base: { service: "baton-token-service" } }, pino.destination(2));
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  // Policies load before anything else: a bad policy file stops the start with its file and line.
  let watched: WatchedPolicySet | undefined;
  let policy = options.policy;
  if (policy === undefined) {
    watched = watchPolicySet({
      ...(config.policyDir === undefined ? {} : { dir: config.policyDir }),
      zone: config.policyZone ?? "UTC",
      onReload: (set) => logger.info({ policies: set.ids, files: set.files }, "policy set reloaded"),
      onError: (error) =>
        logger.error({ err: error.toJSON() }, "policy set refused; the previous set stays in force"),
    });
    policy = createCedarPolicy(watched);
    logger.info(
      { policies: watched.current().ids, dir: config.policyDir ?? "default", zone: watched.current().zone },
      "policy set loaded",
    );
  }
  let accessPolicy: AccessPolicySet | undefined;
  if (config.authzenPolicyDir !== undefined) {
    const loaded = loadAccessPolicySet(config.authzenPolicyDir);
    if (!loaded.ok) {
      watched?.close();
      throw loaded.error;
    }
    accessPolicy = loaded.value;
    logger.info(
      { policies: accessPolicy.ids, dir: config.authzenPolicyDir },
      "AuthZEN access policy set loaded",
    );
  }
  const warn = (message: string) => logger.warn(message);
  let store: Store & SigningKeyStore;
  try {
    store = await openStore(config.db, { onWarning: warn });
  } catch (error) {
    watched?.close();
    throw error;
  }
  let prepared: PreparedStore;
  try {
    prepared = await prepareStore(store, config, clock(), warn);
    if (prepared.createdKekFile !== undefined) {
      logger.info(
        { kekFile: prepared.createdKekFile },
        "created the key-encryption key file (owner-only); back it up apart from the database",
      );
    }
  } catch (error) {
    await store.close();
    watched?.close();
    throw error;
  }

  // The app needs the issuer, which with port 0 is known only once listening: requests are
  // routed to it through this indirection (none can arrive before listen resolves).
  // `env` carries @hono/node-server's Node request, from which JSON bodies are read (node-body.ts).
  let handler: ((request: Request, env: ServiceBindings) => Response | Promise<Response>) | undefined;
  let server: ServerType | undefined;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const s = serve(
      {
        fetch: (request, env) =>
          handler === undefined ? new Response("starting", { status: 503 }) : handler(request, env),
        hostname: config.host,
        port: config.port,
      },
      (info) => resolve(info),
    );
    s.once("error", reject);
    server = s;
  }).catch(async (error: unknown) => {
    await store.close();
    watched?.close();
    throw error;
  });
  const url = `http://${hostForUrl(config.host)}:${address.port}`;
  const issuer = config.issuer ?? checkIssuer(url);
  const app = createApp({
    store,
    config: { ...config, issuer },
    clock,
    signingKeys: prepared.signingKeys,
    logger,
    policy,
    ...(accessPolicy === undefined ? {} : { accessPolicy: accessPolicy.evaluate }),
  });
  handler = (request, env) => app.fetch(request, env);
  print(url);
  if (prepared.generatedOperatorToken !== undefined) {
    print(`operator token (shown once; only its hash is stored): ${prepared.generatedOperatorToken}`);
  }
  print(`inspector: ${url}${INSPECTOR_PATH} (asks for the operator token)`);
  logger.info(
    { url, issuer, db: describeLocation(config.db), kid: prepared.signingKeys.active().kid },
    "listening",
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const s = server as ServerType;
      const timer = setTimeout(() => {
        // Idle keep-alive sockets would hold close() open forever; in-flight ones had their chance.
        (s as { closeAllConnections?: () => void }).closeAllConnections?.();
      }, options.shutdownTimeoutMs ?? 10_000);
      timer.unref();
      // A keep-alive connection turns idle once its in-flight request is answered; close those
      // as they appear instead of waiting for the keep-alive timeout.
      const closeIdle = () => (s as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      const sweeper = setInterval(closeIdle, 50);
      sweeper.unref();
      s.close(async () => {
        clearTimeout(timer);
        clearInterval(sweeper);
        watched?.close();
        await store.close();
        logger.info("stopped");
        resolve();
      });
      closeIdle();
    });
    return closing;
  };
  return { url, issuer, store, close };
}
