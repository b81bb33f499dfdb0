/**
 * Valid presentations: chains of every length, and the edges of each rule that must still allow.
 */
import { alice, bob, fixedDelegationId } from "../fixed-keys.ts";
import { chainOf, mintChain, NOW } from "../mint-chain.ts";
import { allow, type CaseInput, type CaseKit } from "./kit.ts";

export async function validCases(kit: CaseKit): Promise<CaseInput[]> {
  const { pair, narrowed, rotated, deep } = kit;
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  for (let length = 1; length <= 16; length++) {
    add({
      name: `valid/chain-of-${length}`,
      description: `A valid chain of ${length} token${length === 1 ? "" : "s"} (root grant${length > 1 ? ` and ${length - 1} hop${length > 2 ? "s" : ""}` : ""}), presented by its leaf holder with a proof for this request.`,
      chain: chainOf(deep.tokens.slice(0, length)),
      expected: allow,
    });
  }
  add({
    name: "valid/argument-within-limit",
    description: "mail.send with recipients 5 under a leaf limited to at most 5.",
    chain: narrowed,
    request: { action: "mail.send", resource: "mailbox:acme/ops", args: { recipients: 5 } },
    expected: allow,
  });
  const anyAudience = await mintChain("any-audience", { holder: alice, aud: ["*"] }, { holder: bob });
  add({
    name: "valid/any-audience",
    description: "A root grant for audience * and a hop that keeps it: valid for this tool server.",
    chain: anyAudience,
    expected: allow,
  });
  const shortIds = await mintChain(
    "short-dids",
    { holder: alice, claims: { did: fixedDelegationId("short-dids/0") } },
    { holder: bob, claims: { did: fixedDelegationId("short-dids/1") } },
  );
  add({
    name: "valid/delegation-ids-96-bit",
    description:
      "A root grant and a hop whose did (and so the hop's par) are 12 random bytes (16 characters), as the service issues them now.",
    chain: shortIds,
    expected: allow,
  });
  const mixedIds = await mintChain(
    "mixed-dids",
    { holder: alice },
    { holder: bob, claims: { did: fixedDelegationId("mixed-dids/1") } },
  );
  add({
    name: "valid/delegation-ids-128-bit-parent",
    description:
      "A root grant with a 16-byte did (as first issued) and a hop below it with a 12-byte did: par names the parent's 22-character did.",
    chain: mixedIds,
    expected: allow,
  });
  add({
    name: "valid/retired-key-still-published",
    description: "A hop signed by a retired service key that the JWKS still publishes under its own kid.",
    chain: rotated,
    expected: allow,
  });
  for (const [what, url] of [
    ["host-case", "https://TOOLS.example/repos/acme/web/issues"],
    ["default-port", "https://tools.example:443/repos/acme/web/issues"],
    ["query-and-fragment", "https://tools.example/repos/acme/web/issues?page=2#top"],
  ] as const) {
    add({
      name: `valid/htu-${what}`,
      description: `The proof's htu differs from the request URL only by ${what.replaceAll("-", " ")}, which RFC 9449 §4.3 normalization ignores.`,
      chain: pair,
      proof: { url },
      expected: allow,
    });
  }
  for (const alg of ["Ed25519", "EdDSA"]) {
    add({
      name: `valid/proof-alg-${alg.toLowerCase()}`,
      description: `A proof whose header says alg ${alg}: RFC 9864's fully specified name and the one it deprecates are both accepted for proofs (not for tokens).`,
      chain: pair,
      proof: { header: { alg } },
      expected: allow,
    });
  }
  add({
    name: "valid/proof-at-max-age",
    description: "A proof exactly proof_max_age_seconds old.",
    chain: pair,
    proof: { iat: NOW - 60 },
    expected: allow,
  });
  add({
    name: "valid/proof-within-skew",
    description: "A proof from clock_skew_seconds in the future.",
    chain: pair,
    proof: { iat: NOW + 30 },
    expected: allow,
  });
  add({
    name: "valid/not-before-within-skew",
    description: "A hop valid from now + clock_skew_seconds: accepted within the skew.",
    chain: await mintChain(
      "nbf-skew",
      { holder: alice },
      { holder: bob, claims: { iat: NOW + 30, nbf: NOW + 30 } },
    ),
    expected: allow,
  });
  add({
    name: "valid/revocation-view-at-limit",
    description: "A revocation view exactly max_staleness_seconds old is still fresh enough.",
    chain: pair,
    environment: { revocation: { synced_at: NOW - 60, revoked: [] } },
    expected: allow,
  });
  add({
    name: "valid/revalidate-by-in-one-second",
    description: "A hop whose revalidate-by time is one second from now.",
    chain: await mintChain("rvl-soon", { holder: alice }, { holder: bob, claims: { rvl: NOW + 1 } }),
    expected: allow,
  });
  add({
    name: "valid/policy-allows",
    description: "The runtime policy allows the call.",
    chain: pair,
    environment: { policy: { decision: "allow" } },
    expected: allow,
  });

  return cases;
}
