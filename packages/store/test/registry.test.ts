import { generateKeyPairSync } from "node:crypto";
import { randomId, type ServicePublicJwk } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { agentKey, codeOf, grant, hop, type Issued, registerAgents, T0 } from "./helpers/graph-fixture.ts";

let store: SqliteStore;

beforeEach(() => {
  store = openSqliteStore({ path: ":memory:" });
});

afterEach(() => store.close());

describe("agents", () => {
  test("registers an agent with its key and reads it back", () => {
    const key = agentKey();
    const agent = store.registerAgent({ id: "agent:alice", ...key, name: "Alice", owner: "team-a", at: T0 });
    expect(agent).toEqual({
      id: "agent:alice",
      jwk: key.jwk,
      jkt: key.jkt,
      name: "Alice",
      owner: "team-a",
      status: "active",
      createdAt: T0,
      disabledAt: null,
      disabledReason: null,
    });
    expect(store.getAgent("agent:alice")).toEqual(agent);
    expect(store.getAgent("agent:nobody")).toBeUndefined();
  });

  test("accepts SPIFFE ids and lists agents by id", () => {
    store.registerAgent({ id: "spiffe://acme.org/ns/prod/planner", ...agentKey(), at: T0 });
    store.registerAgent({ id: "agent:zed", ...agentKey(), at: T0 });
    expect(store.listAgents().map((a) => a.id)).toEqual(["agent:zed", "spiffe://acme.org/ns/prod/planner"]);
  });

  test("refuses a duplicate id with conflict", () => {
    store.registerAgent({ id: "agent:alice", ...agentKey(), at: T0 });
    expect(codeOf(() => store.registerAgent({ id: "agent:alice", ...agentKey(), at: T0 }))).toBe("conflict");
  });

  test("refuses an unsound key, a thumbprint that does not match, or a bad id", () => {
    const key = agentKey();
    // The identity point: small order, so signatures under it can be forged.
    const lowOrder = {
      kty: "OKP",
      crv: "Ed25519",
      x: "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    } as const;
    const privateJwk = { ...key.jwk, d: "A".repeat(43) };
    const attempts: unknown[] = [
      { id: "agent:a", jwk: lowOrder, jkt: key.jkt, at: T0 },
      { id: "agent:a", jwk: privateJwk, jkt: key.jkt, at: T0 },
      { id: "agent:a", jwk: key.jwk, jkt: agentKey().jkt, at: T0 },
      { id: "alice", ...key, at: T0 },
      { id: "agent:../x", ...key, at: T0 },
      { id: "agent:a", ...key, name: "x".repeat(256), at: T0 },
      { id: "agent:a", ...key, name: "bell\u0007", at: T0 },
      { id: "agent:a", ...key, at: "now" },
    ];
    for (const input of attempts) expect(codeOf(() => store.registerAgent(input as never))).toBe("invalid");
    expect(store.listAgents()).toEqual([]);
  });
});

describe("approvals", () => {
  let leaf: Issued;
  let bob: string;

  beforeEach(() => {
    const [alice, b] = registerAgents(store, "alice", "bob") as [string, string];
    bob = b;
    leaf = hop(store, grant(store, alice), bob);
  });

  const request = (id: string, overrides: Record<string, unknown> = {}) => ({
    id,
    did: leaf.did,
    agent: bob,
    task: leaf.task,
    action: "github.repo.delete",
    resource: "repo:acme/web",
    reason: "irreversible action",
    at: T0,
    expiresAt: T0 + 600,
    ...overrides,
  });

  test("creates a pending approval and decides it once", () => {
    expect(store.createApproval(request("apv_1"))).toMatchObject({
      id: "apv_1",
      status: "pending",
      decidedAt: null,
    });
    const decided = store.decideApproval("apv_1", { decision: "approved", by: "operator:ops", at: T0 + 10 });
    expect(decided).toMatchObject({ status: "approved", decidedAt: T0 + 10, decidedBy: "operator:ops" });
    expect(codeOf(() => store.decideApproval("apv_1", { decision: "denied", by: "ops", at: T0 + 11 }))).toBe(
      "conflict",
    );
    expect(codeOf(() => store.decideApproval("apv_x", { decision: "denied", by: "ops", at: T0 + 11 }))).toBe(
      "not_found",
    );
  });

  test("refuses to decide an expired approval", () => {
    store.createApproval(request("apv_1"));
    expect(
      codeOf(() => store.decideApproval("apv_1", { decision: "approved", by: "ops", at: T0 + 600 })),
    ).toBe("conflict");
    expect(store.getApproval("apv_1")?.status).toBe("pending");
  });

  test("lists approvals by status and finds the approved, unexpired ones for a did", () => {
    store.createApproval(request("a1"));
    store.createApproval(request("a2", { at: T0 + 1, expiresAt: T0 + 100 }));
    store.createApproval(request("a3", { at: T0 + 2 }));
    store.decideApproval("a1", { decision: "approved", by: "ops", at: T0 + 5 });
    store.decideApproval("a2", { decision: "approved", by: "ops", at: T0 + 5 });
    store.decideApproval("a3", { decision: "denied", by: "ops", at: T0 + 5 });
    expect(store.listApprovals({ status: "approved" }).map((a) => a.id)).toEqual(["a2", "a1"]);
    expect(store.listApprovals().map((a) => a.id)).toEqual(["a3", "a2", "a1"]);
    expect(store.activeApprovals(leaf.did, T0 + 50).map((a) => a.id)).toEqual(["a1", "a2"]);
    expect(store.activeApprovals(leaf.did, T0 + 100).map((a) => a.id)).toEqual(["a1"]);
    expect(store.activeApprovals(randomId(), T0)).toEqual([]);
  });

  test("finds the pending, unexpired request for exactly one call on a did, and nothing else", () => {
    const call = { did: leaf.did, action: "github.repo.delete", resource: "repo:acme/web" };
    expect(store.pendingApproval(call, T0)).toBeUndefined();
    store.createApproval(request("p1"));
    expect(store.pendingApproval(call, T0 + 1)?.id).toBe("p1");
    expect(store.pendingApproval({ ...call, action: "github.repo.archive" }, T0 + 1)).toBeUndefined();
    expect(store.pendingApproval({ ...call, resource: "repo:acme/api" }, T0 + 1)).toBeUndefined();
    expect(store.pendingApproval({ ...call, did: randomId() }, T0 + 1)).toBeUndefined();
    expect(store.pendingApproval(call, T0 + 600)).toBeUndefined();
    store.decideApproval("p1", { decision: "denied", by: "ops", at: T0 + 2 });
    expect(store.pendingApproval(call, T0 + 3)).toBeUndefined();
    expect(codeOf(() => store.pendingApproval({ ...call, did: "not a did" }, T0))).toBe("invalid");
  });

  test("refuses an approval that does not fit its delegation, or for a revoked one", () => {
    expect(codeOf(() => store.createApproval(request("a1", { did: randomId() })))).toBe("not_found");
    expect(codeOf(() => store.createApproval(request("a1", { agent: "agent:alice" })))).toBe("invalid");
    expect(codeOf(() => store.createApproval(request("a1", { expiresAt: T0 })))).toBe("invalid");
    expect(codeOf(() => store.createApproval(request("bad id!")))).toBe("invalid");
    store.createApproval(request("a1"));
    expect(codeOf(() => store.createApproval(request("a1")))).toBe("conflict");
    store.revokeDelegation(leaf.did, { reason: "x", at: T0 });
    expect(codeOf(() => store.createApproval(request("a2")))).toBe("revoked");
  });
});

describe("signing keys", () => {
  function serviceKey(kid: string): { publicJwk: ServicePublicJwk; privateKeyPkcs8: string } {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const { x } = publicKey.export({ format: "jwk" });
    return {
      publicJwk: { kty: "OKP", crv: "Ed25519", x: x ?? "", kid, alg: "EdDSA", use: "sig" },
      privateKeyPkcs8: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    };
  }

  test("adds keys, serves the newest unretired one as active, and retires once", () => {
    store.addSigningKey({ kid: "k1", ...serviceKey("k1"), createdAt: T0 });
    store.addSigningKey({ kid: "k2", ...serviceKey("k2"), createdAt: T0 + 10 });
    expect(store.activeSigningKey()?.kid).toBe("k2");
    expect(store.retireSigningKey("k2", T0 + 20)).toMatchObject({ kid: "k2", retiredAt: T0 + 20 });
    expect(store.activeSigningKey()?.kid).toBe("k1");
    expect(store.listSigningKeys().map((k) => [k.kid, k.retiredAt])).toEqual([
      ["k2", T0 + 20],
      ["k1", null],
    ]);
    expect(codeOf(() => store.retireSigningKey("k2", T0 + 30))).toBe("conflict");
    expect(codeOf(() => store.retireSigningKey("k9", T0 + 30))).toBe("not_found");
    expect(codeOf(() => store.addSigningKey({ kid: "k1", ...serviceKey("k1"), createdAt: T0 }))).toBe(
      "conflict",
    );
  });

  test("refuses a public key whose kid, alg or use does not match, or a bad private key encoding", () => {
    const key = serviceKey("k1");
    expect(codeOf(() => store.addSigningKey({ kid: "k2", ...key, createdAt: T0 }))).toBe("invalid");
    expect(
      codeOf(() => store.addSigningKey({ kid: "k1", ...key, privateKeyPkcs8: "not base64!", createdAt: T0 })),
    ).toBe("invalid");
    expect(store.activeSigningKey()).toBeUndefined();
  });
});

describe("audiences and settings", () => {
  test("registers an audience once", () => {
    const audience = store.registerAudience({
      id: "github-tools",
      secretHash: "sha256:".padEnd(50, "a"),
      at: T0,
    });
    expect(store.getAudience("github-tools")).toEqual(audience);
    expect(
      codeOf(() => store.registerAudience({ id: "github-tools", secretHash: "x".repeat(20), at: T0 })),
    ).toBe("conflict");
    expect(codeOf(() => store.registerAudience({ id: "*", secretHash: "x".repeat(20), at: T0 }))).toBe(
      "invalid",
    );
    expect(codeOf(() => store.registerAudience({ id: "mail", secretHash: "short", at: T0 }))).toBe("invalid");
  });

  test("sets and overwrites a setting", () => {
    expect(store.getSetting("operator.token_hash")).toBeUndefined();
    store.setSetting("operator.token_hash", "abc", T0);
    store.setSetting("operator.token_hash", "def", T0 + 1);
    expect(store.getSetting("operator.token_hash")).toBe("def");
    expect(codeOf(() => store.setSetting("Bad Key", "x", T0))).toBe("invalid");
  });
});
