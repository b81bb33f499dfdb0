/**
 * The request against the leaf: audience, action, resource and arguments.
 */
import { alice, bob } from "../fixed-keys.ts";
import { mintChain } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny } from "./kit.ts";

export async function requestCases(kit: CaseKit): Promise<CaseInput[]> {
  const { pair, narrowed } = kit;
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  add({
    name: "request/audience-mismatch",
    description: "A chain whose leaf is for mail-tool only, presented to repo-tool.",
    chain: await mintChain("aud-other", { holder: alice }, { holder: bob, aud: ["mail-tool"] }),
    expected: deny([1, "audience_mismatch"]),
  });
  for (const [what, request] of [
    ["other-action", { action: "repo.issues.delete" }],
    ["other-resource", { resource: "repo:acme/api/issues" }],
    ["deeper-resource", { resource: "repo:acme/web/issues/42" }],
    ["argument-over-limit", { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 6 } }],
    ["argument-wrong-type", { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: "5" } }],
    ["argument-missing", { action: "mail.send", resource: "mailbox:acme/ops", args: {} }],
  ] as const) {
    add({
      name: `request/not-permitted-${what}`,
      description: `A call the leaf does not allow (${what.replaceAll("-", " ")}), though an ancestor may.`,
      chain: narrowed,
      request,
      expected: deny([2, "action_not_permitted"]),
    });
  }
  add({
    name: "request/resource-with-dot-segment",
    description: "A call on repo:acme/web/../../billing/issues: refused as malformed, never normalized.",
    chain: pair,
    request: { resource: "repo:acme/web/../../billing/issues" },
    expected: deny([null, "malformed"]),
  });
  for (const [what, resource] of [
    ["encoded-slash", "repo:acme/web%2F..%2Fbilling"],
    ["trailing-slash", "repo:acme/web/issues/"],
    ["wildcard", "repo:acme/web/**"],
    ["decomposed-unicode", "repo:acme/web/cafe\u0301"],
  ] as const) {
    add({
      name: `request/resource-${what}`,
      description: `A call on ${JSON.stringify(resource)}: not a canonical concrete resource, so malformed.`,
      chain: pair,
      request: { resource },
      expected: deny([null, "malformed"]),
    });
  }
  for (const [what, resource] of [
    ["case-variant", "repo:Acme/web/issues"],
    ["the-prefix-itself", "repo:acme"],
  ] as const) {
    add({
      name: `request/not-permitted-${what}`,
      description: `A call on ${resource} under a leaf allowing repo:acme/**: matching is exact and case-sensitive, and P/** covers only what is below P.`,
      chain: pair,
      request: { resource },
      expected: deny([1, "action_not_permitted"]),
    });
  }
  {
    let args: Record<string, unknown> = { leaf: 1 };
    for (let depth = 0; depth < 40; depth++) args = { nested: args };
    add({
      name: "request/arguments-too-deep",
      description:
        "Call arguments nested 41 levels deep (the bound is 32): refused before the chain is read.",
      chain: pair,
      request: { args },
      expected: deny([null, "malformed"]),
    });
  }

  return cases;
}
