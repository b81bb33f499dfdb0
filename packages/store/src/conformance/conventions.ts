import { generateKeyPairSync } from "node:crypto";
import { randomId, type ServicePublicJwk } from "@baton/token";
import { beforeEach, describe, expect, test } from "vitest";
import { isStoreError, STORE_ERROR_CODES } from "../store-error.ts";
import { codeOf, fakeCompact, grant, hop, type Issued, registerAgents, T0 } from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** A service signing key pair as the service would store it (unsealed, base64 PKCS#8 DER). */
function serviceKey(kid: string): { publicJwk: ServicePublicJwk; privateKeyPkcs8: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const { x } = publicKey.export({ format: "jwk" });
  return {
    publicJwk: { kty: "OKP", crv: "Ed25519", x: x ?? "", kid, alg: "Ed25519", use: "sig" },
    privateKeyPkcs8: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
  };
}

/** A private half sealed under a key-encryption key, in the `kek1:` shape the service writes. */
function sealed(): string {
  return `kek1:${"k".repeat(11)}:${randomId().slice(0, 16)}:${Buffer.alloc(48, 7).toString("base64url")}`;
}

/**
 * The port's conventions (promises, `StoreError` codes, health), and the rules the moved SQLite
 * tests did not cover: revalidation's refusals, revocation causes, audited writes that write
 * nothing, a large cascade, list limits and the signing keys' material replacement.
 */
export function conventionsConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;
  let alice: string;
  let bob: string;
  let carol: string;

  beforeEach(async () => {
    store = ctx.store;
    [alice, bob, carol] = await registerAgents(store, "alice", "bob", "carol");
  });

  describe("the port's conventions", () => {
    test("refuses with a rejected promise, never a synchronous throw", async () => {
      let answer: Promise<unknown> | undefined;
      expect(() => {
        answer = store.revokeDelegation("not a did", { reason: "test", at: 1 });
      }).not.toThrow();
      const refusal = await answer?.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isStoreError(refusal, "invalid")).toBe(true);
    });

    test("refuses with a StoreError whose code is one of STORE_ERROR_CODES", async () => {
      const refusals = await Promise.allSettled([
        store.chainStatus(["x"]),
        store.revokeDelegation(randomId(), { reason: "x", at: T0 }),
        store.registerAgent({ id: alice, jwk: { kty: "OKP", crv: "Ed25519", x: "" }, jkt: "", at: T0 }),
      ]);
      for (const refusal of refusals) {
        expect(refusal.status).toBe("rejected");
        const error = (refusal as PromiseRejectedResult).reason as unknown;
        expect(isStoreError(error)).toBe(true);
        if (!isStoreError(error)) continue;
        expect(STORE_ERROR_CODES).toContain(error.code);
        expect(error.message.length).toBeGreaterThan(0);
        expect(error.toJSON()).toMatchObject({ code: error.code, message: error.message });
      }
    });

    test("reports itself healthy with the schema version it runs", async () => {
      const health = await store.health();
      expect(health.ok).toBe(true);
      expect(health.schemaVersion).toMatch(/^\S+$/);
    });

    test("refuses a list limit outside 1 to 1000", async () => {
      for (const limit of [0, 1001, 1.5, -1]) {
        expect(await codeOf(async () => store.listTasks({ limit }))).toBe("invalid");
        expect(await codeOf(async () => store.listApprovals({ limit }))).toBe("invalid");
      }
      expect(await codeOf(async () => store.listApprovals({ status: "stale" as never }))).toBe("invalid");
      expect(await codeOf(async () => store.revocationsSince(0, 10_001))).toBe("invalid");
      expect(await codeOf(async () => store.revocationsSince(-1))).toBe("invalid");
    });
  });

  describe("revalidation's refusals", () => {
    let root: Issued;
    let toBob: Issued;

    beforeEach(async () => {
      root = await grant(store, alice);
      toBob = await hop(store, root, bob);
    });

    function revalidation(of: Issued, token: Record<string, unknown> = {}, at = T0 + 10) {
      const jti = randomId();
      return {
        did: of.did,
        token: { jti, compact: fakeCompact({ jti }), iat: at, exp: of.exp, rvl: at + 60, ...token },
        at,
      };
    }

    test("refuses a token outliving its delegation, a wrong prf, or an iat before the latest", async () => {
      const prf = { prf: (await store.latestToken(root.did))?.hash };
      const fieldOf = async (input: unknown) => {
        try {
          await store.recordRevalidation(input as never);
        } catch (error) {
          if (isStoreError(error, "invalid")) return error.field;
          throw error;
        }
        throw new Error("expected the revalidation to be refused");
      };
      expect(await fieldOf(revalidation(toBob, { ...prf, exp: toBob.exp + 1 }))).toBe(
        "revalidation.token.exp",
      );
      expect(await fieldOf(revalidation(root, prf))).toBe("revalidation.token.prf");
      expect(await fieldOf(revalidation(toBob))).toBe("revalidation.token.prf");
      expect(await fieldOf(revalidation(toBob, { prf: "A".repeat(43) }))).toBe("revalidation.token.prf");
      expect(await fieldOf(revalidation(toBob, prf, T0 - 1))).toBe("revalidation.token.iat");
      expect((await store.tokenVersions(toBob.did)).map((t) => t.version)).toEqual([1]);
    });

    test("refuses to re-issue in a closed task or to a disabled agent with revoked", async () => {
      const other = await hop(store, await grant(store, alice), carol);
      const prfOf = async (did: string) => ({ prf: (await store.latestToken(did))?.hash });
      await store.disableAgent(bob, { reason: "left", at: T0 + 1 });
      expect(
        await codeOf(async () => store.recordRevalidation(revalidation(toBob, await prfOf(root.did)))),
      ).toBe("revoked");
      const parent = (await store.getDelegation(other.did))?.parent ?? "";
      const prf = await prfOf(parent);
      await store.completeTask(other.task, { at: T0 + 2 });
      expect(await codeOf(async () => store.recordRevalidation(revalidation(other, prf)))).toBe("revoked");
      expect(await store.tokenVersions(other.did)).toHaveLength(1);
    });
  });

  describe("revocation causes and reasons", () => {
    test("records on each revoked delegation and in the feed why, when and what the revocation targeted", async () => {
      const byDelegation = await hop(store, await grant(store, alice), bob);
      const byAgent = await hop(store, await grant(store, alice), carol);
      const byTask = await grant(store, bob);
      await store.revokeDelegation(byDelegation.did, { reason: "leaked token", at: T0 + 1 });
      await store.revokeAgent(carol, { reason: "rotated key", at: T0 + 2 });
      await store.revokeTask(byTask.task, { reason: "cancelled", at: T0 + 3 });
      const expected = [
        [byDelegation.did, `delegation:${byDelegation.did}`, "leaked token", T0 + 1, 1],
        [byAgent.did, `agent:${carol}`, "rotated key", T0 + 2, 2],
        [byTask.did, `task:${byTask.task}`, "cancelled", T0 + 3, 3],
      ] as const;
      for (const [did, cause, reason, at, seq] of expected) {
        expect(await store.getDelegation(did)).toMatchObject({
          status: "revoked",
          revokeCause: cause,
          revokeReason: reason,
          revokedAt: at,
          revocationSeq: seq,
        });
        expect((await store.chainStatus([did]))[0]).toEqual({
          did,
          live: false,
          problem: "revoked",
          since: at,
          reason,
          revocationSeq: seq,
        });
      }
      const feed = await store.revocationsSince(0);
      expect(feed.items.map(({ seq, did, at, reason }) => [did, reason, at, seq])).toEqual(
        expected.map(([did, , reason, at, seq]) => [did, reason, at, seq]),
      );
      expect(feed).toMatchObject({ head: 3, next: null });
      expect(await store.revocationsSince(3)).toMatchObject({ items: [], head: 3, next: null });
    });

    test("revokes nothing and logs nothing when the revocation's audit is invalid", async () => {
      const root = await grant(store, alice);
      await hop(store, root, bob);
      const audit = { at: T0, kind: "Not A Kind", decision: "allow" as const, reasons: [] };
      expect(await codeOf(async () => store.revokeDelegation(root.did, { reason: "x", at: T0, audit }))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.revokeAgent(bob, { reason: "x", at: T0, audit }))).toBe(
        "invalid",
      );
      expect(await codeOf(async () => store.revokeTask(root.task, { reason: "x", at: T0, audit }))).toBe(
        "invalid",
      );
      expect((await store.taskTree(root.task)).map((d) => d.status)).toEqual(["live", "live"]);
      expect((await store.revocationsSince(0)).head).toBe(0);
      expect((await store.verifyDecisionLog()).rows).toBe(0);
    });

    test("cascades over a large subtree in one call, parents before children, with a gap-free feed", async () => {
      // A binary tree seven levels deep, each level held by agents of its own (no cycles).
      const root = await grant(store, alice, { mdp: 8 });
      let level: Issued[] = [root];
      const parentOf = new Map<string, string>();
      for (let depth = 1; depth <= 7; depth++) {
        const holders = await registerAgents(store, `level${depth}-left`, `level${depth}-right`);
        const next: Issued[] = [];
        for (const parent of level) {
          for (const to of holders) {
            const child = await hop(store, parent, to);
            parentOf.set(child.did, parent.did);
            next.push(child);
          }
        }
        level = next;
      }
      const size = (await store.taskTree(root.task)).length;
      expect(size).toBe(255);
      const result = await store.revokeDelegation(root.did, { reason: "incident", at: T0 });
      expect(result.revoked).toHaveLength(size);
      expect(new Set(result.revoked).size).toBe(size);
      const position = new Map(result.revoked.map((did, i) => [did, i]));
      for (const [child, parent] of parentOf)
        expect(position.get(parent) ?? Number.POSITIVE_INFINITY).toBeLessThan(position.get(child) ?? -1);
      expect((await store.taskTree(root.task)).filter((d) => d.status === "live")).toEqual([]);
      const feed = await store.revocationsSince(0, 10_000);
      expect(feed.items.map((item) => item.did)).toEqual(result.revoked);
      expect(feed.items.map((item) => item.seq)).toEqual(result.revoked.map((_, i) => i + 1));
      expect(result.lastSeq).toBe(size);
    });
  });

  describe("signing key material", () => {
    test("replaces the stored private halves all or nothing, and refuses a stale one with conflict", async () => {
      const k1 = serviceKey("k1");
      const k2 = serviceKey("k2");
      await store.addSigningKey({ kid: "k1", ...k1, createdAt: T0 });
      await store.addSigningKey({ kid: "k2", ...k2, createdAt: T0 + 1 });
      const sealed1 = sealed();
      const sealed2 = sealed();
      const material = async () =>
        Object.fromEntries((await store.listSigningKeys()).map((k) => [k.kid, k.privateKeyPkcs8]));

      expect(
        await codeOf(async () =>
          store.replaceSigningKeyMaterial([
            { kid: "k1", from: k1.privateKeyPkcs8, to: sealed1 },
            { kid: "k2", from: k1.privateKeyPkcs8, to: sealed2 },
          ]),
        ),
      ).toBe("conflict");
      expect(await material()).toEqual({ k1: k1.privateKeyPkcs8, k2: k2.privateKeyPkcs8 });

      await store.replaceSigningKeyMaterial([
        { kid: "k1", from: k1.privateKeyPkcs8, to: sealed1 },
        { kid: "k2", from: k2.privateKeyPkcs8, to: sealed2 },
      ]);
      expect(await material()).toEqual({ k1: sealed1, k2: sealed2 });
      expect((await store.activeSigningKey())?.privateKeyPkcs8).toBe(sealed2);
      expect(
        await codeOf(async () =>
          store.replaceSigningKeyMaterial([{ kid: "k1", from: k1.privateKeyPkcs8, to: sealed() }]),
        ),
      ).toBe("conflict");
      expect(
        await codeOf(async () =>
          store.replaceSigningKeyMaterial([{ kid: "k9", from: sealed1, to: sealed() }]),
        ),
      ).toBe("conflict");
      expect(
        await codeOf(async () =>
          store.replaceSigningKeyMaterial([{ kid: "k1", from: sealed1, to: "not base64!" }]),
        ),
      ).toBe("invalid");
      expect(await material()).toEqual({ k1: sealed1, k2: sealed2 });
    });

    test("keeps signing keys across a reopen", async () => {
      await store.addSigningKey({ kid: "k1", ...serviceKey("k1"), createdAt: T0 });
      const reopen = ctx.subject.reopen;
      if (reopen === undefined) return;
      await store.close();
      expect((await (await reopen()).activeSigningKey())?.kid).toBe("k1");
    });
  });
}
