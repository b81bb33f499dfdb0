/**
 * The `node:http` glue (issue 16), over real HTTP on loopback: a request reaches the fetch gate as
 * a `Request` with its target and headers as sent, its body untouched until read, and a target
 * that URL parsing would change is answered 400 rather than gated under another path.
 */
import { createServer, request as httpRequest, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createFetchGate } from "../src/fetch.ts";
import { sendResponse, toNodeListener, toRequest } from "../src/node.ts";
import { alice, carol, makeProof, makeVerifier, mintChain, NOW } from "./fixtures.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener).listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Sends exactly this request line and these headers (repeated ones as arrays). */
function send(
  origin: string,
  options: { method?: string; path: string; headers?: Record<string, string | string[]>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${origin}/`,
      { method: options.method ?? "GET", path: options.path, headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("toNodeListener with the fetch gate", () => {
  async function startTool() {
    let origin = "";
    const gate = createFetchGate({
      verifier: makeVerifier(),
      audience: "repo-tool",
      publicOrigin: "http://127.0.0.1:1",
    });
    const url = await listen((incoming, outgoing) =>
      toNodeListener(async (request) => {
        const decision = await gate(request, {
          action: "repo.issues.create",
          resource: "repo:acme/web/issues",
        });
        return decision instanceof Response ? decision : Response.json({ by: decision.actor.agent });
      }, origin)(incoming, outgoing),
    );
    origin = url;
    return url;
  }

  it("lets a signed call through and answers a refused one with problem+json and its challenge", async () => {
    const origin = await startTool();
    const chain = mintChain(
      { holder: alice },
      { holder: carol, cap: [{ act: "repo.issues.*", res: "repo:acme/**" }] },
    );
    // The gate was told its public origin is http://127.0.0.1:1: the proof names that origin.
    const proof = makeProof({
      key: carol,
      chain: chain.chain,
      method: "POST",
      url: "http://127.0.0.1:1/repos/acme/web/issues",
      iat: NOW,
    });
    const allowed = await send(origin, {
      method: "POST",
      path: "/repos/acme/web/issues",
      headers: { authorization: `DPoP ${chain.chain}`, dpop: proof },
    });
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body)).toEqual({ by: carol.id });

    const bare = await send(origin, { method: "POST", path: "/repos/acme/web/issues" });
    expect(bare.status).toBe(401);
    expect(bare.headers["www-authenticate"]).toBe('DPoP algs="Ed25519 EdDSA"');
    expect(bare.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(bare.body)).toMatchObject({ code: "malformed", decision: "deny" });
  });

  it("keeps two Authorization headers as two, so no chain is taken from either", async () => {
    const origin = await startTool();
    const chain = mintChain(
      { holder: alice },
      { holder: carol, cap: [{ act: "repo.issues.*", res: "repo:acme/**" }] },
    );
    const proof = makeProof({
      key: carol,
      chain: chain.chain,
      method: "POST",
      url: "http://127.0.0.1:1/repos/acme/web/issues",
      iat: NOW,
    });
    const response = await send(origin, {
      method: "POST",
      path: "/repos/acme/web/issues",
      headers: { authorization: [`DPoP ${chain.chain}`, `DPoP ${chain.chain}`], dpop: proof },
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ code: "malformed" });
  });

  /** @see issue 17 */
  it("refuses a chain sent as Bearer, and two DPoP headers, with 401 and a DPoP challenge", async () => {
    const origin = await startTool();
    const chain = mintChain(
      { holder: alice },
      { holder: carol, cap: [{ act: "repo.issues.*", res: "repo:acme/**" }] },
    );
    const proof = () =>
      makeProof({
        key: carol,
        chain: chain.chain,
        method: "POST",
        url: "http://127.0.0.1:1/repos/acme/web/issues",
        iat: NOW,
      });
    const bearer = await send(origin, {
      method: "POST",
      path: "/repos/acme/web/issues",
      headers: { authorization: `Bearer ${chain.chain}`, dpop: proof() },
    });
    expect(bearer.status).toBe(401);
    expect(bearer.headers["www-authenticate"]).toBe(
      'DPoP error="invalid_dpop_proof", error_description="pop_missing", algs="Ed25519 EdDSA"',
    );
    expect(JSON.parse(bearer.body)).toMatchObject({ code: "pop_missing" });
    const twoProofs = await send(origin, {
      method: "POST",
      path: "/repos/acme/web/issues",
      headers: { authorization: `DPoP ${chain.chain}`, dpop: [proof(), proof()] },
    });
    expect(twoProofs.status).toBe(401);
    expect(JSON.parse(twoProofs.body)).toMatchObject({ code: "pop_invalid" });
  });

  it("answers 400, without gating, a target that URL parsing would turn into another path", async () => {
    const origin = await startTool();
    for (const path of ["/repos/acme/api/../web/issues", "/repos/acme/%2e%2e/web/issues"]) {
      expect((await send(origin, { method: "POST", path })).status, path).toBe(400);
    }
  });
});

describe("toRequest and sendResponse", () => {
  it("leaves the body unread until the Request's body is read, so a body parser after the gate still gets it", async () => {
    const seen: string[] = [];
    const origin = await listen(async (incoming, outgoing) => {
      const request = toRequest(incoming, "https://tools.test");
      if (incoming.url === "/raw") {
        // Nothing read it through the Request: the IncomingMessage still has all of it.
        const chunks: Buffer[] = [];
        for await (const chunk of incoming) chunks.push(chunk as Buffer);
        seen.push(Buffer.concat(chunks).toString());
      } else {
        seen.push(JSON.stringify(await request.json()));
      }
      seen.push(request.url);
      outgoing.end();
    });
    await send(origin, { method: "POST", path: "/raw", body: '{"a":1}' });
    await send(origin, { method: "POST", path: "/json?x=1", body: '{"b":2}' });
    expect(seen).toEqual(['{"a":1}', "https://tools.test/raw", '{"b":2}', "https://tools.test/json?x=1"]);
  });

  it("keeps a target starting with // as a path on the configured origin, never another host", async () => {
    const urls: string[] = [];
    const origin = await listen((incoming, outgoing) => {
      urls.push(toRequest(incoming, "https://tools.test").url);
      outgoing.end();
    });
    await send(origin, { path: "//evil.example/repos?x=1" });
    expect(urls).toEqual(["https://tools.test//evil.example/repos?x=1"]);
  });

  it("writes the Response's status, repeated Set-Cookie headers and body", async () => {
    const origin = await listen((_incoming, outgoing) => {
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      void sendResponse(new Response("hello", { status: 201, headers }), outgoing);
    });
    const response = await send(origin, { path: "/" });
    expect(response.status).toBe(201);
    expect(response.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(response.body).toBe("hello");
  });
});
