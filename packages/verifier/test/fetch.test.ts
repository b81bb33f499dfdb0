/**
 * The fetch-style gate (issue 16), with standard `Request`s and no framework: it hands back the
 * allowing decision or the problem+json `Response` to send, refuses what no route names, and is
 * what the Hono gate is built on.
 */
import { describe, expect, it } from "vitest";
import type { Decision } from "../src/decision.ts";
import { createDecisionSink, type DecisionReport } from "../src/decision-sink.ts";
import { createFetchGate, type FetchGateOptions } from "../src/fetch.ts";
import { alice, bob, carol, type MintedChain, makeProof, makeVerifier, mintChain, NOW } from "./fixtures.ts";

const ORIGIN = "https://tools.test";

function carolChain(): MintedChain {
  return mintChain(
    { holder: alice },
    { holder: bob },
    { holder: carol, cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] },
  );
}

function signedRequest(method: string, path: string, chain: MintedChain): Request {
  const url = `${ORIGIN}${path}`;
  const proof = makeProof({ key: chain.leaf.holder, chain: chain.chain, method, url, iat: NOW });
  return new Request(url, { method, headers: { authorization: `DPoP ${chain.chain}`, dpop: proof } });
}

function makeGate(options: Partial<FetchGateOptions> = {}) {
  return createFetchGate({
    verifier: makeVerifier(),
    audience: "repo-tool",
    publicOrigin: ORIGIN,
    ...options,
  });
}

