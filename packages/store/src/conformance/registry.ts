import { generateKeyPairSync } from "node:crypto";
import { randomId, type ServicePublicJwk } from "@baton/token";
import { beforeEach, describe, expect, test } from "vitest";
import { agentKey, codeOf, grant, hop, type Issued, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** Agents, approvals, signing keys, audiences and settings. */
export function registryConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;

  beforeEach(() => {
    store = ctx.store;
  });

  describe("agents", () => {
    test("registers an agent with its key and reads it back", async () => {
      const key = agentKey();
      const agent = await store.registerAgent({
        id: "agent:alice",
        ...key,
        name: "Alice",
        owner: "team-a",
        at: T0,
      });
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
      expect(await store.getAgent("agent:alice")).toEqual(agent);
      expect(await store.getAgent("agent:nobody")).toBeUndefined();
    });

    test("accepts SPIFFE ids and lists agents by id", async () => {
      await store.registerAgent({ id: "spiffe://acme.org/ns/prod/planner", ...agentKey(), at: T0 });
      await store.registerAgent({ id: "agent:zed", ...agentKey(), at: T0 });
      expect((await store.listAgents()).map((a) => a.id)).toEqual([
        "agent:zed",
        "spiffe://acme.org/ns/prod/planner",
      ]);
    });

    test("refuses a duplicate id with conflict", async () => {
      await store.registerAgent({ id: "agent:alice", ...agentKey(), at: T0 });
      expect(
        await codeOf(async () => store.registerAgent({ id: "agent:alice", ...agentKey(), at: T0 })),
      ).toBe("conflict");
    });

    test("refuses an unsound key, a thumbprint that does not match, or a bad id", async () => {
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
      for (const input of attempts)
        expect(await codeOf(async () => store.registerAgent(input as never))).toBe("invalid");
      expect(await store.listAgents()).toEqual([]);
    });
  });

  describe("approvals", () => {
    let leaf: Issued;
    let bob: string;

    beforeEach(async () => {
      const [alice, b] = await registerAgents(store, "alice", "bob");
      bob = b;
      leaf = await hop(store, await grant(store, alice), bob);
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

    test("creates a pending approval and decides it once", async () => {
      expect(await store.createApproval(request("apv_1"))).toMatchObject({
        id: "apv_1",
        status: "pending",
        decidedAt: null,
      });
      const decided = await store.decideApproval("apv_1", {
        decision: "approved",
        by: "operator:ops",
        at: T0 + 10,
      });
      expect(decided).toMatchObject({ status: "approved", decidedAt: T0 + 10, decidedBy: "operator:ops" });
      expect(
        await codeOf(async () =>
          store.decideApproval("apv_1", { decision: "denied", by: "ops", at: T0 + 11 }),
        ),
      ).toBe("conflict");
      expect(
        await codeOf(async () =>
          store.decideApproval("apv_x", { decision: "denied", by: "ops", at: T0 + 11 }),
        ),
      ).toBe("not_found");
    });

    test("refuses to decide an expired approval", async () => {
      await store.createApproval(request("apv_1"));
      expect(
        await codeOf(async () =>
          store.decideApproval("apv_1", { decision: "approved", by: "ops", at: T0 + 600 }),
        ),
      ).toBe("conflict");
      expect((await store.getApproval("apv_1"))?.status).toBe("pending");
    });

    test("lists approvals by status and finds the approved, unexpired ones for a did", async () => {
      await store.createApproval(request("a1"));
      await store.createApproval(request("a2", { at: T0 + 1, expiresAt: T0 + 100 }));
      await store.createApproval(request("a3", { at: T0 + 2 }));
      await store.decideApproval("a1", { decision: "approved", by: "ops", at: T0 + 5 });
      await store.decideApproval("a2", { decision: "approved", by: "ops", at: T0 + 5 });
      await store.decideApproval("a3", { decision: "denied", by: "ops", at: T0 + 5 });
      expect((await store.listApprovals({ status: "approved" })).map((a) => a.id)).toEqual(["a2", "a1"]);
      expect((await store.listApprovals()).map((a) => a.id)).toEqual(["a3", "a2", "a1"]);
      expect((await store.activeApprovals(leaf.did, T0 + 50)).map((a) => a.id)).toEqual(["a1", "a2"]);
      expect((await store.activeApprovals(leaf.did, T0 + 100)).map((a) => a.id)).toEqual(["a1"]);
      expect(await store.activeApprovals(randomId(), T0)).toEqual([]);
    });

    test("finds the pending, unexpired request for exactly one call on a did, and nothing else", async () => {
      const call = { did: leaf.did, action: "github.repo.delete", resource: "repo:acme/web" };
      expect(await store.pendingApproval(call, T0)).toBeUndefined();
      await store.createApproval(request("p1"));
      expect((await store.pendingApproval(call, T0 + 1))?.id).toBe("p1");
      expect(await store.pendingApproval({ ...call, action: "github.repo.archive" }, T0 + 1)).toBeUndefined();
      expect(await store.pendingApproval({ ...call, resource: "repo:acme/api" }, T0 + 1)).toBeUndefined();
      expect(await store.pendingApproval({ ...call, did: randomId() }, T0 + 1)).toBeUndefined();
      expect(await store.pendingApproval(call, T0 + 600)).toBeUndefined();
      await store.decideApproval("p1", { decision: "denied", by: "ops", at: T0 + 2 });
      expect(await store.pendingApproval(call, T0 + 3)).toBeUndefined();
      expect(await codeOf(async () => store.pendingApproval({ ...call, did: "not a did" }, T0))).toBe(
        "invalid",
      );
    });

    test("refuses an approval that does not fit its delegation, or for a revoked one", async () => {
      expect(await codeOf(async () => store.createApproval(request("a1", { did: randomId() })))).toBe(
        "not_found",
      );
      expect(await codeOf(async () => store.createApproval(request("a1", { agent: "agent:alice" })))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.createApproval(request("a1", { expiresAt: T0 })))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.createApproval(request("bad id!")))).toBe("invalid");
      await store.createApproval(request("a1"));
      expect(await codeOf(async () => store.createApproval(request("a1")))).toBe("conflict");
      await store.revokeDelegation(leaf.did, { reason: "x", at: T0 });
      expect(await codeOf(async () => store.createApproval(request("a2")))).toBe("revoked");
    });
  });

  describe("signing keys", () => {
    function serviceKey(kid: string): { publicJwk: ServicePublicJwk; privateKeyPkcs8: string } {
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      const { x } = publicKey.export({ format: "jwk" });
      return {
        publicJwk: { kty: "OKP", crv: "Ed25519", x: x ?? "", kid, alg: "Ed25519", use: "sig" },
        privateKeyPkcs8: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
      };
    }

    test("adds keys, serves the newest unretired one as active, and retires once", async () => {
      await store.addSigningKey({ kid: "k1", ...serviceKey("k1"), createdAt: T0 });
      await store.addSigningKey({ kid: "k2", ...serviceKey("k2"), createdAt: T0 + 10 });
      expect((await store.activeSigningKey())?.kid).toBe("k2");
      expect(await store.retireSigningKey("k2", T0 + 20)).toMatchObject({ kid: "k2", retiredAt: T0 + 20 });
      expect((await store.activeSigningKey())?.kid).toBe("k1");
      expect((await store.listSigningKeys()).map((k) => [k.kid, k.retiredAt])).toEqual([
        ["k2", T0 + 20],
        ["k1", null],
      ]);
      expect(await codeOf(async () => store.retireSigningKey("k2", T0 + 30))).toBe("conflict");
      expect(await codeOf(async () => store.retireSigningKey("k9", T0 + 30))).toBe("not_found");
      expect(
        await codeOf(async () => store.addSigningKey({ kid: "k1", ...serviceKey("k1"), createdAt: T0 })),
      ).toBe("conflict");
    });

    test("refuses a public key whose kid, alg or use does not match, or a bad private key encoding", async () => {
      const key = serviceKey("k1");
      expect(await codeOf(async () => store.addSigningKey({ kid: "k2", ...key, createdAt: T0 }))).toBe(
        "invalid",
      );
      expect(
        await codeOf(async () =>
          store.addSigningKey({ kid: "k1", ...key, privateKeyPkcs8: "not base64!", createdAt: T0 }),
        ),
      ).toBe("invalid");
      expect(await store.activeSigningKey()).toBeUndefined();
    });
  });

  describe("audiences and settings", () => {
    test("registers an audience once", async () => {
      const audience = await store.registerAudience({
        id: "github-tools",
        secretHash: "sha256:".padEnd(50, "a"),
        at: T0,
      });
      expect(await store.getAudience("github-tools")).toEqual(audience);
      expect(
        await codeOf(async () =>
          store.registerAudience({ id: "github-tools", secretHash: "x".repeat(20), at: T0 }),
        ),
      ).toBe("conflict");
      expect(
        await codeOf(async () => store.registerAudience({ id: "*", secretHash: "x".repeat(20), at: T0 })),
      ).toBe("invalid");
      expect(
        await codeOf(async () => store.registerAudience({ id: "mail", secretHash: "short", at: T0 })),
      ).toBe("invalid");
    });

    test("sets and overwrites a setting", async () => {
      expect(await store.getSetting("operator.token_hash")).toBeUndefined();
      await store.setSetting("operator.token_hash", "abc", T0);
      await store.setSetting("operator.token_hash", "def", T0 + 1);
      expect(await store.getSetting("operator.token_hash")).toBe("def");
      expect(await codeOf(async () => store.setSetting("Bad Key", "x", T0))).toBe("invalid");
    });
  });
}
