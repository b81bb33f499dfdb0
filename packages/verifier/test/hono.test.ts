/**
 * The Hono gate (issues 3 and 16), through `app.request(new Request(…))` with no server: each
 * route is gated where it is mounted, allowed calls reach the handler with the decision on the
 * context, refusals are RFC 9457 problem+json with an RFC 6750 challenge, a request no route
 * handles is `unmapped_route`, and every decision is reported. The proof's `htu` is checked
 * against the configured public origin, over real HTTP (issue 14).
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { type Handler, Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import type { Decision } from "../src/decision.ts";
import { createDecisionSink, type DecisionReport } from "../src/decision-sink.ts";
import type { FetchGateOptions } from "../src/fetch.ts";
import { createHonoGate, type HonoGate } from "../src/hono.ts";
import type { PolicyHook } from "../src/policy-hook.ts";
import {
  alice,
  bob,
  carol,
  type MintedChain,
  makeProof,
  makeVerifier,
  mallory,
  mintChain,
  NOW,
  randomId,
} from "./fixtures.ts";

const ORIGIN = "https://tools.test";

/** The tool's routes, each gated where it is mounted; a request no route handles is unmapped. */
function mountRoutes(app: Hono, baton: HonoGate, handler: Handler): void {
  app.post(
    "/repos/:owner/:repo/issues",
    baton({ action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" }),
    handler,
  );
  app.get(
    "/repos/:owner/:repo/issues/:number",
    baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues/{number}" }),
    handler,
  );
  app.post(
    "/mail/:box/send",
    baton({
      action: "mail.send",
      resource: "mailbox:acme/{box}",
      args: async (c) => (await c.req.json()) as Record<string, unknown>,
      sensitivity: "high",
      reversible: false,
    }),
    handler,
  );
  app.notFound(baton.unmapped);
}

/** carol may create and read issues in acme/web only, and send mail to ops to at most 5 people. */
function carolChain(): MintedChain {
  return mintChain(
    { holder: alice },
    { holder: bob },
    {
      holder: carol,
      cap: [
        { act: "repo.issues.*", res: "repo:acme/web/**" },
        { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 5 } } },
      ],
    },
  );
}

function makeApp(options: Partial<FetchGateOptions> & { policy?: PolicyHook } = {}) {
  const { policy, ...rest } = options;
  const app = new Hono();
  const seen: Decision[] = [];
  const baton = createHonoGate({
    verifier: makeVerifier(policy === undefined ? {} : { policy }),
    audience: "repo-tool",
    publicOrigin: ORIGIN,
    ...rest,
  });
  mountRoutes(app, baton, (c) => {
    seen.push(c.get("baton"));
    return c.json({ ok: true });
  });
  return { app, seen, baton };
}

/** A request presenting `chain` with a proof for this method and URL, unless told otherwise. */
function request(
  method: string,
  path: string,
  chain: MintedChain | undefined,
  extra: { proofBy?: typeof carol; body?: unknown; authorization?: string; proof?: string | null } = {},
): Request {
  const url = `${ORIGIN}${path}`;
  const headers = new Headers();
  if (extra.authorization !== undefined) headers.set("authorization", extra.authorization);
  else if (chain !== undefined) headers.set("authorization", `DPoP ${chain.chain}`);
  if (chain !== undefined && extra.proof !== null) {
    const proof =
      extra.proof ??
      makeProof({ key: extra.proofBy ?? chain.leaf.holder, chain: chain.chain, method, url, iat: NOW });
    headers.set("dpop", proof);
  }
  const init: RequestInit = { method, headers };
  if (extra.body !== undefined) {
    headers.set("content-type", "application/json");
    init.body = JSON.stringify(extra.body);
  }
  return new Request(url, init);
}

async function problemOf(response: Response): Promise<{
  code: string;
  status: number;
  decision: string;
  reasons: { hop: number | null; code: string }[];
}> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as never;
}

