/**
 * A small tool server for the demo: a Hono app on loopback with a Baton gate on each route,
 * the service's JWKS and revocation feed followed over HTTP, and decisions reported back to the
 * service. Its clock is the demo's, so "time passes" for the tool server as for everyone else.
 */
import type { AddressInfo } from "node:net";
import {
  createVerifier,
  type DecisionSink,
  followRevocationFeed,
  httpDecisionSink,
  type RevocationFeed,
  remoteJwks,
} from "@baton/verifier";
import { createHonoGate, type HonoGate } from "@baton/verifier/hono";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";

/** What the demo needs to know to start a tool server. */
export interface DemoToolServerOptions {
  readonly audience: string;
  readonly serviceUrl: string;
  readonly issuer: string;
  readonly audienceSecret: string;
  /** Seconds since the epoch: the demo clock. */
  readonly clock: () => number;
  /** Registers the tool's routes, each behind `baton({action, resource})`. */
  readonly routes: (app: Hono, baton: HonoGate) => void;
}

/** A running demo tool server. */
export interface DemoToolServer {
  readonly url: string;
  readonly feed: RevocationFeed;
  readonly sink: DecisionSink;
  close(): Promise<void>;
}

/** Starts a tool server on 127.0.0.1 with a free port. */
export async function startDemoToolServer(options: DemoToolServerOptions): Promise<DemoToolServer> {
  const msClock = () => options.clock() * 1000;
  const keys = remoteJwks({ url: `${options.serviceUrl}/.well-known/jwks.json`, clock: msClock });
  await keys.ready();
  const feed = followRevocationFeed({ url: `${options.serviceUrl}/v1/revocations`, clock: msClock });
  await feed.syncOnce();
  // Reports are flushed by the demo before it prints the trace, not on a timer.
  const sink = httpDecisionSink({
    url: `${options.serviceUrl}/v1/decisions`,
    audienceSecret: options.audienceSecret,
    flushIntervalMs: 3_600_000,
  });
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: options.audience,
    keys,
    revocations: feed,
    maxStalenessSeconds: 3600,
    clock: options.clock,
  });
  // The port is chosen at listen time, and the gate needs its public origin when it is
  // built: listen first, then build the app the server hands requests to.
  let app: Hono | undefined;
  const { server, url } = await new Promise<{ server: ServerType; url: string }>((resolve, reject) => {
    const s = serve(
      {
        fetch: (request) => app?.fetch(request) ?? new Response(null, { status: 503 }),
        hostname: "127.0.0.1",
        port: 0,
      },
      (info: AddressInfo) => resolve({ server: s, url: `http://127.0.0.1:${info.port}` }),
    );
    s.once("error", reject);
  });
  const baton = createHonoGate({ verifier, audience: options.audience, publicOrigin: url, sink });
  app = new Hono();
  options.routes(app, baton);
  app.notFound(baton.unmapped);
  return {
    url,
    feed,
    sink,
    async close() {
      await sink.close();
      await new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
