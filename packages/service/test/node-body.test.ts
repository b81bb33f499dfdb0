/**
 * JSON bodies read straight from Node's request (node-body.ts) over real HTTP on loopback,
 * against the same app called in-process with `app.request`, where Hono reads the body from a
 * WHATWG Request: both paths must answer every body alike, keep the limits and survive a client
 * that hangs up mid-body.
 */
import { request as httpRequest } from "node:http";
import { connect as connectHttp2, createServer as createHttp2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { AgentKeyPair } from "@baton/client";
import { fc, test } from "@fast-check/vitest";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { takeNodeJsonBody } from "../src/node-body.ts";
import type { ServiceBindings } from "../src/openapi.ts";
import { MAX_BODY_BYTES } from "../src/schemas.ts";
import { createHarness, type Harness, OPERATOR_TOKEN, ORIGIN } from "./harness.ts";

let h: Harness;
let server: ServerType;
let base: string;

beforeAll(async () => {
  h = await createHarness();
  base = await new Promise<string>((resolve) => {
    server = serve(
      { fetch: (request, env) => h.app.fetch(request, env), hostname: "127.0.0.1", port: 0 },
      (info) => resolve(`http://127.0.0.1:${(info as AddressInfo).port}`),
    );
  });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly requestId: string | undefined;
}

/** A request over HTTP with exactly these bytes and headers (no body framing added but theirs). */
function rawPost(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            requestId: response.headers["x-request-id"] as string | undefined,
          }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const operatorJson = (length: number) => ({
  authorization: `Bearer ${OPERATOR_TOKEN}`,
  "content-type": "application/json",
  "content-length": String(length),
});

/** The same call in-process, where the body goes through a WHATWG Request and `bodyLimit`. */
async function inProcess(path: string, body: Uint8Array<ArrayBuffer>): Promise<Answer> {
  const response = await h.app.request(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, "content-type": "application/json" },
    body,
  });
  return {
    status: response.status,
    body: await response.text(),
    requestId: response.headers.get("x-request-id") ?? undefined,
  };
}

/** A problem answer without its per-request id, for comparing two calls. */
const comparable = (answer: Answer) => ({
  status: answer.status,
  body: answer.body.replace(/"urn:baton:request:[^"]*"/, ""),
});

const bytes = (text: string) => new TextEncoder().encode(text);

describe("JSON bodies read from Node's request", () => {
  test("an agent registers over HTTP, and the answer carries its request id", async () => {
    const key = await AgentKeyPair.generate();
    const body = JSON.stringify({ id: "agent:over-http", jwk: key.publicJwk });
    const answer = await rawPost("/v1/agents", body, {
      ...operatorJson(Buffer.byteLength(body)),
      "x-request-id": "req-http-1",
    });
    expect(answer.status).toBe(201);
    expect(answer.requestId).toBe("req-http-1");
    expect(await h.store.getAgent("agent:over-http")).toBeDefined();
  });

  test.each([
    ["a leading byte order mark, which fetch's json() drops", '\uFEFF{"id":5}'],
    ["malformed JSON", '{"id":'],
    ["an empty body", ""],
    ["a JSON string, not an object", '"agent"'],
    ["a duplicate key", '{"id":"agent:a","id":7}'],
  ])("answers %s exactly as the in-process path does", async (_name, text) => {
    const body = bytes(text);
    const overHttp = await rawPost("/v1/agents", body, operatorJson(body.length));
    expect(comparable(overHttp)).toEqual(comparable(await inProcess("/v1/agents", body)));
    expect(overHttp.status).toBe(400);
    expect(overHttp.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("answers a body with bytes that are not UTF-8 exactly as the in-process path does", async () => {
    const body = new Uint8Array([...bytes('{"id":"agent:'), 0xff, 0xfe, ...bytes('x"}')]);
    const overHttp = await rawPost("/v1/agents", body, operatorJson(body.length));
    expect(comparable(overHttp)).toEqual(comparable(await inProcess("/v1/agents", body)));
  });

  test.prop([fc.json({ maxDepth: 3 })], { numRuns: 40 })(
    "answers any JSON body as the in-process path does",
    async (text) => {
      const body = bytes(text);
      const overHttp = await rawPost("/v1/agents", body, operatorJson(body.length));
      expect(comparable(overHttp)).toEqual(comparable(await inProcess("/v1/agents", body)));
    },
  );

  test("refuses a declared length over the limit with 413, without waiting for the body", async () => {
    const declared = MAX_BODY_BYTES + 1;
    const answer = await new Promise<Answer>((resolve, reject) => {
      const url = new URL("/v1/agents", base);
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: operatorJson(declared),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              requestId: undefined,
            });
            request.destroy();
          });
        },
      );
      request.on("error", () => {});
      // Only the start of the body is ever sent: the answer must not depend on the rest.
      request.write("{");
      setTimeout(() => reject(new Error("no answer to an oversized declared length")), 5_000).unref();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).code).toBe("payload_too_large");
  });

  test("refuses a chunked body over the limit, which takes the counting path", async () => {
    const body = JSON.stringify({ id: "agent:big", jwk: {}, name: "x".repeat(MAX_BODY_BYTES) });
    const answer = await rawPost("/v1/agents", body, {
      authorization: `Bearer ${OPERATOR_TOKEN}`,
      "content-type": "application/json",
      "transfer-encoding": "chunked",
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).code).toBe("payload_too_large");
  });

  test("keeps serving after a client hangs up halfway through its body", async () => {
    await new Promise<void>((resolve) => {
      const url = new URL("/v1/agents", base);
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: operatorJson(1000),
      });
      request.on("error", () => resolve());
      request.write('{"id":"agent:half');
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 50);
    });
    const body = JSON.stringify({ id: 5 });
    const after = await rawPost("/v1/agents", body, operatorJson(body.length));
    expect(after.status).toBe(400);
    expect(await h.store.getAgent("agent:half")).toBeUndefined();
  });

  test("leaves form bodies to Hono: the token endpoint still reads its form", async () => {
    const body = "grant_type=client_credentials";
    const answer = await rawPost("/oauth/token", body, {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(body.length),
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toBe("unsupported_grant_type");
  });
});