describe("createFetchGate", () => {
  it("hands back the allowing decision itself for an in-scope call", async () => {
    const result = await makeGate()(signedRequest("POST", "/repos/acme/web/issues", carolChain()), {
      action: "repo.issues.create",
      resource: "repo:acme/web/issues",
    });
    expect(result).not.toBeInstanceOf(Response);
    expect((result as Decision).decision).toBe("allow");
    expect((result as Decision).actor).toEqual({ agent: carol.id, proven: true });
  });

  it("answers an out-of-scope call with a 403 problem+json Response and an insufficient_scope challenge", async () => {
    const result = await makeGate()(signedRequest("POST", "/repos/acme/api/issues", carolChain()), {
      action: "repo.issues.create",
      resource: "repo:acme/api/issues",
    });
    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("www-authenticate")).toBe(
      'DPoP error="insufficient_scope", error_description="action_not_permitted", algs="Ed25519 EdDSA"',
    );
    expect(await response.json()).toMatchObject({
      type: "urn:baton:reason:action_not_permitted",
      status: 403,
      code: "action_not_permitted",
      decision: "deny",
      reasons: [{ hop: 2, code: "action_not_permitted" }],
    });
  });

  /** @see issue 17: a DPoP-bound chain sent as a bearer token is refused, never accepted (RFC 9449 §7.1). */
  it("refuses a chain sent as Bearer with 401 pop_missing and a DPoP challenge, and reports it", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const signed = signedRequest("POST", "/repos/acme/web/issues", carolChain());
    const headers = new Headers(signed.headers);
    headers.set("authorization", headers.get("authorization")?.replace(/^DPoP /, "Bearer ") ?? "");
    const result = await makeGate({ sink })(new Request(signed.url, { method: "POST", headers }), {
      action: "repo.issues.create",
      resource: "repo:acme/web/issues",
    });
    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'DPoP error="invalid_dpop_proof", error_description="pop_missing", algs="Ed25519 EdDSA"',
    );
    expect(await response.json()).toMatchObject({ code: "pop_missing", decision: "deny" });
    await sink.close();
    expect(batches.flat().map((report) => report.decision.reasons.map((reason) => reason.code))).toEqual([
      ["pop_missing"],
    ]);
  });

  /** @see issue 17 */
  it("refuses a chain in the retired Baton scheme, and a repeated DPoP header, with 401", async () => {
    const gate = makeGate();
    const call = { action: "repo.issues.create", resource: "repo:acme/web/issues" };
    const baton = signedRequest("POST", "/repos/acme/web/issues", carolChain());
    const batonHeaders = new Headers(baton.headers);
    batonHeaders.set("authorization", batonHeaders.get("authorization")?.replace(/^DPoP /, "Baton ") ?? "");
    const twoProofs = signedRequest("POST", "/repos/acme/web/issues", carolChain());
    const twoProofHeaders = new Headers(twoProofs.headers);
    twoProofHeaders.append("dpop", twoProofHeaders.get("dpop") ?? "");
    for (const [request, code] of [
      [new Request(baton.url, { method: "POST", headers: batonHeaders }), "malformed"],
      [new Request(twoProofs.url, { method: "POST", headers: twoProofHeaders }), "pop_invalid"],
    ] as const) {
      const result = await gate(request, call);
      expect(result).toBeInstanceOf(Response);
      expect((result as Response).status).toBe(401);
      expect(await (result as Response).json()).toMatchObject({ code });
    }
  });

  it("answers 400 for a resource that is not canonical, without consulting the chain, and reports it", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    let verified = 0;
    const verifier = makeVerifier();
    const counting = {
      ...verifier,
      verify: (request: Parameters<typeof verifier.verify>[0]) => {
        verified++;
        return verifier.verify(request);
      },
      now: verifier.now,
    };
    const gate = makeGate({ verifier: counting, sink });
    const result = (await gate(new Request(`${ORIGIN}/repos/acme/web%2Fx/issues`, { method: "POST" }), {
      action: "repo.issues.create",
      resource: "repo:acme/web%2Fx/issues",
    })) as Response;
    expect(result.status).toBe(400);
    expect(result.headers.get("www-authenticate")).toContain('error="invalid_request"');
    expect(verified).toBe(0);
    await sink.close();
    expect(batches.flat().map((report) => [report.action, report.decision.reasons[0]?.code])).toEqual([
      ["repo.issues.create", "malformed"],
    ]);
  });

  it("refuses a request no route names with 403 unmapped_route, reported with no action or resource", async () => {
    const batches: (readonly DecisionReport[])[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch),
      flushIntervalMs: 60_000,
    });
    const response = makeGate({ sink }).unmapped(new Request(`${ORIGIN}/admin?x=1`, { method: "delete" }));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(await response.json()).toMatchObject({ code: "unmapped_route", reasons: [{ hop: null }] });
    await sink.close();
    const [report] = batches.flat();
    expect(report).toMatchObject({ at: NOW, audience: "repo-tool", method: "DELETE", path: "/admin" });
    expect(report).not.toHaveProperty("action");
    expect(report).not.toHaveProperty("resource");
  });

  it("throws when one Request is gated twice, instead of refusing its proof as replayed", async () => {
    const gate = makeGate();
    const request = signedRequest("POST", "/repos/acme/web/issues", carolChain());
    const call = { action: "repo.issues.create", resource: "repo:acme/web/issues" };
    expect(await gate(request, call)).not.toBeInstanceOf(Response);
    await expect(gate(request, call)).rejects.toThrow(/one gate per route/);
  });

  it("throws at build time on a missing verifier, an audience that is not one, or a publicUrl that is not a function", () => {
    const verifier = makeVerifier();
    const build = (options: Partial<FetchGateOptions>) => () =>
      createFetchGate({
        verifier,
        audience: "repo-tool",
        publicOrigin: ORIGIN,
        ...options,
      } as FetchGateOptions);
    expect(build({ verifier: undefined as never })).toThrow(/verifier is required/);
    for (const audience of ["", "*", undefined as never, "has space"]) {
      expect(build({ audience }), String(audience)).toThrow(/audience is required/);
    }
    expect(build({ publicUrl: "https://x" as never })).toThrow(/publicUrl must be a function/);
    expect(build({})).not.toThrow();
  });
});
