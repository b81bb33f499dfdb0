/**
 * Attack catalogue, part 2 (issue 9): chain attacks built from real tokens the service issued
 * (reorder, drop, duplicate, splice, cycle, depth, a sibling's or a stolen chain) and DPoP proof
 * attacks, over HTTP against `POST /v1/verify` and `POST /v1/delegations`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeKey, makeProof, signCompact } from "../../packages/verifier/test/fixtures.ts";
import {
  type Agent,
  codesOf,
  hopClaims,
  peekClaims,
  type SecurityService,
  startSecurityService,
  TOOL_URL,
  toolProof,
} from "./harness.ts";

let svc: SecurityService;
let alice: Agent;
let bob: Agent;
let carol: Agent;
let dave: Agent;
let mallory: Agent;
/** A root of a second task, held by alice too. */
let otherTaskChain: string;

beforeAll(async () => {
  svc = await startSecurityService();
  alice = await svc.registerAgent("alice");
  bob = await svc.registerAgent("bob");
  carol = await svc.registerAgent("carol");
  dave = await svc.registerAgent("dave");
  mallory = await svc.registerAgent("mallory");
  otherTaskChain = (await svc.grant(alice)).chain;
  await svc.grant(alice);
  expect((await svc.delegate(alice, bob)).status).toBe(201);
  expect((await svc.delegate(alice, carol)).status).toBe(201);
  expect((await svc.delegate(bob, dave)).status).toBe(201);
});
afterAll(async () => {
  await svc?.close();
});

const tokens = (chain: string) => chain.split("~");

async function deny(chain: string, by: Agent): Promise<string[]> {
  const { status, body } = await svc.verify({ chain, proofBy: by.key });
  expect(status).toBe(200);
  expect(body.decision).toBe("deny");
  return codesOf(body);
}

describe("the control", () => {
  it("allows dave's real chain with dave's proof", async () => {
    const { body } = await svc.verify({ chain: dave.chain, proofBy: dave.key });
    expect(body).toMatchObject({ decision: "allow", reasons: [] });
  });
});

describe("chain attacks", () => {
  it("refuses a reordered chain (hop first, root second) with chain_broken", async () => {
    const [root = "", hop = ""] = tokens(bob.chain);
    expect((await deny(`${hop}~${root}`, bob))[0]).toBe("chain_broken");
  });

  it("refuses a chain with its middle hop dropped with chain_broken", async () => {
    const [root = "", , leaf = ""] = tokens(dave.chain);
    const codes = await deny(`${root}~${leaf}`, dave);
    expect(codes[0]).toBe("chain_broken");
    expect(codes).toContain("delegator_mismatch");
  });

  it("refuses a chain with a duplicated hop with chain_broken", async () => {
    const [root = "", hop = ""] = tokens(bob.chain);
    expect((await deny(`${root}~${hop}~${hop}`, bob))[0]).toBe("chain_broken");
  });

  it("refuses a hop spliced under the root of another task with chain_broken and task_mismatch", async () => {
    const [, hop = ""] = tokens(bob.chain);
    const codes = await deny(`${otherTaskChain}~${hop}`, bob);
    expect(codes[0]).toBe("chain_broken");
    expect(codes).toContain("task_mismatch");
  });

  it("refuses a sibling's hop spliced under another branch with chain_broken", async () => {
    // carol's hop hangs off the root, not off bob's hop.
    const [, carolHop = ""] = tokens(carol.chain);
    const codes = await deny(`${bob.chain}~${carolHop}`, carol);
    expect(codes[0]).toBe("chain_broken");
    expect(codes).toContain("delegator_mismatch");
  });

  it("refuses a leaf presented without its root with chain_broken", async () => {
    const [, hop = ""] = tokens(bob.chain);
    expect((await deny(hop, bob))[0]).toBe("chain_broken");
  });

  it("refuses to delegate back to an agent already on the chain (a cycle), issuing nothing", async () => {
    const before = (await svc.store.descendants(alice.did)).length;
    const response = await svc.delegate(dave, { ...alice });
    // The store refuses the edge (an agent may appear once per chain) before anything commits.
    expect(response.status).toBe(400);
    const { code } = (await response.json()) as { code: string };
    expect(code).toBe("invalid_request");
    expect((await svc.store.descendants(alice.did)).length).toBe(before);
  });

  it("refuses a hop below a parent whose mdp is 0 with depth_exceeded", async () => {
    const erin = await svc.registerAgent("erin");
    const frank = await svc.registerAgent("frank");
    const gina = await svc.registerAgent("gina");
    await svc.grant(erin, { mdp: 1 });
    expect((await svc.delegate(erin, frank)).status).toBe(201);
    const response = await svc.delegate(frank, gina);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("depth_exceeded");
  });

  it("refuses a hop asking for more depth than its parent has left with depth_exceeded", async () => {
    const response = await svc.delegate(bob, carol, { mdp: 4 });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("depth_exceeded");
  });

  it("refuses a forged hop (service-signed) that keeps its parent's mdp with depth_exceeded", async () => {
    const [root = ""] = tokens(bob.chain);
    const claims = { ...hopClaims(root, peekClaims(root), mallory), mdp: peekClaims(root).mdp };
    const { kid, privateKey } = svc.serviceKey();
    const hop = signCompact({ alg: "Ed25519", typ: "baton+jwt", kid }, claims, privateKey);
    expect((await deny(`${root}~${hop}`, mallory))[0]).toBe("depth_exceeded");
  });

  it("refuses a chain of 17 tokens with chain_too_long before any signature work", async () => {
    const [root = ""] = tokens(bob.chain);
    expect(await deny(Array.from({ length: 17 }, () => root).join("~"), alice)).toEqual(["chain_too_long"]);
  });

  it("refuses a sibling's chain presented with the sibling's own key with pop_binding_mismatch", async () => {
    expect(await deny(bob.chain, carol)).toEqual(["pop_binding_mismatch"]);
  });

  it("refuses a stolen chain at the tool when the thief's key does not match cnf", async () => {
    expect(await deny(dave.chain, mallory)).toEqual(["pop_binding_mismatch"]);
  });

  it("refuses a stolen chain at /v1/delegations with 401 pop_binding_mismatch and issues nothing", async () => {
    const before = (await svc.store.descendants(bob.did)).length;
    const response = await svc.agentCall(
      { ...bob },
      "POST",
      "/v1/delegations",
      { to: mallory.id, cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }] },
      { proofKey: mallory.key },
    );
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("pop_binding_mismatch");
    expect((await svc.store.descendants(bob.did)).length).toBe(before);
  });
});