/** An app that says whether a POST's body took the Node path, and what the body read as. */
function probeApp() {
  return new Hono<{ Bindings: ServiceBindings }>().post("/", async (c) => {
    const took = takeNodeJsonBody(c, 100, () => {
      throw new Error("too large");
    });
    const text = await c.req.text().catch((error: Error) => `unreadable: ${error.message}`);
    return c.json({ took, text });
  });
}

describe("which bodies take the Node path", () => {
  let probe: ServerType;
  let probeBase: string;
  beforeAll(async () => {
    const app = probeApp();
    probeBase = await new Promise<string>((resolve) => {
      probe = serve(
        { fetch: (request, env) => app.fetch(request, env), hostname: "127.0.0.1", port: 0 },
        (info) => resolve(`http://127.0.0.1:${(info as AddressInfo).port}`),
      );
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => probe.close(resolve));
  });

  const send = async (headers: Record<string, string>, body: string) => {
    const url = new URL("/", probeBase);
    const answer = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        { host: url.hostname, port: url.port, path: "/", method: "POST", headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve(Buffer.concat(chunks).toString()));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
    return JSON.parse(answer) as { took: boolean; text: string };
  };

  test.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["application/merge-patch+json", true],
    ["text/plain", false],
    ["application/x-www-form-urlencoded", false],
  ])(
    "a %s body of declared length: taken from Node's request is %s, and read whole either way",
    async (type, took) => {
      const body = '{"a":[1,2,3]}';
      expect(await send({ "content-type": type, "content-length": String(body.length) }, body)).toEqual({
        took,
        text: body,
      });
    },
  );

  test("an HTTP/2 JSON body is left to Hono: the limit rests on HTTP/1's parser", async () => {
    const app = probeApp();
    const h2 = await new Promise<{ server: ServerType; url: string }>((resolve) => {
      const server = serve(
        {
          fetch: (request, env) => app.fetch(request, env),
          createServer: createHttp2Server,
          hostname: "127.0.0.1",
          port: 0,
        },
        (info) => resolve({ server, url: `http://127.0.0.1:${(info as AddressInfo).port}` }),
      );
    });
    const client = connectHttp2(h2.url);
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const request = client.request({
          ":method": "POST",
          ":path": "/",
          "content-type": "application/json",
          "content-length": "3",
        });
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => resolve(Buffer.concat(chunks).toString()));
        request.on("error", reject);
        request.end("[1]");
      });
      expect(JSON.parse(answer)).toEqual({ took: false, text: "[1]" });
    } finally {
      client.close();
      await new Promise((resolve) => h2.server.close(resolve));
    }
  });

  test("a chunked JSON body is left to Hono", async () => {
    expect(await send({ "content-type": "application/json", "transfer-encoding": "chunked" }, "[1]")).toEqual(
      {
        took: false,
        text: "[1]",
      },
    );
  });
});
