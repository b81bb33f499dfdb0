/**
 * The token service for the HTTP figures, run in its own process so the load generator does not
 * share its event loop. Like `startServer`, but a SQLite store is opened with the `synchronous`
 * mode under test (BENCH_SYNC = FULL | NORMAL); a `postgres://` BATON_DB opens the PostgreSQL
 * store (the server's synchronous_commit applies). BATON_ISSUER, when set, is the public URL it
 * answers for (a second instance on the same database takes the first one's). Prints the URL and
 * the durability mode on stdout once listening. Policy is the shipped Cedar set.
 */

import { createCedarPolicy, loadPolicySet } from "@baton/policy";
import { createApp, loadConfig, prepareStore, type ServiceBindings } from "@baton/service";
import { isPostgresUrl, openPostgresStore } from "@baton/store-postgres";
import { openSqliteStore } from "@baton/store-sqlite";
import { serve } from "@hono/node-server";
import pino from "pino";

const synchronous = process.env.BENCH_SYNC === "NORMAL" ? "NORMAL" : "FULL";
const config = loadConfig(process.env, ["--port", "0", "--log-level", "silent"]);
const postgres = isPostgresUrl(config.db);
const store = postgres
  ? await openPostgresStore(config.db)
  : openSqliteStore({ path: config.db, synchronous });
const durability = async () => {
  const health = await store.health();
  return "synchronousCommit" in health ? String(health.synchronousCommit) : String(health.synchronous);
};
const clock = () => Math.floor(Date.now() / 1000);
const { signingKeys } = await prepareStore(store, config, clock());
// The shipped Cedar set, as `startServer` loads it when no policy directory is given: every
// delegation and every verify is decided by it, as in a default deployment.
const policySet = loadPolicySet({ zone: config.policyZone ?? "UTC" });
if (!policySet.ok) throw policySet.error;
const policy = createCedarPolicy(policySet.value);
// `env` carries @hono/node-server's Node request, from which JSON bodies are read (node-body.ts).
let handler: ((request: Request, env: ServiceBindings) => Response | Promise<Response>) | undefined;
const server = serve(
  {
    fetch: (request, env) =>
      handler === undefined ? new Response("starting", { status: 503 }) : handler(request, env),
    hostname: "127.0.0.1",
    port: 0,
  },
  async (info) => {
    const url = `http://127.0.0.1:${info.port}`;
    const app = createApp({
      store,
      config: { ...config, issuer: config.issuer ?? url },
      clock,
      signingKeys,
      policy,
      logger: pino({ level: "silent" }),
    });
    handler = (request, env) => app.fetch(request, env);
    process.stdout.write(`${url} ${await durability()}\n`);
  },
);
process.on("SIGTERM", () => {
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close(async () => {
    await store.close();
    process.exit(0);
  });
});
