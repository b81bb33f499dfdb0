/**
 * Time and status: a hop is checked now, against the revocation view.
 */
import { alice, bob, carol } from "../fixed-keys.ts";
import { type Minted, mintChain, NOW } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny } from "./kit.ts";

export async function timeAndStatusCases(kit: CaseKit): Promise<CaseInput[]> {
  const { standard, pair } = kit;
  const [t0, t1] = standard.tokens as [Minted, Minted];
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  // --- time -----------------------------------------------------------------------------------
  add({
    name: "time/not-yet-valid",
    description:
      "A hop issued a second beyond the allowed skew; its nbf equals its iat, so the token leaves nbf out and it is read as iat.",
    chain: await mintChain(
      "nbf-future",
      { holder: alice },
      { holder: bob, claims: { iat: NOW + 31, nbf: NOW + 31 } },
    ),
    expected: deny([1, "not_yet_valid"]),
  });
  add({
    name: "time/not-yet-valid-explicit-nbf",
    description: "A hop issued now whose explicit nbf is a second beyond the allowed skew.",
    chain: await mintChain(
      "nbf-explicit-future",
      { holder: alice },
      { holder: bob, claims: { iat: NOW, nbf: NOW + 31 } },
    ),
    expected: deny([1, "not_yet_valid"]),
  });
  add({
    name: "time/expired",
    description: "The leaf expired clock_skew_seconds ago.",
    chain: await mintChain(
      "expired",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { exp: NOW - 30, rvl: NOW - 40 } },
    ),
    expected: deny([2, "expired"]),
  });
  add({
    name: "time/revalidation-due",
    description: "A hop whose revalidate-by time is now (revalidation gets no skew).",
    chain: await mintChain(
      "rvl-due",
      { holder: alice },
      { holder: bob, claims: { rvl: NOW } },
      { holder: carol },
    ),
    expected: deny([1, "revalidation_due"]),
  });
  add({
    name: "time/revalidation-due-within-expiry-skew",
    description:
      "A hop expired less than the skew ago, whose revalidation was due: revalidation_due, not expired.",
    chain: await mintChain(
      "rvl-skew",
      { holder: alice },
      { holder: bob, claims: { exp: NOW - 29, rvl: NOW - 40 } },
    ),
    expected: deny([1, "revalidation_due"]),
  });

  // --- status ---------------------------------------------------------------------------------
  add({
    name: "status/middle-hop-revoked",
    description: "bob's delegation is revoked: the chain is refused at hop 1.",
    chain: standard,
    environment: { revocation: { synced_at: NOW, revoked: [t1.claims.did] } },
    expected: deny([1, "revoked"]),
  });
  add({
    name: "status/root-revoked",
    description:
      "The root grant is revoked (a closed task or a disabled agent revokes it too): refused at hop 0.",
    chain: standard,
    environment: { revocation: { synced_at: NOW, revoked: [t0.claims.did] } },
    expected: deny([0, "revoked"]),
  });
  add({
    name: "status/view-never-loaded",
    description: "The verifier has no revocation view at all: it fails closed.",
    chain: pair,
    environment: { revocation: { synced_at: null, revoked: [] } },
    expected: deny([0, "revocation_unknown"]),
  });
  add({
    name: "status/view-stale",
    description: "The revocation view is a second older than max_staleness_seconds: it fails closed.",
    chain: pair,
    environment: { revocation: { synced_at: NOW - 61, revoked: [] } },
    expected: deny([0, "revocation_unknown"]),
  });

  return cases;
}
