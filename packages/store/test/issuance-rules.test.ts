import { type Capability, capsCover } from "@baton/token";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { fakeCompact } from "../src/conformance/fixtures.ts";
import { checkHop, type HopFacts, hopFits } from "../src/issuance-rules.ts";
import type { DelegationRecord } from "../src/store.ts";
import { DID, OTHER_DID, refusal, T0 } from "./refusal.ts";

const PARENT: DelegationRecord = {
  did: OTHER_DID,
  parent: null,
  root: OTHER_DID,
  task: "task-1",
  depth: 0,
  from: null,
  to: "agent:alice",
  intent: null,
  cap: [{ act: "repo.*", res: "repo:acme/**" }],
  aud: ["repo-tool"],
  mdp: 3,
  exp: T0 + 3600,
  rvi: null,
  createdAt: T0,
  status: "live",
  revokedAt: null,
  revokeReason: null,
  revokeCause: null,
  revocationSeq: null,
  statusEntry: null,
} as DelegationRecord;

function hop(overrides: Record<string, unknown> = {}) {
  const exp = (overrides.exp as number | undefined) ?? T0 + 1800;
  return checkHop({
    delegation: {
      did: DID,
      parent: OTHER_DID,
      from: "agent:alice",
      to: "agent:bob",
      task: "task-1",
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      mdp: 2,
      exp,
      depth: 1,
      ...overrides,
    },
    token: {
      jti: "CCCCCCCCCCCCCCCCCCCCCA",
      compact: fakeCompact({ did: DID }),
      iat: T0,
      exp,
      rvl: Math.min(T0 + 600, exp),
      prf: `${"A".repeat(42)}E`,
    },
    at: T0,
  });
}

const FACTS: HopFacts = {
  parent: PARENT,
  delegationExists: false,
  jtiExists: false,
  from: { id: "agent:alice", status: "active" },
  to: { id: "agent:bob", status: "active" },
  cycleAt: undefined,
  statusEntry: undefined,
  prfRecorded: true,
  task: { status: "open" },
};

describe("a hop below its parent", () => {
  it("fits when it narrows a live parent of the same task", () => {
    expect(() => hopFits(hop(), FACTS)).not.toThrow();
  });

  it.each([
    ["an unknown parent", {}, { parent: undefined }, "not_found", "hop.delegation.parent"],
    ["a did already taken", {}, { delegationExists: true }, "conflict", "hop.delegation.did"],
    ["a jti already recorded", {}, { jtiExists: true }, "conflict", "hop.token.jti"],
    ["an unregistered holder", {}, { to: undefined }, "not_found", "hop.delegation.to"],
    ["another task", { task: "task-2" }, {}, "invalid", "hop.delegation.task"],
    ["a skipped level", { depth: 2 }, {}, "invalid", "hop.delegation.depth"],
    [
      "a delegator who does not hold the parent",
      { from: "agent:carol" },
      {},
      "invalid",
      "hop.delegation.from",
    ],
    ["a depth budget as wide as the parent's", { mdp: 3 }, {}, "invalid", "hop.delegation.mdp"],
    ["a later expiry", { exp: T0 + 3601 }, {}, "invalid", "hop.delegation.exp"],
    ["a wider capability", { cap: [{ act: "*", res: "repo:acme/**" }] }, {}, "invalid", "hop.delegation.cap"],
    ["another audience", { aud: ["mail-tool"] }, {}, "invalid", "hop.delegation.aud"],
    ["a holder already on the chain", {}, { cycleAt: OTHER_DID }, "invalid", "hop.delegation.to"],
    ["a prf naming no token of the parent", {}, { prfRecorded: false }, "invalid", "hop.token.prf"],
    [
      "a revoked parent",
      {},
      { parent: { ...PARENT, status: "revoked" } },
      "revoked",
      "hop.delegation.parent",
    ],
    ["a closed task", {}, { task: { status: "completed" } }, "revoked", "hop.delegation.task"],
    [
      "a disabled delegator",
      {},
      { from: { id: "agent:alice", status: "disabled" } },
      "revoked",
      "hop.delegation.from",
    ],
    [
      "a disabled holder",
      {},
      { to: { id: "agent:bob", status: "disabled" } },
      "revoked",
      "hop.delegation.to",
    ],
  ] as const)("refuses %s", (_, hopOverrides, factOverrides, code, field) => {
    expect(refusal(() => hopFits(hop(hopOverrides), { ...FACTS, ...factOverrides }))).toMatchObject({
      code,
      field,
    });
  });

  it("refuses delegating to oneself before it reads the graph", () => {
    expect(refusal(() => hop({ to: "agent:alice" }))).toMatchObject({
      code: "invalid",
      field: "hop.delegation.to",
    });
  });

  it("checks the shape before liveness, so a widening hop under a revoked parent is reported as widening", () => {
    const widening = hop({ cap: [{ act: "*", res: "**" }] });
    expect(
      refusal(() => hopFits(widening, { ...FACTS, parent: { ...PARENT, status: "revoked" } })).field,
    ).toBe("hop.delegation.cap");
  });
});

const action = fc.constantFrom("repo.*", "repo.issues.*", "repo.issues.close", "repo.read", "mail.send", "*");
const resource = fc.constantFrom(
  "repo:acme/**",
  "repo:acme/web/**",
  "repo:acme/web/issues/1",
  "repo:other/**",
  "**",
);
const capability = fc.record({ act: action, res: resource });

describe("attenuation, for any capabilities", () => {
  test.prop([
    fc.array(capability, { minLength: 1, maxLength: 4 }),
    fc.array(capability, { minLength: 1, maxLength: 4 }),
  ])(
    "a hop fits exactly when the parent's capabilities cover every one of the hop's",
    (parentCaps: Capability[], hopCaps: Capability[]) => {
      const covered = capsCover(parentCaps, hopCaps).length === 0;
      const attempt = () =>
        hopFits(hop({ cap: hopCaps }), { ...FACTS, parent: { ...PARENT, cap: parentCaps } });
      if (covered) expect(attempt).not.toThrow();
      else expect(refusal(attempt).field).toBe("hop.delegation.cap");
    },
  );

  test.prop([fc.array(capability, { minLength: 1, maxLength: 4 })])(
    "a hop that repeats any subset of its parent's capabilities always fits",
    (parentCaps: Capability[]) => {
      const subset = parentCaps.filter((_, i) => i % 2 === 0);
      expect(() =>
        hopFits(hop({ cap: subset }), { ...FACTS, parent: { ...PARENT, cap: parentCaps } }),
      ).not.toThrow();
    },
  );

  test.prop([fc.integer({ min: 1, max: 10_000 })])("any expiry past the parent's is refused", (late) => {
    expect(refusal(() => hopFits(hop({ exp: PARENT.exp + late }), FACTS)).field).toBe("hop.delegation.exp");
  });
});
