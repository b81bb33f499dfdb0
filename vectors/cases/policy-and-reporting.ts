/**
 * Runtime policy, and what a deny reports.
 */
import { alice, bob, carol } from "../fixed-keys.ts";
import { type Minted, mintChain, NOW } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny } from "./kit.ts";

export async function policyAndReportingCases(kit: CaseKit): Promise<CaseInput[]> {
  const { standard, pair } = kit;
  const [, , t2] = standard.tokens as [Minted, Minted, Minted];
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  // --- runtime policy -------------------------------------------------------------------------
  add({
    name: "policy/denied",
    description: "Every check passes and the runtime policy denies the call.",
    chain: pair,
    environment: { policy: { decision: "deny", policies: ["no-friday-deploys"] } },
    expected: deny([1, "policy_denied"]),
  });
  add({
    name: "policy/step-up",
    description: "Every check passes and the runtime policy asks for an operator's approval.",
    chain: pair,
    environment: { policy: { decision: "step_up", policies: ["approve-deletes"] } },
    expected: { decision: "step_up", reasons: [{ hop: 1, code: "step_up_required" }] },
  });
  add({
    name: "policy/engine-failure",
    description: "The policy engine fails while deciding: the call is refused, never allowed.",
    chain: pair,
    environment: { policy: { decision: "error" } },
    expected: deny([null, "internal"]),
  });

  // --- what a deny reports --------------------------------------------------------------------
  add({
    name: "reporting/every-check-of-the-failing-hop",
    description: "bob's hop changes task, keeps its parent's mdp and widens its scope: all three are named.",
    chain: await mintChain(
      "many-faults",
      { holder: alice, mdp: 3 },
      { holder: bob, mdp: 3, cap: [{ act: "*", res: "**" }], claims: { tsk: "task-other" } },
      { holder: carol, mdp: 1 },
    ),
    expected: deny([1, "task_mismatch"], [1, "depth_exceeded"], [1, "scope_widening"]),
  });
  add({
    name: "reporting/first-failing-hop-only",
    description: "bob's hop expired and carol's widens scope: only the first failing hop (1) is reported.",
    chain: await mintChain(
      "first-only",
      { holder: alice },
      { holder: bob, claims: { exp: NOW - 30, rvl: NOW - 40 } },
      { holder: carol, cap: [{ act: "*", res: "**" }] },
    ),
    expected: deny([1, "expired"]),
  });
  add({
    name: "reporting/proof-not-judged-for-a-refused-chain",
    description: "A revoked chain presented without a proof: the decision names the revocation only.",
    chain: standard,
    proof: null,
    environment: { revocation: { synced_at: NOW, revoked: [t2.claims.did] } },
    expected: deny([2, "revoked"]),
  });
  add({
    name: "reporting/policy-not-consulted-on-deny",
    description: "A denying policy and a leaf for another audience: the decision names the audience only.",
    chain: await mintChain("policy-aud", { holder: alice }, { holder: bob, aud: ["mail-tool"] }),
    environment: { policy: { decision: "deny", policies: ["no-friday-deploys"] } },
    expected: deny([1, "audience_mismatch"]),
  });
  add({
    name: "reporting/request-and-proof-together",
    description: "A call the leaf does not allow, with no proof: both are named at the leaf.",
    chain: standard,
    request: { action: "billing.refund", resource: "billing:acme/invoices" },
    proof: null,
    expected: deny([2, "action_not_permitted"], [2, "pop_missing"]),
  });

  return cases;
}