describe("proof attacks", () => {
  it("refuses a chain with no proof with pop_missing", async () => {
    const { body } = await svc.verify({ chain: bob.chain, proof: null });
    expect(codesOf(body)).toEqual(["pop_missing"]);
  });

  it("accepts a proof once and refuses its replay with pop_replayed", async () => {
    const proof = toolProof(bob.key, bob.chain, svc.now);
    expect((await svc.verify({ chain: bob.chain, proof })).body.decision).toBe("allow");
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_replayed"]);
  });

  it("refuses a proof replayed at the service itself with pop_replayed", async () => {
    const url = `${svc.url}/v1/revalidate`;
    const proof = makeProof({ key: bob.key, chain: bob.chain, method: "POST", url, iat: svc.now });
    expect((await svc.agentCall(bob, "POST", "/v1/revalidate", undefined, { proof })).status).toBe(200);
    const again = await svc.agentCall(bob, "POST", "/v1/revalidate", undefined, { proof });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { code: string }).code).toBe("pop_replayed");
  });

  it("refuses a proof for another method (htm) with pop_invalid", async () => {
    const proof = toolProof(bob.key, bob.chain, svc.now, "GET");
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("refuses a proof for another URL (htu) with pop_invalid", async () => {
    const proof = toolProof(bob.key, bob.chain, svc.now, "POST", `${TOOL_URL}/admin`);
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("refuses a proof bound to another chain (ath) with pop_invalid", async () => {
    const proof = toolProof(bob.key, dave.chain, svc.now);
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("refuses a stale proof (older than max age plus skew) with pop_invalid", async () => {
    const proof = makeProof({ key: bob.key, chain: bob.chain, url: TOOL_URL, iat: svc.now - 60 - 30 - 1 });
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("accepts a proof exactly max age old", async () => {
    const proof = makeProof({ key: bob.key, chain: bob.chain, url: TOOL_URL, iat: svc.now - 60 });
    expect((await svc.verify({ chain: bob.chain, proof })).body.decision).toBe("allow");
  });

  it("refuses a proof from further ahead than the skew with pop_invalid", async () => {
    const proof = makeProof({ key: bob.key, chain: bob.chain, url: TOOL_URL, iat: svc.now + 31 });
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("refuses a proof naming bob's key but signed by mallory with pop_invalid", async () => {
    const proof = makeProof({
      key: bob.key,
      chain: bob.chain,
      url: TOOL_URL,
      iat: svc.now,
      signWith: mallory.key.privateKey,
    });
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("refuses a proof with a small-order jwk and a signature forged for it with pop_invalid", async () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const small = {
      ...makeKey(),
      jwk: { kty: "OKP" as const, crv: "Ed25519" as const, x: identity.toString("base64url") },
    };
    const honest = makeProof({ key: small, chain: bob.chain, url: TOOL_URL, iat: svc.now });
    // R = identity, S = 0 verifies for any message under the identity key in OpenSSL.
    const forged = `${honest.split(".").slice(0, 2).join(".")}.${Buffer.concat([identity, Buffer.alloc(32)]).toString("base64url")}`;
    expect(codesOf((await svc.verify({ chain: bob.chain, proof: forged })).body)).toEqual(["pop_invalid"]);
  });

  it.each([
    ["typ JWT", { typ: "JWT" }],
    ["alg none", { alg: "none" }],
    ["no jwk", { jwk: undefined }],
    ["a jku", { jku: "https://attacker.test/keys" }],
  ])("refuses a proof header with %s with pop_invalid", async (_what, header) => {
    const proof = makeProof({ key: bob.key, chain: bob.chain, url: TOOL_URL, iat: svc.now, header });
    expect(codesOf((await svc.verify({ chain: bob.chain, proof })).body)).toEqual(["pop_invalid"]);
  });

  it("does not let a forged proof burn an honest client's proof id", async () => {
    const jti = "honest-jti-0000000000000";
    const forged = makeProof({
      key: bob.key,
      chain: bob.chain,
      url: TOOL_URL,
      iat: svc.now,
      jti,
      signWith: mallory.key.privateKey,
    });
    expect(codesOf((await svc.verify({ chain: bob.chain, proof: forged })).body)).toEqual(["pop_invalid"]);
    const honest = makeProof({ key: bob.key, chain: bob.chain, url: TOOL_URL, iat: svc.now, jti });
    expect((await svc.verify({ chain: bob.chain, proof: honest })).body.decision).toBe("allow");
  });
});
