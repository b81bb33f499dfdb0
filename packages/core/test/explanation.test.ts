/**
 * "Why was this allowed?" assembled from facts (issue 22): the proof of an allow hop by hop, and
 * the first failing hop of a refusal with every failed check and its evidence.
 */
import type { DecisionRecord, DelegationRecord, TokenRecord } from "@baton/store/contract";
import { describe, expect, test } from "vitest";
import { explainDecision, type HopFacts } from "../src/explanation.ts";

const AT = 1_800_000_000;

function delegation(fields: Partial<DelegationRecord> & Pick<DelegationRecord, "did">): DelegationRecord {
  return {
    parent: null,
    root: "root",
    task: "task-1",
    depth: 0,
    from: null,
    to: "agent:lead",
    intent: null,
    cap: [{ act: "repo.*", res: "repo:acme/**" }],
    aud: ["repo-tool"],
    mdp: 3,
    exp: AT + 3600,
    rvi: 600,
    createdAt: AT - 60,
    status: "live",
    revokedAt: null,
    revokeReason: null,
    revokeCause: null,
    revocationSeq: null,
    statusEntry: null,
    ...fields,
  };
}

function token(did: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    jti: `${did}-1`,
    did,
    version: 1,
    supersedes: null,
    prf: null,
    hash: "h",
    iat: AT - 60,
    exp: AT + 3000,
    rvl: AT + 300,
    compact: "x",
    recordedAt: AT - 60,
    ...fields,
  };
}

function decision(fields: Partial<DecisionRecord>): DecisionRecord {
  return {
    id: 1,
    at: AT,
    kind: "verify",
    decision: "allow",
    task: "task-1",
    did: "child",
    jti: "child-1",
    agent: "agent:coder",
    audience: "repo-tool",
    action: "repo.issues.read",
    resource: "repo:acme/web/issues/1",
    reasons: [],
    detail: { policies: ["baseline-permit"] },
    format: 2,
    reporter: "service",
    actorProven: true,
    argsDigest: null,
    chain: [
      { did: "root", sub: "agent:lead", verified: true },
      { did: "child", sub: "agent:coder", verified: true },
    ],
    prevHash: "0".repeat(64),
    hash: "a".repeat(64),
    ...fields,
  };
}

const root = delegation({ did: "root" });
const child = delegation({
  did: "child",
  parent: "root",
  depth: 1,
  from: "agent:lead",
  to: "agent:coder",
  cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
  exp: AT + 1800,
});
const hops = (childFields: Partial<DelegationRecord> = {}): HopFacts[] => [
  { did: "root", delegation: root, versions: [token("root")] },
  { did: "child", delegation: { ...child, ...childFields }, versions: [token("child")] },
];

describe("explainDecision", () => {
  test("proves an allow: each capability's cover, the times against their bounds, revocation then, the policy", () => {
    const explanation = explainDecision({ decision: decision({}), hops: hops(), task: undefined });
    expect(explanation.question).toBe("Why was this allowed?");
    expect(explanation.firstFailingHop).toBeNull();
    expect(explanation.hops.map((hop) => hop.ok)).toEqual([true, true]);
    expect(explanation.hops[1]?.coverage).toEqual([
      expect.objectContaining({ coveredBy: { act: "repo.*", res: "repo:acme/**" }, ok: true }),
    ]);
    expect(explanation.hops[1]?.times.map((t) => [t.check, t.ok])).toEqual([
      ["issued", true],
      ["expires", true],
      ["revalidate_by", true],
      ["within_parent", true],
    ]);
    expect(explanation.policyText).toBe("permitted by policy baseline-permit");
  });

  test("says a hop revoked after the decision was live then, one revoked before was not, and a tie is a tie", () => {
    const later = explainDecision({
      decision: decision({}),
      hops: hops({ status: "revoked", revokedAt: AT + 10, revokeReason: "oops" }),
      task: undefined,
    });
    expect(later.hops[1]?.revocation).toMatchObject({ state: "revoked_later" });
    expect(later.hops[1]?.ok).toBe(true);
    const before = explainDecision({
      decision: decision({}),
      hops: hops({ status: "revoked", revokedAt: AT - 10 }),
      task: undefined,
    });
    expect(before.hops[1]?.revocation).toMatchObject({ state: "revoked" });
    expect(before.hops[1]?.ok).toBe(false);
    // Whole seconds cannot order a revocation and a decision in the same second: it says so.
    const same = explainDecision({
      decision: decision({}),
      hops: hops({ status: "revoked", revokedAt: AT }),
      task: undefined,
    });
    expect(same.hops[1]?.revocation?.state).toBe("same_second");
    expect(same.hops[1]?.revocation?.text).toContain("the decision log's order says which came first");
  });

  test("gives a deny's first failing hop with every failed check and its evidence, and stops there", () => {
    const explanation = explainDecision({
      decision: decision({
        decision: "deny",
        reasons: [
          {
            hop: 1,
            code: "audience_mismatch",
            message: "not for mail-tool",
            claim: "aud",
            evidence: { aud: ["repo-tool"] },
          },
          {
            hop: 1,
            code: "action_not_permitted",
            message: "not allowed",
            claim: "cap",
            evidence: { action: "x" },
          },
          { hop: null, code: "proof_replayed", message: "seen before" },
        ],
      }),
      hops: [...hops(), { did: "grandchild", delegation: undefined, versions: [] }],
      task: undefined,
    });
    expect(explanation.question).toBe("Why was this denied?");
    expect(explanation.firstFailingHop).toBe(1);
    expect(explanation.hops).toHaveLength(2);
    expect(explanation.hops[1]?.failed).toEqual([
      {
        code: "audience_mismatch",
        message: "not for mail-tool",
        claim: "aud",
        evidence: { aud: ["repo-tool"] },
        policies: [],
      },
      {
        code: "action_not_permitted",
        message: "not allowed",
        claim: "cap",
        evidence: { action: "x" },
        policies: [],
      },
    ]);
    expect(explanation.chainFailures.map((f) => f.code)).toEqual(["proof_replayed"]);
    expect(explanation.summary).toContain("at hop 1 (agent:coder): audience_mismatch, action_not_permitted");
  });

  test("marks a capability no parent capability covers", () => {
    const explanation = explainDecision({
      decision: decision({}),
      hops: hops({ cap: [{ act: "mail.send", res: "mailbox:acme/**" }] }),
      task: undefined,
    });
    expect(explanation.hops[1]?.coverage[0]).toMatchObject({ coveredBy: null, ok: false });
    expect(explanation.hops[1]?.ok).toBe(false);
  });
});
