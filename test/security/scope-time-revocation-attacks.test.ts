/**
 * Attack catalogue, part 3 (issue 9): scope attacks (wildcards, `..`, `%2F`, trailing slash,
 * case, NFC/NFD, limit loosening), time attacks at the exact edges of `exp`, `nbf`, `rvl` and the
 * clock skew, and revocation racing issuance. Real service over HTTP, clock under test control.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, codesOf, type SecurityService, startSecurityService } from "./harness.ts";

let svc: SecurityService;
let alice: Agent;
let bob: Agent;

beforeAll(async () => {
  svc = await startSecurityService();
  alice = await svc.registerAgent("alice");
  bob = await svc.registerAgent("bob");
  await svc.grant(alice, {
    cap: [
      { act: "repo.issues.*", res: "repo:acme/web/**" },
      { act: "pay.send", res: "bank:acme/**", lim: { amount: { max: 100 } } },
    ],
    ttl: 3600,
    rvi: 3600,
  });
});
afterAll(async () => {
  await svc?.close();
});

async function refusedHop(body: Record<string, unknown>): Promise<{ status: number; code: string }> {
  const before = (await svc.store.descendants(alice.did)).length;
  const response = await svc.delegate(alice, bob, body);
  const problem = (await response.json()) as { code: string };
  expect((await svc.store.descendants(alice.did)).length).toBe(before);
  return { status: response.status, code: problem.code };
}

describe("scope attacks at issuance", () => {
  it.each([
    ["every action", { act: "*", res: "repo:acme/web/**" }],
    ["a wider action prefix", { act: "repo.*", res: "repo:acme/web/**" }],
    ["every resource", { act: "repo.issues.read", res: "**" }],
    ["a sibling resource", { act: "repo.issues.read", res: "repo:acme/api/**" }],
    ["a case variant of the resource", { act: "repo.issues.read", res: "repo:ACME/web/**" }],
    ["a case variant of the action", { act: "Repo.issues.read", res: "repo:acme/web/**" }],
    ["the parent path itself (P/** never covers P)", { act: "repo.issues.read", res: "repo:acme/web" }],
  ])("refuses a hop asking for %s with 403 scope_widening", async (_what, cap) => {
    expect(await refusedHop({ cap: [cap] })).toEqual({ status: 403, code: "scope_widening" });
  });

  it.each([
    ["a dot-dot escape", "repo:acme/web/../admin/**"],
    ["an encoded slash", "repo:acme%2Fweb/**"],
    ["a trailing slash", "repo:acme/web/issues/"],
    ["an empty segment", "repo:acme//web/**"],
    ["a mid-path wildcard", "repo:acme/**/issues"],
    ["a partial wildcard", "repo:acme/web*"],
    ["a backslash", "repo:acme\\web/**"],
    ["an NFC e-acute", "repo:acme/web/caf\u00e9"],
    ["an NFD e-acute", "repo:acme/web/cafe\u0301"],
    ["a fullwidth solidus", "repo:acme/web\uff0fissues"],
  ])("refuses a hop with %s in its resource with 400 invalid_request", async (_what, res) => {
    expect(await refusedHop({ cap: [{ act: "repo.issues.read", res }] })).toEqual({
      status: 400,
      code: "invalid_request",
    });
  });

  it("refuses a hop that loosens an argument limit with 403 scope_widening", async () => {
    const cap = { act: "pay.send", res: "bank:acme/**", lim: { amount: { max: 200 } } };
    expect(await refusedHop({ cap: [cap] })).toEqual({ status: 403, code: "scope_widening" });
  });

  it("refuses a hop that drops an argument limit with 403 scope_widening", async () => {
    expect(await refusedHop({ cap: [{ act: "pay.send", res: "bank:acme/**" }] })).toEqual({
      status: 403,
      code: "scope_widening",
    });
  });

  it("refuses a hop that needs two parent capabilities combined with 403 scope_widening", async () => {
    expect(await refusedHop({ cap: [{ act: "*", res: "**" }] })).toEqual({
      status: 403,
      code: "scope_widening",
    });
  });

  it("refuses a hop to an audience the parent lacks, or to *, with 403 audience_widening", async () => {
    expect(await refusedHop({ aud: ["mail-tool"] })).toEqual({ status: 403, code: "audience_widening" });
    expect(await refusedHop({ aud: ["*"] })).toEqual({ status: 403, code: "audience_widening" });
  });

  it("refuses a hop living longer than its parent with 403 lifetime_widening", async () => {
    expect(await refusedHop({ ttl: 7200 })).toEqual({ status: 403, code: "lifetime_widening" });
  });
});

describe("scope attacks at use", () => {
  async function codes(call: { action: string; resource: string; args?: Record<string, unknown> }) {
    const { body } = await svc.verify({ chain: alice.chain, proofBy: alice.key, ...call });
    expect(body.decision).toBe("deny");
    return codesOf(body);
  }

  it.each([
    ["a dot-dot escape", "repo:acme/web/../../billing/x"],
    ["an encoded slash", "repo:acme/web%2F..%2Fbilling"],
    ["a trailing slash", "repo:acme/web/issues/"],
    ["a wildcard in a concrete call", "repo:acme/web/**"],
    ["an NFD resource", "repo:acme/web/cafe\u0301"],
    ["an NFC resource", "repo:acme/web/caf\u00e9"],
  ])("refuses a call with %s as malformed", async (_what, resource) => {
    expect(await codes({ action: "repo.issues.read", resource })).toEqual(["malformed"]);
  });

  it("refuses a case variant of an allowed resource with action_not_permitted", async () => {
    expect(await codes({ action: "repo.issues.read", resource: "repo:Acme/web/issues" })).toEqual([
      "action_not_permitted",
    ]);
  });

  it("refuses the prefix itself (repo:acme/web under repo:acme/web/**) with action_not_permitted", async () => {
    expect(await codes({ action: "repo.issues.read", resource: "repo:acme/web" })).toEqual([
      "action_not_permitted",
    ]);
  });

  it("refuses an argument over its limit, a missing one, and one of the wrong type with action_not_permitted", async () => {
    const call = { action: "pay.send", resource: "bank:acme/ops" };
    expect(await codes({ ...call, args: { amount: 101 } })).toEqual(["action_not_permitted"]);
    expect(await codes({ ...call, args: {} })).toEqual(["action_not_permitted"]);
    expect(await codes({ ...call, args: { amount: "50" } })).toEqual(["action_not_permitted"]);
    const { body } = await svc.verify({
      chain: alice.chain,
      proofBy: alice.key,
      ...call,
      args: { amount: 100 },
    });
    expect(body.decision).toBe("allow");
  });
});

