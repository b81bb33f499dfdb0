/**
 * Depth and widening: a hop is never wider than its parent.
 */
import type { Capability } from "@baton/token";
import { alice, bob, carol } from "../fixed-keys.ts";
import { mintChain, NOW } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny, MAIL_ROOT_CAPS } from "./kit.ts";

export async function depthAndWideningCases(_kit: CaseKit): Promise<CaseInput[]> {
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  // --- depth ----------------------------------------------------------------------------------
  add({
    name: "depth/parent-allows-no-more",
    description: "A hop below a parent whose mdp is 0.",
    chain: await mintChain("mdp-0", { holder: alice, mdp: 1 }, { holder: bob }, { holder: carol, mdp: 0 }),
    expected: deny([2, "depth_exceeded"]),
  });
  add({
    name: "depth/keeps-parent-depth",
    description: "A hop whose mdp equals its parent's instead of at most parent − 1.",
    chain: await mintChain("mdp-keep", { holder: alice, mdp: 3 }, { holder: bob, mdp: 3 }),
    expected: deny([1, "depth_exceeded"]),
  });

  // --- widening -------------------------------------------------------------------------------
  const narrowParent: Capability[] = [{ act: "repo.issues.*", res: "repo:acme/web/**" }];
  for (const [what, wider] of [
    ["action", [{ act: "repo.*", res: "repo:acme/web/**" }]],
    ["resource", [{ act: "repo.issues.create", res: "repo:acme/**" }]],
    ["resource-outside", [{ act: "repo.issues.create", res: "repo:acme/web" }]],
    [
      "extra-capability",
      [
        { act: "repo.issues.create", res: "repo:acme/web/**" },
        { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 1 } } },
      ],
    ],
  ] as const) {
    add({
      name: `widening/scope-${what}`,
      description: `carol's hop claims ${wider.map((c) => `${c.act} on ${c.res}`).join(" and ")} under bob's repo.issues.* on repo:acme/web/**.`,
      chain: await mintChain(
        `scope-${what}`,
        { holder: alice },
        { holder: bob, cap: narrowParent },
        { holder: carol, cap: wider },
      ),
      expected: deny([2, "scope_widening"]),
    });
  }
  for (const [what, cap] of [
    ["limit-dropped", { act: "mail.send", res: "mailbox:acme/ops" }],
    ["limit-loosened", { act: "mail.send", res: "mailbox:acme/ops", lim: { recipients: { max: 21 } } }],
  ] as const) {
    add({
      name: `widening/scope-${what}`,
      description: `A hop on mail.send whose argument limit is ${what === "limit-dropped" ? "dropped" : "looser (max 21)"} where the root allows recipients max 20.`,
      chain: await mintChain(
        `scope-${what}`,
        { holder: alice, cap: MAIL_ROOT_CAPS },
        { holder: bob, cap: [cap] },
      ),
      request: { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 1 } },
      expected: deny([1, "scope_widening"]),
    });
  }
  for (const [what, aud] of [
    ["extra", ["repo-tool", "billing-tool"]],
    ["star", ["*"]],
  ] as const) {
    add({
      name: `widening/audience-${what}`,
      description: `A hop whose aud is ${JSON.stringify(aud)} under a root for repo-tool and mail-tool.`,
      chain: await mintChain(`aud-${what}`, { holder: alice }, { holder: bob, aud }),
      expected: deny([1, "audience_widening"]),
    });
  }
  add({
    name: "widening/lifetime-exp",
    description: "The leaf expires a second after its parent.",
    chain: await mintChain(
      "exp-later",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { exp: NOW + 3601 } },
    ),
    expected: deny([2, "lifetime_widening"]),
  });
  add({
    name: "widening/lifetime-revalidation",
    description: "A hop that must revalidate a second after its parent.",
    chain: await mintChain("rvl-later", { holder: alice }, { holder: bob, claims: { rvl: NOW + 601 } }),
    expected: deny([1, "lifetime_widening"]),
  });
  add({
    name: "widening/lifetime-issued-before-parent",
    description: "A hop issued (iat, nbf) before its parent was.",
    chain: await mintChain(
      "iat-earlier",
      { holder: alice },
      { holder: bob, claims: { iat: NOW - 61, nbf: NOW - 61 } },
    ),
    expected: deny([1, "lifetime_widening"]),
  });

  return cases;
}
