import { createDpopProof } from "@baton/client";
import { decodeChain, decodeToken, parseTokenPayload, type TokenClaims } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  agentCall,
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  ORIGIN,
  registerAgent,
  type TestAgent,
} from "./harness.ts";

function claimsOf(chain: string): TokenClaims[] {
  const tokens = decodeChain(chain);
  if (!tokens.ok) throw tokens.error;
  return tokens.value.map((compact) => {
    const decoded = decodeToken(compact);
    if (!decoded.ok) throw decoded.error;
    const claims = parseTokenPayload(decoded.value);
    if (!claims.ok) throw claims.error;
    return claims.value;
  });
}

const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };

describe("agent routes", () => {
  let h: Harness;
  let planner: TestAgent;
  let researcher: TestAgent;
  let summarizer: TestAgent;

  beforeEach(async () => {
    h = await createHarness();
    planner = await registerAgent(h, "agent:planner");
    researcher = await registerAgent(h, "agent:researcher");
    summarizer = await registerAgent(h, "agent:summarizer");
    await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool", "mail-tool"], ttl: 3600, rvi: 600, mdp: 3 });
  });
  afterEach(async () => h.close());

  /** @see issue 17: the chain rides in the standard DPoP scheme (RFC 9449 §7.1), one spelling. */
  describe("presenting a chain", () => {
    const AGENT_BAD_PROOF = 'DPoP realm="baton", error="invalid_dpop_proof", algs="Ed25519 EdDSA"';

    test("takes Authorization: DPoP <chain> with its proof", async () => {
      const response = await delegate(h, planner, researcher, { cap: [ISSUES] });
      expect(response.status).toBe(201);
    });

    test("refuses a chain sent as Bearer with 401 pop_missing and a DPoP challenge, even with its proof", async () => {
      for (const path of ["/v1/delegations", "/v1/revalidate"]) {
        for (const proof of [undefined, null]) {
          const response = await agentCall(
            h,
            planner,
            "POST",
            path,
            path === "/v1/revalidate"
              ? undefined
              : {
                  to: researcher.id,
                  cap: [ISSUES],
                },
            { scheme: "Bearer", ...(proof === null ? { proof } : {}) },
          );
          expect(response.status, path).toBe(401);
          expect(response.headers.get("www-authenticate")).toBe(AGENT_BAD_PROOF);
          const problem = await json(response);
          expect(problem.code).toBe("pop_missing");
          expect(problem.reasons).toEqual([expect.objectContaining({ hop: null, code: "pop_missing" })]);
        }
      }
    });

    test("refuses a chain sent as Bearer where the operator token is taken too, revoking nothing", async () => {
      const response = await agentCall(
        h,
        planner,
        "POST",
        "/v1/revocations",
        { did: planner.did },
        {
          scheme: "Bearer",
        },
      );
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="baton", ${AGENT_BAD_PROOF}`);
      expect((await json(response)).code).toBe("pop_missing");
      expect((await delegate(h, planner, researcher, { cap: [ISSUES] })).status).toBe(201);
    });

    test("refuses the retired Baton scheme like any scheme the endpoint does not take", async () => {
      const response = await agentCall(
        h,
        planner,
        "POST",
        "/v1/delegations",
        { to: researcher.id, cap: [ISSUES] },
        {
          scheme: "Baton",
        },
      );
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('DPoP realm="baton", algs="Ed25519 EdDSA"');
      expect((await json(response)).code).toBe("unauthorized");
    });

    test("refuses two Authorization headers, or two DPoP headers, with 400 and no side effect", async () => {
      const proof = () =>
        createDpopProof(planner.key, {
          method: "POST",
          url: `${ORIGIN}/v1/delegations`,
          chain: planner.chain,
          now: h.now,
        });
      const body = JSON.stringify({ to: researcher.id, cap: [ISSUES] });
      const twoAuthorizations = new Headers([
        ["authorization", `DPoP ${planner.chain}`],
        ["authorization", `DPoP ${planner.chain}`],
        ["dpop", await proof()],
        ["content-type", "application/json"],
      ]);
      const twoProofs = new Headers([
        ["authorization", `DPoP ${planner.chain}`],
        ["dpop", await proof()],
        ["dpop", await proof()],
        ["content-type", "application/json"],
      ]);
      for (const headers of [twoAuthorizations, twoProofs]) {
        const response = await h.app.request(`${ORIGIN}/v1/delegations`, { method: "POST", headers, body });
        expect(response.status).toBe(400);
        expect((await json(response)).code).toBe("invalid_request");
      }
      expect(researcher.chain).toBe("");
    });
  });

  describe("POST /v1/delegations", () => {
    test("issues a hop whose unspecified fields default to the narrowest values within the parent", async () => {
      const response = await delegate(h, planner, researcher, {
        cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      });
      expect(response.status).toBe(201);
      const body = await json(response);
      expect(body.chain).toBe(`${planner.chain}~${body.token}`);
      const [root, hop] = claimsOf(researcher.chain) as [TokenClaims, TokenClaims];
      expect(hop.sub).toBe("agent:researcher");
      expect(hop.dlg).toBe("agent:planner");
      expect(hop.aud).toEqual(root.aud);
      expect(hop.mdp).toBe(root.mdp - 1);
      expect(hop.exp).toBeLessThanOrEqual(root.exp);
      expect(hop.rvl).toBeLessThanOrEqual(root.rvl);
      expect(hop.cnf.jkt).toBe(researcher.key.thumbprint);
      expect((await h.store.getDelegation(hop.did))?.parent).toBe(root.did);
    });

    test("gives a hop without rvi its parent's recorded rvi when that is shorter than the service's", async () => {
      // The service default is 300 s; this root records 120 s, which only the graph knows.
      await grant(h, summarizer, { cap: [ISSUES], aud: ["repo-tool"], ttl: 3600, rvi: 120, mdp: 2 });
      const response = await delegate(h, summarizer, researcher, { cap: [ISSUES] });
      expect(response.status).toBe(201);
      const hop = claimsOf(researcher.chain)[1] as TokenClaims;
      expect((await h.store.getDelegation(hop.did))?.rvi).toBe(120);
      expect(hop.rvl - hop.iat).toBe(120);
    });

    test("refuses a capability wider than the parent's with scope_widening and logs the refusal", async () => {
      const response = await delegate(h, planner, researcher, {
        cap: [{ act: "repo.*", res: "repo:acme/web/**" }],
      });
      expect(response.status).toBe(403);
      const body = await json(response);
      expect(body.code).toBe("scope_widening");
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const log = (await h.store.queryDecisions({ limit: 10 })).items;
      expect(log[0]).toMatchObject({ kind: "delegate", decision: "deny" });
    });

    test("refuses an audience, lifetime or depth beyond the parent's instead of clamping it", async () => {
      const cap = [ISSUES];
      expect((await json(await delegate(h, planner, researcher, { cap, aud: ["billing-tool"] }))).code).toBe(
        "audience_widening",
      );
      expect((await json(await delegate(h, planner, researcher, { cap, ttl: 7200 }))).code).toBe(
        "lifetime_widening",
      );
      expect((await json(await delegate(h, planner, researcher, { cap, rvi: 1200 }))).code).toBe(
        "lifetime_widening",
      );
      expect((await json(await delegate(h, planner, researcher, { cap, mdp: 3 }))).code).toBe(
        "depth_exceeded",
      );
    });

    test("refuses a hop below a token that allows no further delegation with depth_exceeded", async () => {
      expect((await delegate(h, planner, researcher, { cap: [ISSUES], mdp: 0 })).status).toBe(201);
      const response = await delegate(h, researcher, summarizer, { cap: [ISSUES] });
      expect(response.status).toBe(403);
      expect((await json(response)).code).toBe("depth_exceeded");
    });

    test("requires a DPoP proof by the leaf holder, for this URL, used once", async () => {
      const body = { to: researcher.id, cap: [ISSUES] };
      const missing = await agentCall(h, planner, "POST", "/v1/delegations", body, { proof: null });
      expect(missing.status).toBe(401);
      expect((await json(missing)).code).toBe("pop_missing");

      const wrongUrl = await agentCall(h, planner, "POST", "/v1/delegations", body, {
        proofUrl: `${ORIGIN}/v1/revalidate`,
      });
      expect((await json(wrongUrl)).code).toBe("pop_invalid");

      const stolen = await createDpopProof(researcher.key, {
        method: "POST",
        url: `${ORIGIN}/v1/delegations`,
        chain: planner.chain,
        now: h.now,
      });
      const wrongKey = await agentCall(h, planner, "POST", "/v1/delegations", body, { proof: stolen });
      expect((await json(wrongKey)).code).toBe("pop_binding_mismatch");

      const proof = await createDpopProof(planner.key, {
        method: "POST",
        url: `${ORIGIN}/v1/delegations`,
        chain: planner.chain,
        now: h.now,
      });
      expect((await agentCall(h, planner, "POST", "/v1/delegations", body, { proof })).status).toBe(201);
      const replay = await agentCall(h, planner, "POST", "/v1/delegations", body, { proof });
      expect(replay.status).toBe(401);
      expect((await json(replay)).code).toBe("pop_replayed");
    });

    test("refuses a tampered chain with the verifier's reason code", async () => {
      const tampered = `${planner.chain.slice(0, -4)}AAAA`;
      const response = await agentCall(
        h,
        planner,
        "POST",
        "/v1/delegations",
        { to: researcher.id, cap: [ISSUES] },
        { chain: tampered },
      );
      expect(response.status).toBe(401);
      expect((await json(response)).code).toBe("bad_signature");
    });

    test("answers 404 for a delegate that is not registered and 400 for an unknown field", async () => {
      const unknown = await agentCall(h, planner, "POST", "/v1/delegations", {
        to: "agent:nobody",
        cap: [ISSUES],
      });
      expect(unknown.status).toBe(404);
      const extra = await agentCall(h, planner, "POST", "/v1/delegations", {
        to: researcher.id,
        cap: [ISSUES],
        admin: true,
      });
      expect(extra.status).toBe(400);
      expect((await json(extra)).code).toBe("invalid_request");
    });

    test("answers 400 for a malformed Authorization header and 413 for an oversized body", async () => {
      const malformed = await h.app.request(`${ORIGIN}/v1/delegations`, {
        method: "POST",
        headers: { authorization: "DPoP a b", "content-type": "application/json" },
        body: JSON.stringify({ to: researcher.id, cap: [ISSUES] }),
      });
      expect(malformed.status).toBe(400);
      const big = await agentCall(h, planner, "POST", "/v1/delegations", {
        to: researcher.id,
        cap: [ISSUES],
        intent: "x".repeat(70_000),
      });
      expect(big.status).toBe(413);
      expect((await json(big)).code).toBe("payload_too_large");
    });

    test("refuses to delegate from a revoked chain", async () => {
      await h.op("POST", "/v1/revocations", { did: planner.did, reason: "test" });
      const response = await delegate(h, planner, researcher, { cap: [ISSUES] });
      expect(response.status).toBe(401);
      expect((await json(response)).code).toBe("revoked");
    });
  });

  describe("POST /v1/revalidate", () => {
    test("re-issues due tokens root first with the same did, a new jti and prf to the new parent", async () => {
      await delegate(h, planner, researcher, { cap: [ISSUES] });
      const before = claimsOf(researcher.chain);
      h.now += 700; // past every rvl (rvi 600), before exp
      const response = await agentCall(h, researcher, "POST", "/v1/revalidate");
      expect(response.status).toBe(200);
      const { chain } = (await json(response)) as { chain: string };
      const after = claimsOf(chain);
      expect(after.map((claims) => claims.did)).toEqual(before.map((claims) => claims.did));
      expect(after[0]?.jti).not.toBe(before[0]?.jti);
      expect(after[1]?.jti).not.toBe(before[1]?.jti);
      expect(after[1]?.rvl).toBeGreaterThan(h.now);
      expect(await h.store.tokenVersions(after[1]?.did ?? "")).toHaveLength(2);
      researcher.chain = chain;
      expect((await delegate(h, researcher, summarizer, { cap: [ISSUES] })).status).toBe(201);
    });

    test("returns the chain unchanged when nothing is due", async () => {
      const response = await agentCall(h, planner, "POST", "/v1/revalidate");
      expect(((await json(response)) as { chain: string }).chain).toBe(planner.chain);
    });

    test("denies revalidating an expired chain", async () => {
      h.now += 3600 + 31;
      const response = await agentCall(h, planner, "POST", "/v1/revalidate");
      expect(response.status).toBe(401);
      expect((await json(response)).code).toBe("expired");
    });
  });

  describe("POST /v1/revocations", () => {
    test("lets an agent revoke a delegation below itself, cascading, but not one above itself", async () => {
      await delegate(h, planner, researcher, { cap: [ISSUES] });
      await delegate(h, researcher, summarizer, { cap: [ISSUES] });
      const upward = await agentCall(h, researcher, "POST", "/v1/revocations", {
        did: planner.did,
        reason: "mutiny",
      });
      expect(upward.status).toBe(403);
      const down = await agentCall(h, planner, "POST", "/v1/revocations", {
        did: researcher.did,
        reason: "done",
      });
      expect(down.status).toBe(200);
      expect(((await json(down)) as { revoked: string[] }).revoked.sort()).toEqual(
        [researcher.did, summarizer.did].sort(),
      );
    });

    test("refuses a body naming more than one target", async () => {
      const response = await h.op("POST", "/v1/revocations", { did: planner.did, task: "x", reason: "r" });
      expect(response.status).toBe(400);
      expect((await json(response)).code).toBe("invalid_request");
    });
  });

  describe("POST /v1/tasks/{id}/complete", () => {
    test("lets the root holder complete its task, revoking the tree, once", async () => {
      await delegate(h, planner, researcher, { cap: [ISSUES] });
      const task = claimsOf(planner.chain)[0]?.tsk ?? "";
      const notRoot = await agentCall(h, researcher, "POST", `/v1/tasks/${task}/complete`);
      expect(notRoot.status).toBe(403);
      const done = await agentCall(h, planner, "POST", `/v1/tasks/${task}/complete`);
      expect(done.status).toBe(200);
      expect(await json(done)).toEqual({ revoked: 2 });
      const again = await h.op("POST", `/v1/tasks/${task}/complete`);
      expect(again.status).toBe(409);
      expect((await h.op("POST", "/v1/tasks/no-such-task/complete")).status).toBe(404);
    });
  });
});