describe("time attacks", () => {
  const SKEW = 30;

  it("accepts a token one second before exp + skew and refuses it with expired at exp + skew", async () => {
    const carol = await svc.registerAgent("carol-exp");
    await svc.grant(carol, { ttl: 120, rvi: 120 });
    const start = svc.now;
    const exp = start + 120;
    try {
      svc.now = exp + SKEW - 1;
      // rvl = exp gets no skew: past it the token is due, but not yet expired.
      expect(codesOf((await svc.verify({ chain: carol.chain, proofBy: carol.key })).body)).toEqual([
        "revalidation_due",
      ]);
      svc.now = exp + SKEW;
      expect(codesOf((await svc.verify({ chain: carol.chain, proofBy: carol.key })).body)).toEqual([
        "expired",
      ]);
    } finally {
      svc.now = start;
    }
  });

  it("accepts a token one second before rvl and refuses it with revalidation_due at rvl", async () => {
    const dan = await svc.registerAgent("dan-rvl");
    await svc.grant(dan, { ttl: 3600, rvi: 60 });
    const start = svc.now;
    try {
      svc.now = start + 59;
      expect((await svc.verify({ chain: dan.chain, proofBy: dan.key })).body.decision).toBe("allow");
      svc.now = start + 60;
      expect(codesOf((await svc.verify({ chain: dan.chain, proofBy: dan.key })).body)).toEqual([
        "revalidation_due",
      ]);
      // Revalidation restores it: a new jti, same did.
      const response = await svc.agentCall(dan, "POST", "/v1/revalidate");
      expect(response.status).toBe(200);
      const chain = ((await response.json()) as { chain: string }).chain;
      expect(chain).not.toBe(dan.chain);
      expect((await svc.verify({ chain, proofBy: dan.key })).body.decision).toBe("allow");
    } finally {
      svc.now = start;
    }
  });

  it("refuses a token used before nbf - skew with not_yet_valid, and accepts it at nbf - skew", async () => {
    const eve = await svc.registerAgent("eve-nbf");
    await svc.grant(eve, { ttl: 600, rvi: 600 });
    const start = svc.now;
    try {
      svc.now = start - SKEW - 1;
      expect(codesOf((await svc.verify({ chain: eve.chain, proofBy: eve.key })).body)).toContain(
        "not_yet_valid",
      );
      svc.now = start - SKEW;
      expect((await svc.verify({ chain: eve.chain, proofBy: eve.key })).body.decision).toBe("allow");
    } finally {
      svc.now = start;
    }
  });

  it("refuses an expired parent at issuance with 401 expired and issues nothing", async () => {
    const fay = await svc.registerAgent("fay-exp");
    const gus = await svc.registerAgent("gus-exp");
    await svc.grant(fay, { ttl: 60, rvi: 60 });
    const start = svc.now;
    try {
      svc.now = start + 60 + SKEW;
      const response = await svc.delegate(fay, gus);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { code: string }).code).toBe("expired");
      expect(await svc.store.descendants(fay.did)).toHaveLength(0);
    } finally {
      svc.now = start;
    }
  });
});

describe("revocation racing issuance", () => {
  it("never leaves a live hop under a revoked parent, over several races", async () => {
    for (let round = 0; round < 4; round++) {
      const planner = await svc.registerAgent(`race-planner-${round}`);
      const middle = await svc.registerAgent(`race-middle-${round}`);
      const leaves = await Promise.all(
        Array.from({ length: 12 }, (_, i) => svc.registerAgent(`race-leaf-${round}-${i}`)),
      );
      await svc.grant(planner);
      expect((await svc.delegate(planner, middle)).status).toBe(201);
      const middleDid = middle.did;
      const issued: string[] = [];
      const hops = leaves.map(async (leaf, i) => {
        // Stagger the requests around the revocation.
        await new Promise((resolve) => setTimeout(resolve, i % 4));
        const response = await svc.delegate({ ...middle }, leaf, {
          cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
        });
        if (response.status === 201) issued.push(leaf.did);
        else expect([401, 403]).toContain(response.status);
      });
      const revocation = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        const response = await svc.op("POST", "/v1/revocations", { did: middleDid, reason: `race ${round}` });
        expect(response.status).toBe(200);
      })();
      await Promise.all([...hops, revocation]);

      const statuses = await svc.store.chainStatus([middleDid, ...issued]);
      expect(statuses.every((status) => !status.live)).toBe(true);
      expect(await svc.store.descendants(middleDid, { liveOnly: true })).toHaveLength(0);
      for (const did of issued) expect((await svc.store.getDelegation(did))?.status).toBe("revoked");
    }
  });
});
