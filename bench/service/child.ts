/**
 * The token service for the HTTP figures, run in its own process so the load generator does not
 * share its event loop. Like `startServer`, but the store is opened with the `synchronous` mode
 * under test (BENCH_SYNC = FULL | NORMAL). Prints the URL on stdout once listening.
 */

import { createApp, loadConfig, prepareStore } from "@baton/service";
import { openSqliteStore } from "@baton/store-sqlite";
import { serve } from "@hono/node-server";
import pino from "pino";

const synchronous = process.env.BENCH_SYNC === "NORMAL" ? "NORMAL" : "FULL";
const config = loadConfig(process.env, ["--port", "0", "--log-level", "silent"]);
const store = openSqliteStore({ path: config.db, synchronous });
const clock = () => Math.floor(Date.now() / 1000);
const { signingKeys } = await prepareStore(store, config, clock());
let handler: ((request: Request) => Response | Promise<Response>) | undefined;
const server = serve(
  {
    fetch: (request) =>
      handler === undefined ? new Response("starting", { status: 503 }) : handler(request),
    hostname: "127.0.0.1",
    port: 0,
  },
  async (info) => {
    const url = `http://127.0.0.1:${info.port}`;
    const app = createApp({
      store,
      config: { ...config, issuer: url },
      clock,
      signingKeys,
      logger: pino({ level: "silent" }),
    });
    handler = (request) => app.fetch(request);
    process.stdout.write(`${url} ${(await store.health()).synchronous}\n`);
  },
);
process.on("SIGTERM", () => {
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close(async () => {
    await store.close();
    process.exit(0);
  });
});
