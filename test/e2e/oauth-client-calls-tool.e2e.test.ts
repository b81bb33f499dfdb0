/**
 * Interop (issue 17, "Done when"): a client that knows only RFC 8414, RFC 8693 and RFC 9449 (the
 * openid-client library, v6) obtains a hop from Baton and calls a Baton-guarded tool with it. The
 * planner exchanges its chain for a hop to a worker at `POST /oauth/token`; the worker presents
 * the returned access token the way any DPoP client does (`Authorization: DPoP <token>` plus a
 * fresh proof with `ath`, from openid-client's `fetchProtectedResource`) to a Hono tool server
 * whose gate verifies every hop. Everything runs for real on loopback: the service on a SQLite
 * file, the tool server with @hono/node-server, the verifier on the service's JWKS and feed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatonOperator } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { createHonoGate } from "@baton/verifier/hono";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import {
  allowInsecureRequests,
  type Configuration,
  discovery,
  fetchProtectedResource,
  genericGrantRequest,
  getDPoPHandle,
  None,
  WWWAuthenticateChallengeError,
} from "openid-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "interop-operator-token-0123456789abcdef";
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const CHAIN_TYPE = "urn:baton:token-type:chain";

async function webCryptoKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
}

async function publicJwkOf(pair: CryptoKeyPair): Promise<{ kty: "OKP"; crv: "Ed25519"; x: string }> {
  const { x } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { kty: "OKP", crv: "Ed25519", x: x as string };
}

/** A refusal as openid-client parses it from the tool server's WWW-Authenticate challenge. */
async function challengeOf(request: Promise<Response>) {
  const error = await request.then(
    (response) => new Error(`expected a challenge, got ${response.status}`),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WWWAuthenticateChallengeError);
  const { status, cause } = error as WWWAuthenticateChallengeError;
  const [challenge] = cause;
  return {
    status,
    scheme: challenge?.scheme,
    error: challenge?.parameters.error,
    code: challenge?.parameters.error_description,
    algs: challenge?.parameters.algs,
  };
}

/** openid-client's view of Baton for one agent (its agent id as the client id). */
function discover(issuer: string, agent: string): Promise<Configuration> {
  return discovery(new URL(issuer), agent, undefined, None(), {
    algorithm: "oauth2",
    execute: [allowInsecureRequests],
  });
}

describe("an OAuth client obtains a hop by token exchange and calls a Baton-guarded tool with it", () => {
  let dir: string;
  let service: RunningServer;
  let tool: ServerType;
  let toolOrigin: string;
  let stopFeed: () => void;
  let plannerKeys: CryptoKeyPair;
  let workerKeys: CryptoKeyPair;
  let plannerChain: string;
  let workerChain: string;
  let worker: Configuration;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-oauth-tool-"));
    service = await startServer(
      loadConfig(
        { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
        ["--port", "0"],
      ),
      { print: () => {} },
    );
    const operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    plannerKeys = await webCryptoKeyPair();
    workerKeys = await webCryptoKeyPair();
    await operator.registerAgent({ id: "agent:planner", jwk: await publicJwkOf(plannerKeys) });
    await operator.registerAgent({ id: "agent:worker", jwk: await publicJwkOf(workerKeys) });
    await operator.registerAudience({ id: "repo-tool" });
    plannerChain = (
      await operator.grant({
        agent: "agent:planner",
        task: { intent: "triage the issues" },
        cap: [{ act: "repo.issues.*", res: "repo:acme/**" }],
        aud: ["repo-tool"],
        ttl: 3600,
        mdp: 1,
      })
    ).chain;

    // The tool server: a Hono app whose gate re-authorizes every hop on each call.
    const keys = remoteJwks({ url: `${service.url}/.well-known/jwks.json` });
    await keys.ready();
    const revocations = followRevocationFeed({ url: `${service.url}/v1/revocations`, pollIntervalMs: 100 });
    await revocations.syncOnce();
    revocations.start();
    stopFeed = () => revocations.stop();
    const verifier = createVerifier({
      issuer: service.issuer,
      audience: "repo-tool",
      keys,
      revocations,
      maxStalenessSeconds: 30,
    });
    const app = new Hono();
    tool = await new Promise<ServerType>((resolve) => {
      const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(server));
    });
    toolOrigin = `http://127.0.0.1:${(tool.address() as AddressInfo).port}`;
    const baton = createHonoGate({ verifier, audience: "repo-tool", publicOrigin: toolOrigin });
    app.get(
      "/repos/:owner/:repo/issues",
      baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" }),
      (c) => c.json({ issues: [], by: c.get("baton").actor.agent }),
    );
    app.post(
      "/repos/:owner/:repo/issues",
      baton({ action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" }),
      (c) => c.json({ created: true }, 201),
    );

    // The planner hands the worker a read-only hop through the standard token endpoint.
    const planner = await discover(service.issuer, "agent:planner");
    const exchanged = await genericGrantRequest(
      planner,
      TOKEN_EXCHANGE,
      new URLSearchParams([
        ["subject_token", plannerChain],
        ["subject_token_type", CHAIN_TYPE],
        ["actor", "agent:worker"],
        ["scope", "repo.issues.read=repo:acme/web/**"],
        ["audience", "repo-tool"],
        ["ttl", "600"],
      ]),
      { DPoP: getDPoPHandle(planner, plannerKeys) },
    );
    expect(exchanged.token_type).toBe("dpop");
    workerChain = exchanged.access_token;
    worker = await discover(service.issuer, "agent:worker");
  });

  afterAll(async () => {
    stopFeed?.();
    await new Promise<void>((resolve) => (tool ? tool.close(() => resolve()) : resolve()));
    await service?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function call(method: string, path: string, chain = workerChain, keys = workerKeys): Promise<Response> {
    return fetchProtectedResource(
      worker,
      chain,
      new URL(`${toolOrigin}${path}`),
      method,
      method === "GET" ? undefined : JSON.stringify({ title: "x" }),
      new Headers(method === "GET" ? {} : { "content-type": "application/json" }),
      { DPoP: getDPoPHandle(worker, keys) },
    );
  }

  test("is allowed a call inside the hop, as the worker, with the standard DPoP scheme", async () => {
    const response = await call("GET", "/repos/acme/web/issues");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ issues: [], by: "agent:worker" });
  });

  test("is refused an action the hop narrowed away: 403 with a DPoP insufficient_scope challenge", async () => {
    expect(await challengeOf(call("POST", "/repos/acme/web/issues"))).toEqual({
      status: 403,
      scheme: "dpop",
      error: "insufficient_scope",
      code: "action_not_permitted",
      algs: "Ed25519 EdDSA",
    });
  });

  test("is refused a resource outside the hop even though the planner's own chain covers it", async () => {
    expect(await challengeOf(call("GET", "/repos/acme/api/issues"))).toMatchObject({
      status: 403,
      error: "insufficient_scope",
      code: "action_not_permitted",
    });
  });

  test("cannot use the planner's chain with the worker's key: the proof is bound to the leaf holder", async () => {
    expect(await challengeOf(call("GET", "/repos/acme/web/issues", plannerChain, workerKeys))).toMatchObject({
      status: 401,
      scheme: "dpop",
      code: "pop_binding_mismatch",
      algs: "Ed25519 EdDSA",
    });
  });

  test("refuses the same access token sent as a Bearer token, with a DPoP challenge", async () => {
    const response = await fetch(`${toolOrigin}/repos/acme/web/issues`, {
      headers: { authorization: `Bearer ${workerChain}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^DPoP /);
    expect(response.headers.get("www-authenticate")).toContain('error_description="pop_missing"');
  });
});
