/**
 * Step-up approvals in `apv`: an id is bound to one delegation, action and resource, and the
 * verifier hands policy only the ids that cover the call being made by the leaf's own `did`.
 */
import { describe, expect, it } from "vitest";
import { approvalCovers, approvalsFor, newApprovalId } from "../src/approvals.ts";
import type { PolicyContext, PolicyHook } from "../src/policy-hook.ts";
import { ReplayCache } from "../src/replay-cache.ts";
import { verifyPresentation } from "../src/verify-chain.ts";
import { alice, bob, carol, ISSUER, mintChain, NOW, presentation, service } from "./fixtures.ts";

const subject = { did: "didA", action: "repo.issues.delete", resource: "repo:acme/web/issues/1" };

describe("approval ids", () => {
  it("cover exactly the delegation, action and resource they were issued for", () => {
    const id = newApprovalId(subject);
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(approvalCovers(id, subject)).toBe(true);
    expect(approvalCovers(id, { ...subject, did: "didB" })).toBe(false);
    expect(approvalCovers(id, { ...subject, action: "repo.issues.create" })).toBe(false);
    expect(approvalCovers(id, { ...subject, resource: "repo:acme/web/issues/2" })).toBe(false);
  });

  it("are fresh each time, and a made-up id covers nothing", () => {
    expect(newApprovalId(subject)).not.toBe(newApprovalId(subject));
    expect(approvalCovers("ap-not-an-approval", subject)).toBe(false);
    expect(approvalCovers(`${newApprovalId(subject)}x`, subject)).toBe(false);
  });

  it("count only when they sit in the token of the did they name", () => {
    const forA = newApprovalId(subject);
    expect(approvalsFor({ did: "didA", apv: [forA] }, subject.action, subject.resource)).toEqual([forA]);
    expect(approvalsFor({ did: "didB", apv: [forA] }, subject.action, subject.resource)).toEqual([]);
    expect(approvalsFor({ did: "didA" }, subject.action, subject.resource)).toEqual([]);
  });
});

describe("verifyPresentation and approvals", () => {
  function decide(apvFor: (leafDid: string) => string[]) {
    const seen: PolicyContext[] = [];
    const policy: PolicyHook = (context) => {
      seen.push(context);
      return (context.approved ?? []).length > 0 ? { decision: "allow" } : { decision: "step_up" };
    };
    const plain = mintChain({ holder: alice }, { holder: bob }, { holder: carol });
    const leafDid = plain.leaf.claims.did as string;
    const chain = mintChain(
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { did: leafDid, apv: apvFor(leafDid) } },
    );
    const request = presentation(chain, { action: subject.action, resource: subject.resource });
    const decision = verifyPresentation(request, {
      now: NOW,
      issuer: ISSUER,
      resolveKey: (kid) => (kid === service.kid ? service.publicKey : undefined),
      status: (hops) => hops.map(() => undefined),
      clockSkewSeconds: 30,
      maxChainLength: 16,
      maxTokenBytes: 8192,
      audience: "repo-tool",
      replayCache: new ReplayCache(10, 90),
      proofMaxAgeSeconds: 60,
      policy,
    });
    return { decision, seen };
  }

  it("hands policy the leaf's approval for this call, which lifts the step-up", () => {
    let id = "";
    const { decision, seen } = decide((did) => {
      id = newApprovalId({ did, action: subject.action, resource: subject.resource });
      return [id];
    });
    expect(seen[0]?.approved).toEqual([id]);
    expect(decision.decision).toBe("allow");
  });

  it("does not count an approval issued for another delegation", () => {
    const { decision, seen } = decide(() => [newApprovalId({ ...subject, did: "someone-else" })]);
    expect(seen[0]?.approved).toEqual([]);
    expect(decision.decision).toBe("step_up");
    expect(decision.reasons.map((reason) => reason.code)).toEqual(["step_up_required"]);
  });

  it("does not count an approval for another action of the same delegation", () => {
    const { decision } = decide((did) => [
      newApprovalId({ did, action: "repo.issues.create", resource: subject.resource }),
    ]);
    expect(decision.decision).toBe("step_up");
  });
});