describe("createHonoGate", () => {
  it("lets an in-scope call through and hands the decision to the handler", async () => {
    const { app, seen } = makeApp();
    const chain = carolChain();
    const response = await app.request(request("POST", "/repos/acme/web/issues", chain));
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.decision).toBe("allow");
    expect(seen[0]?.chain.map((entry) => entry.sub)).toEqual([alice.id, bob.id, carol.id]);
  });

  it("refuses an out-of-scope call with 403 problem+json and an insufficient_scope challenge", async () => {
    const { app, seen } = makeApp();
    const response = await app.request(request("POST", "/repos/acme/api/issues", carolChain()));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: "action_not_permitted", status: 403, decision: "deny" });
    expect(problem.reasons).toEqual([expect.objectContaining({ hop: 2, code: "action_not_permitted" })]);
    expect(seen).toHaveLength(0);
  });

  it("applies argument limits read from the request", async () => {
    const { app } = makeApp();
    const chain = carolChain();
    expect(
      (await app.request(request("POST", "/mail/ops/send", chain, { body: { recipients: 5 } }))).status,
    ).toBe(200);
    const over = await app.request(request("POST", "/mail/ops/send", chain, { body: { recipients: 6 } }));
    expect(over.status).toBe(403);
    expect((await problemOf(over)).code).toBe("action_not_permitted");
  });

  it("refuses a bad token with 401 and an invalid_token challenge", async () => {
    const { app, seen } = makeApp();
    const forged = mintChain({ holder: alice }, { holder: mallory, signWith: mallory.privateKey });
    const response = await app.request(request("POST", "/repos/acme/web/issues", forged));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const problem = await problemOf(response);
    expect(problem.code).toBe("bad_signature");
    expect(problem.reasons).toEqual([expect.objectContaining({ hop: 1, code: "bad_signature" })]);
    expect(seen).toHaveLength(0);
  });

  it("refuses a request without Authorization, or with another scheme, with 401", async () => {
    const { app, seen } = makeApp();
    for (const authorization of [undefined, "Basic abc", "Baton", "Baton a b", "DPoP", "DPoP a b"]) {
      const response = await app.request(
        request(
          "POST",
          "/repos/acme/web/issues",
          undefined,
          authorization === undefined ? {} : { authorization },
        ),
      );
      expect(response.status).toBe(401);
      const challenge = response.headers.get("www-authenticate");
      // RFC 6750 §3.1: no credentials at all get a bare challenge; wrong ones get an error code.
      if (authorization === undefined) expect(challenge).toBe('DPoP algs="Ed25519 EdDSA"');
      else
        expect(challenge).toBe(
          'DPoP error="invalid_token", error_description="malformed", algs="Ed25519 EdDSA"',
        );
      expect((await problemOf(response)).code).toBe("malformed");
    }
    expect(seen).toHaveLength(0);
  });

  it("refuses a missing or foreign proof with 401 and a DPoP challenge", async () => {
    const { app } = makeApp();
    const chain = carolChain();
    const missing = await app.request(request("POST", "/repos/acme/web/issues", chain, { proof: null }));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe(
      'DPoP error="invalid_dpop_proof", error_description="pop_missing", algs="Ed25519 EdDSA"',
    );
    expect((await problemOf(missing)).code).toBe("pop_missing");
    const foreign = await app.request(request("POST", "/repos/acme/web/issues", chain, { proofBy: mallory }));
    expect((await problemOf(foreign)).code).toBe("pop_binding_mismatch");
  });

  /** @see issue 17 */
  it("refuses a chain presented in the retired Baton scheme, however valid, with 401", async () => {
    const { app, seen } = makeApp();
    const chain = carolChain();
    const response = await app.request(
      request("POST", "/repos/acme/web/issues", chain, { authorization: `Baton ${chain.chain}` }),
    );
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("malformed");
    expect(seen).toHaveLength(0);
  });

  /** @see issue 17: a DPoP-bound chain is never accepted as a bearer token (RFC 9449 §7.1). */
  it("refuses a chain sent as Bearer with 401 pop_missing and a DPoP challenge, proof or not", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const { app, seen } = makeApp({ sink });
    const chain = carolChain();
    for (const proof of [undefined, null]) {
      const response = await app.request(
        request("POST", "/repos/acme/web/issues", chain, {
          authorization: `Bearer ${chain.chain}`,
          ...(proof === null ? { proof } : {}),
        }),
      );
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe(
        'DPoP error="invalid_dpop_proof", error_description="pop_missing", algs="Ed25519 EdDSA"',
      );
      expect((await problemOf(response)).code).toBe("pop_missing");
    }
    expect(seen).toHaveLength(0);
    await sink.close();
    expect(batches.flat().map((report) => report.decision.reasons[0]?.code)).toEqual([
      "pop_missing",
      "pop_missing",
    ]);
  });

  /** @see issue 17 */
  it("refuses two Authorization or two DPoP headers, never picking one", async () => {
    const { app, seen } = makeApp();
    const chain = carolChain();
    const url = `${ORIGIN}/repos/acme/web/issues`;
    const proof = () =>
      makeProof({ key: chain.leaf.holder, chain: chain.chain, method: "POST", url, iat: NOW });
    const twoAuthorizations = new Headers([
      ["authorization", `DPoP ${chain.chain}`],
      ["authorization", `DPoP ${chain.chain}`],
      ["dpop", proof()],
    ]);
    const twoProofs = new Headers([
      ["authorization", `DPoP ${chain.chain}`],
      ["dpop", proof()],
      ["dpop", proof()],
    ]);
    for (const headers of [twoAuthorizations, twoProofs]) {
      const response = await app.request(new Request(url, { method: "POST", headers }));
      expect(response.status).toBe(401);
    }
    expect(seen).toHaveLength(0);
  });

  /** @see issue 13: an unmapped route has a code of its own, so its report is never an empty action. */
  it("refuses a request no gated route handles with 403 unmapped_route (fail closed)", async () => {
    const { app, seen } = makeApp();
    const chain = carolChain();
    for (const [method, path] of [
      ["DELETE", "/repos/acme/web/issues"],
      ["POST", "/admin/shutdown"],
      ["POST", "/repos/acme/web/issues/"],
      ["POST", "/repos/acme//issues"],
    ] as const) {
      const response = await app.request(request(method, path, chain));
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
      const problem = await problemOf(response);
      expect(problem.code).toBe("unmapped_route");
      expect(problem.reasons).toEqual([expect.objectContaining({ hop: null, code: "unmapped_route" })]);
    }
    expect(seen).toHaveLength(0);
  });

  it("never decodes a percent-encoded path segment into a different, allowed resource", async () => {
    const { app, seen } = makeApp();
    // carol holds repo.issues.* on repo:acme/web/**. Decoded, each of these would name a resource
    // inside or next to it; raw, they contain `%`, which the scope grammar refuses.
    const chain = carolChain();
    for (const path of [
      "/repos/acme/web%2Fissues%2F1/issues",
      "/repos/acme%2Fweb/x/issues",
      "/repos/%61cme/web/issues",
      "/repos/acme/web%2F..%2F..%2Fglobex/issues",
      "/repos/acme/web/issues/%2e%2e",
    ]) {
      const method = path.endsWith("%2e%2e") ? "GET" : "POST";
      const response = await app.request(request(method, path, chain));
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
    }
    expect(seen).toHaveLength(0);
  });

  it("answers 400 invalid_request, not 401, when the route names a non-canonical resource", async () => {
    const { app } = makeApp();
    const response = await app.request(request("POST", "/repos/acme/web%2Fissues%2F1/issues", carolChain()));
    expect(response.status).toBe(400);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_request"');
    expect((await problemOf(response)).code).toBe("malformed");
  });

  it("never parses the body of a call whose path names no canonical resource", async () => {
    const { app } = makeApp();
    const response = await app.request(
      new Request(`${ORIGIN}/mail/%2Fops/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "not json",
      }),
    );
    expect(response.status).toBe(400);
    expect((await problemOf(response)).code).toBe("malformed");
  });

  it("answers 403 with decision step_up when policy asks for approval, and passes the route's declared facts", async () => {
    const contexts: Record<string, unknown>[] = [];
    const policy: PolicyHook = (context) => {
      contexts.push({ ...context.context });
      return context.context.sensitivity === "high" ? { decision: "step_up" } : { decision: "allow" };
    };
    const { app } = makeApp({ policy });
    const chain = carolChain();
    const response = await app.request(request("POST", "/mail/ops/send", chain, { body: { recipients: 1 } }));
    expect(response.status).toBe(403);
    expect(await problemOf(response)).toMatchObject({ code: "step_up_required", decision: "step_up" });
    expect(contexts[0]).toEqual({ sensitivity: "high", reversible: false });
  });

  it("checks the proof against publicUrl when a proxy rewrote the path", async () => {
    const chain = carolChain();
    const publicUrl = "https://public.example/tools/repo/repos/acme/web/issues";
    const { app } = makeApp({
      publicOrigin: "https://public.example",
      publicUrl: ({ origin, path, search }) => `${origin}/tools/repo${path}${search}`,
    });
    const proof = makeProof({ key: carol, chain: chain.chain, method: "POST", url: publicUrl, iat: NOW });
    expect((await app.request(request("POST", "/repos/acme/web/issues", chain, { proof }))).status).toBe(200);
    expect((await app.request(request("POST", "/repos/acme/web/issues", chain))).status).toBe(401);
  });

  /** @see issue 14 */
  it("checks the proof against the configured public origin, whatever URL the request arrived with", async () => {
    const chain = carolChain();
    const { app } = makeApp({ publicOrigin: "https://public.example" });
    // The request reaches the app as https://tools.test/…: a proof for that URL is not one for us.
    const response = await app.request(request("POST", "/repos/acme/web/issues", chain));
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe("pop_invalid");
    const proof = makeProof({
      key: carol,
      chain: chain.chain,
      method: "POST",
      url: "https://public.example/repos/acme/web/issues",
      iat: NOW,
    });
    expect((await app.request(request("POST", "/repos/acme/web/issues", chain, { proof }))).status).toBe(200);
  });

  /** @see issue 14 */
  it("throws at build time, naming publicOrigin, when it is missing or is not a bare http(s) origin", () => {
    const verifier = makeVerifier();
    const build = (publicOrigin: unknown) => () =>
      createHonoGate({ verifier, audience: "repo-tool", publicOrigin: publicOrigin as string });
    for (const bad of [
      undefined,
      "",
      "tools.example.com",
      "/repos",
      "ftp://tools.example.com",
      "https://tools.example.com/api",
      "https://tools.example.com/.",
      "https://tools.example.com?x=1",
      "https://tools.example.com/?",
      "https://tools.example.com#top",
      "https://user:pass@tools.example.com",
      "https://",
      42,
    ]) {
      expect(build(bad), String(bad)).toThrow(TypeError);
      expect(build(bad), String(bad)).toThrow(/publicOrigin/);
    }
    for (const good of [
      "https://tools.example.com",
      "https://tools.example.com/",
      "http://127.0.0.1:8080",
      "https://TOOLS.example.com:443",
    ]) {
      expect(build(good), good).not.toThrow();
    }
  });

  it("throws when a gate is built without an action or a resource, or with an empty {}", () => {
    const baton = createHonoGate({ verifier: makeVerifier(), audience: "repo-tool", publicOrigin: ORIGIN });
    expect(() => baton({ action: "repo.read" } as never)).toThrow(/resource is required/);
    expect(() => baton({ resource: "repo:acme/web" } as never)).toThrow(/action is required/);
    expect(() => baton({ action: "repo.read", resource: "repo:{}/web" })).toThrow(TypeError);
    expect(() => baton({ action: "repo.read", resource: "repo:{owner}/web" })).not.toThrow();
  });

  it("fails the call (500, never an allow) when a template names a parameter its route does not capture", async () => {
    const { app, seen, baton } = makeApp();
    app.post("/orgs/:org", baton({ action: "org.read", resource: "org:{org}/{team}" }), (c) => {
      seen.push(c.get("baton"));
      return c.json({ ok: true });
    });
    const response = await app.request(request("POST", "/orgs/acme", carolChain()));
    expect(response.status).toBe(500);
    expect(seen).toHaveLength(0);
  });

  it("gates a group of routes with app.use, filling templates from the group's own parameters", async () => {
    const app = new Hono();
    const baton = createHonoGate({ verifier: makeVerifier(), audience: "repo-tool", publicOrigin: ORIGIN });
    app.use(
      "/repos/:owner/:repo/issues/*",
      baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" }),
    );
    app.get("/repos/:owner/:repo/issues/:number", (c) => c.json({ by: c.get("baton").actor.agent }));
    const chain = carolChain();
    const allowed = await app.request(request("GET", "/repos/acme/web/issues/7", chain));
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ by: carol.id });
    const refused = await app.request(request("GET", "/repos/acme/api/issues/7", chain));
    expect((await problemOf(refused)).code).toBe("action_not_permitted");
  });

  it("fills templates for a sub-app's routes mounted under a parameterized base path", async () => {
    const baton = createHonoGate({ verifier: makeVerifier(), audience: "repo-tool", publicOrigin: ORIGIN });
    const repos = new Hono();
    repos.post(
      "/issues",
      baton({ action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" }),
      (c) => c.json({ by: c.get("baton").actor.agent }),
    );
    const app = new Hono();
    app.route("/repos/:owner/:repo", repos);
    app.notFound(baton.unmapped);
    const chain = carolChain();
    expect((await app.request(request("POST", "/repos/acme/web/issues", chain))).status).toBe(200);
    expect((await problemOf(await app.request(request("POST", "/repos/acme/api/issues", chain)))).code).toBe(
      "action_not_permitted",
    );
    expect((await problemOf(await app.request(request("GET", "/repos/acme/web/issues", chain)))).code).toBe(
      "unmapped_route",
    );
  });

  it("hands a resource function the raw, still percent-encoded parameters", async () => {
    const app = new Hono();
    const baton = createHonoGate({ verifier: makeVerifier(), audience: "repo-tool", publicOrigin: ORIGIN });
    const given: Record<string, string>[] = [];
    app.post(
      "/repos/:owner/:repo/issues",
      baton({
        action: "repo.issues.create",
        resource: (_c, params) => {
          given.push({ ...params });
          return `repo:${params.owner}/${params.repo}/issues`;
        },
      }),
      (c) => c.json({ ok: true }),
    );
    const chain = carolChain();
    expect((await app.request(request("POST", "/repos/acme/web/issues", chain))).status).toBe(200);
    const encoded = await app.request(request("POST", "/repos/acme/web%2F..%2Fapi/issues", chain));
    expect(encoded.status).toBe(400);
    expect(given).toEqual([
      { owner: "acme", repo: "web" },
      { owner: "acme", repo: "web%2F..%2Fapi" },
    ]);
  });

  it("refuses to verify one request twice when two gates match it (500, never an allow)", async () => {
    const app = new Hono();
    const baton = createHonoGate({ verifier: makeVerifier(), audience: "repo-tool", publicOrigin: ORIGIN });
    const seen: Decision[] = [];
    app.use("/repos/*", baton({ action: "repo.issues.create", resource: "repo:acme/web/issues" }));
    app.post(
      "/repos/:owner/:repo/issues",
      baton({ action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" }),
      (c) => {
        seen.push(c.get("baton"));
        return c.json({ ok: true });
      },
    );
    const response = await app.request(request("POST", "/repos/acme/web/issues", carolChain()));
    expect(response.status).toBe(500);
    expect(seen).toHaveLength(0);
  });

  /** @see issue 16: args past CALL_BOUNDS were digested (recursively) before the verifier refused them. */
  it("refuses arguments nested past CALL_BOUNDS as malformed instead of failing the request", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const { app, seen } = makeApp({ sink });
    const depth = 200_000;
    const response = await app.request(
      new Request(`${ORIGIN}/mail/ops/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"recipients":1,"nested":${"[".repeat(depth)}${"]".repeat(depth)}}`,
      }),
    );
    expect(response.status).toBeLessThan(500);
    expect((await problemOf(response)).code).toBe("malformed");
    expect(seen).toHaveLength(0);
    await sink.close();
    expect(batches.flat().map((report) => [report.action, report.argsDigest])).toEqual([
      ["mail.send", undefined],
    ]);
  });

  it("reports every decision, allowed or refused, to the sink", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const { app } = makeApp({ sink });
    const chain = carolChain();
    await app.request(request("POST", "/repos/acme/web/issues", chain));
    await app.request(request("POST", "/repos/acme/api/issues", chain));
    await app.request(request("POST", "/nowhere", chain));
    await sink.close();
    const reports = batches.flat();
    expect(
      reports.map((report) => [
        report.method,
        report.path,
        report.action,
        report.resource,
        report.decision.decision,
      ]),
    ).toEqual([
      ["POST", "/repos/acme/web/issues", "repo.issues.create", "repo:acme/web/issues", "allow"],
      ["POST", "/repos/acme/api/issues", "repo.issues.create", "repo:acme/api/issues", "deny"],
      ["POST", "/nowhere", undefined, undefined, "deny"],
    ]);
    expect(reports.every((report) => report.audience === "repo-tool")).toBe(true);
    expect(reports[1]?.decision.reasons[0]?.code).toBe("action_not_permitted");
    // @see issue 13: an unmapped route is reported as such, with no empty action or resource.
    expect(reports[2]?.decision.reasons.map((reason) => reason.code)).toEqual(["unmapped_route"]);
    expect(reports[2]).not.toHaveProperty("action");
    expect(reports[2]).not.toHaveProperty("resource");
  });

  /** @see issue 13 */
  it("reports at the verifier's clock, and an overlong unmapped path as one entry the service accepts", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const { app } = makeApp({ sink });
    const longPath = `/${"a".repeat(5000)}`;
    const response = await app.request(request("GET", longPath, carolChain()));
    expect(response.status).toBe(403);
    await sink.close();
    const [entry] = batches.flat();
    expect(entry).toMatchObject({ at: NOW, method: "GET", pathTruncated: true });
    expect(entry?.path).toBe(longPath.slice(0, 2048));
    expect(entry?.decision.reasons[0]?.code).toBe("unmapped_route");
    expect(entry?.decision.reasons[0]?.message.length).toBeLessThanOrEqual(1024);
    expect(entry).not.toHaveProperty("action");
  });

  it("keeps serving when the sink's destination hangs", async () => {
    const sink = createDecisionSink({
      send: () => new Promise<void>(() => {}),
      maxBatch: 1,
      maxQueue: 2,
      flushIntervalMs: 60_000,
    });
    const { app } = makeApp({ sink });
    const chain = carolChain();
    for (let i = 0; i < 5; i++) {
      expect((await app.request(request("POST", "/repos/acme/web/issues", chain))).status).toBe(200);
    }
    expect(sink.stats.queued).toBeLessThanOrEqual(2);
  });
});

describe("proof ids in the Hono gate", () => {
  it("refuses a replayed request", async () => {
    const { app } = makeApp();
    const chain = carolChain();
    const proof = makeProof({
      key: carol,
      chain: chain.chain,
      method: "POST",
      url: `${ORIGIN}/repos/acme/web/issues`,
      iat: NOW,
      jti: randomId(),
    });
    expect((await app.request(request("POST", "/repos/acme/web/issues", chain, { proof }))).status).toBe(200);
    const replay = await app.request(request("POST", "/repos/acme/web/issues", chain, { proof }));
    expect(replay.status).toBe(401);
    expect((await problemOf(replay)).code).toBe("pop_replayed");
  });
});

/**
 * @see issue 14: two tool servers with the same routes, both named in the leaf's `aud`. The first
 * receives an honest call and replays its chain and proof to the second, with the `Host` header of
 * the first, over real HTTP.
 */
describe("DPoP htu over real HTTP on loopback", () => {
  const servers: ServerType[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
    }
  });

  /** A tool server on 127.0.0.1; its app is built once its port, and so its origin, is known. */
  async function startTool(audience: string): Promise<{ origin: string; host: string; seen: Decision[] }> {
    let app: Hono | undefined;
    const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
      const started = serve(
        { fetch: (req) => (app as Hono).fetch(req), hostname: "127.0.0.1", port: 0 },
        (info: AddressInfo) => resolve({ server: started, port: info.port }),
      );
    });
    servers.push(server);
    const origin = `http://127.0.0.1:${port}`;
    const seen: Decision[] = [];
    app = new Hono();
    mountRoutes(
      app,
      createHonoGate({ verifier: makeVerifier({ audience }), audience, publicOrigin: origin }),
      (c) => {
        seen.push(c.get("baton"));
        return c.json({ ok: true });
      },
    );
    return { origin, host: `127.0.0.1:${port}`, seen };
  }

  /** Sends a request with exactly these headers (including Host) to `origin`. */
  function send(
    origin: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: { code?: string } }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${origin}${path}`, { method: "POST", headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString() || "{}"),
          }),
        );
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("refuses a chain and proof replayed to another tool with the first tool's Host header (pop_invalid)", async () => {
    const first = await startTool("repo-tool");
    const second = await startTool("repo-mirror");
    const chain = mintChain(
      { holder: alice, aud: ["repo-tool", "repo-mirror"] },
      { holder: bob },
      { holder: carol, cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] },
    );
    const path = "/repos/acme/web/issues";
    const proof = makeProof({
      key: carol,
      chain: chain.chain,
      method: "POST",
      url: `${first.origin}${path}`,
      iat: NOW,
    });
    const headers = { authorization: `DPoP ${chain.chain}`, dpop: proof };

    const honest = await send(first.origin, path, { ...headers, host: first.host });
    expect(honest.status).toBe(200);
    expect(first.seen).toHaveLength(1);

    const replayed = await send(second.origin, path, { ...headers, host: first.host });
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe("pop_invalid");
    expect(second.seen).toHaveLength(0);
  });

  it("allows the honest call to each tool, whatever Host header the client sent", async () => {
    const tool = await startTool("repo-mirror");
    const chain = mintChain(
      { holder: alice, aud: ["repo-tool", "repo-mirror"] },
      { holder: carol, cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] },
    );
    const path = "/repos/acme/web/issues?draft=1";
    for (const host of [tool.host, "tools.example.com"]) {
      const proof = makeProof({
        key: carol,
        chain: chain.chain,
        method: "POST",
        url: `${tool.origin}${path}`,
        iat: NOW,
      });
      const response = await send(tool.origin, path, {
        authorization: `DPoP ${chain.chain}`,
        dpop: proof,
        host,
      });
      expect(response.status, host).toBe(200);
    }
    expect(tool.seen).toHaveLength(2);
  });
});
