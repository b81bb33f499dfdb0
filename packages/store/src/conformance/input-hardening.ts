/**
 * The store's own line of defence (issues 13 and 14): whatever a caller sends, free text with
 * control, line-break or bidi-control characters and text that is not well-formed Unicode never
 * reach a table; look-alike agent ids and shared keys are refused in the registration's
 * transaction; one delegation's pending approvals are capped.
 */
import { beforeEach, describe, expect, test } from "vitest";
import {
  agentKey,
  codeOf,
  grant,
  grantInput,
  HOSTILE_TEXT as HOSTILE,
  ILL_FORMED_TEXT as ILL_FORMED,
  registerAgents,
  T0,
} from "./fixtures.ts";
import { type ConformanceFactory, type ConformanceStore, useSubject } from "./subject.ts";

/** Free text, look-alike identities, shared keys and the pending-approval cap (issues 13 and 14). */
export function inputHardeningConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  let store: ConformanceStore;

  beforeEach(() => {
    store = ctx.store;
  });

  describe("free text at the store boundary", () => {
    test("refuses hostile or ill-formed names, intents, reasons and decision text with invalid", async () => {
      const [alice] = await registerAgents(store, "alice");
      const root = await grant(store, alice);
      for (const text of [...HOSTILE, ...ILL_FORMED]) {
        const what = JSON.stringify(text);
        expect(
          await codeOf(async () => store.registerAgent({ id: "agent:n", ...agentKey(), name: text, at: T0 })),
          what,
        ).toBe("invalid");
        expect(
          await codeOf(async () =>
            store.registerAgent({ id: "agent:o", ...agentKey(), owner: text, at: T0 }),
          ),
          what,
        ).toBe("invalid");
        const input = grantInput(alice);
        expect(
          await codeOf(async () =>
            store.recordGrant({
              ...input,
              delegation: { ...input.delegation, task: { id: "task-x", intent: text } },
            }),
          ),
          what,
        ).toBe("invalid");
        expect(
          await codeOf(async () => store.revokeDelegation(root.did, { reason: text, at: T0 })),
          what,
        ).toBe("invalid");
        expect(
          await codeOf(async () =>
            store.appendDecision({ at: T0, kind: "verify", decision: "deny", action: text, reasons: [] }),
          ),
          what,
        ).toBe("invalid");
      }
      expect(await store.listAgents()).toHaveLength(1);
      expect((await store.getDelegation(root.did))?.status).toBe("live");
      expect(await store.verifyDecisionLog()).toMatchObject({ ok: true, rows: 0 });
    });
  });

  describe("look-alike identities", () => {
    test("refuses an id equal to a registered one ignoring case with agent_id_lookalike", async () => {
      await store.registerAgent({ id: "agent:bob", ...agentKey(), at: T0 });
      expect(await codeOf(async () => store.registerAgent({ id: "agent:Bob", ...agentKey(), at: T0 }))).toBe(
        "agent_id_lookalike",
      );
      expect((await store.listAgents()).map((agent) => agent.id)).toEqual(["agent:bob"]);
    });

    test("refuses a key registered to another agent with agent_key_in_use, even once it is disabled", async () => {
      const key = agentKey();
      await store.registerAgent({ id: "agent:alice", ...key, at: T0 });
      expect(await codeOf(async () => store.registerAgent({ id: "agent:mallory", ...key, at: T0 }))).toBe(
        "agent_key_in_use",
      );
      await store.disableAgent("agent:alice", { reason: "left", at: T0 });
      expect(await codeOf(async () => store.registerAgent({ id: "agent:mallory", ...key, at: T0 }))).toBe(
        "agent_key_in_use",
      );
    });
  });

  describe("pending approvals per delegation", () => {
    test("refuses one more than maxPending with approval_limit, and counts only pending, unexpired ones", async () => {
      const [alice] = await registerAgents(store, "alice");
      const root = await grant(store, alice);
      const ask = async (n: number, at = T0) =>
        store.createApproval({
          id: `apv-${n}`,
          did: root.did,
          agent: alice,
          task: root.task,
          action: "repo.issues.delete",
          resource: `repo:acme/web/issues/${n}`,
          reason: "deleting needs an operator",
          at,
          expiresAt: at + 60,
          maxPending: 2,
        });
      await ask(1);
      await ask(2);
      expect(await codeOf(async () => ask(3))).toBe("approval_limit");
      await store.decideApproval("apv-1", { decision: "denied", by: "operator", at: T0 });
      await ask(3);
      // Once the pending ones expire, they no longer count.
      await ask(4, T0 + 120);
      await ask(5, T0 + 120);
      expect(await codeOf(async () => ask(6, T0 + 120))).toBe("approval_limit");
    });
  });
}
