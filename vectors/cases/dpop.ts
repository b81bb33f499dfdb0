/**
 * DPoP attacks: only the leaf holder proves possession, for this request, once.
 */
import { sha256Base64url } from "@baton/token";
import { makeProof, type ProofSpec } from "../dpop-proofs.ts";
import { type Agent, alice, bob, fixedId, mallory } from "../fixed-keys.ts";
import { mintChain, NOW } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny, withSignature } from "./kit.ts";

export async function dpopCases(kit: CaseKit): Promise<CaseInput[]> {
  const { pair, narrowed } = kit;
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  add({
    name: "dpop/missing",
    description: "No DPoP header.",
    chain: pair,
    proof: null,
    expected: deny([1, "pop_missing"]),
  });
  add({
    name: "dpop/empty",
    description: "An empty DPoP header.",
    chain: pair,
    proof: "",
    expected: deny([1, "pop_missing"]),
  });
  const popInvalid = (name: string, description: string, proof: Partial<Omit<ProofSpec, "chain">>) =>
    add({ name: `dpop/${name}`, description, chain: pair, proof, expected: deny([1, "pop_invalid"]) });
  popInvalid("signed-by-another-key", "A proof whose jwk is bob's but signed by mallory.", {
    signWith: mallory,
  });
  popInvalid("other-method", "A proof for GET, presented on a POST.", { method: "GET" });
  popInvalid("lowercase-method", "A proof whose htm is post (methods are case-sensitive).", {
    method: "post",
  });
  popInvalid("other-path", "A proof for another path on the same origin.", {
    url: "https://tools.example/repos/acme/web/pulls",
  });
  popInvalid("other-host", "A proof for another host.", {
    url: "https://evil.example/repos/acme/web/issues",
  });
  popInvalid("other-scheme", "A proof for http instead of https.", {
    url: "http://tools.example/repos/acme/web/issues",
  });
  popInvalid("other-chain", "A proof whose ath is the hash of another chain.", {
    claims: { ath: sha256Base64url(narrowed.text) },
  });
  popInvalid("no-ath", "A proof without ath.", { claims: { ath: undefined } });
  popInvalid("too-old", "A proof a second older than proof_max_age_seconds.", { iat: NOW - 61 });
  popInvalid("from-the-future", "A proof a second further in the future than the skew allows.", {
    iat: NOW + 31,
  });
  popInvalid("typ-jwt", "A proof whose typ is JWT.", { header: { typ: "JWT" } });
  popInvalid("typ-token", "A proof whose typ is baton+jwt: a token is not a proof.", {
    header: { typ: "baton+jwt" },
  });
  popInvalid("typ-missing", "A proof without typ.", { header: { typ: undefined } });
  popInvalid("alg-es256", "A proof whose alg is ES256.", { header: { alg: "ES256" } });
  popInvalid("header-kid", "A proof whose header adds a kid.", { header: { kid: "bob" } });
  popInvalid("jwk-with-private-part", "A proof whose jwk carries a private part d.", {
    header: { jwk: { ...bob.jwk, d: "AAAA" } },
  });
  popInvalid("jwk-with-kid", "A proof whose jwk carries a kid: a proof key is exactly kty, crv and x.", {
    header: { jwk: { ...bob.jwk, kid: "bob-1" } },
  });
  popInvalid("jwk-not-ed25519", "A proof whose jwk is an EC P-256 key.", {
    header: { jwk: { kty: "EC", crv: "P-256", x: bob.jwk.x } },
  });
  popInvalid("jwk-missing", "A proof without jwk.", { header: { jwk: undefined } });
  popInvalid("alg-none", "A proof whose alg is none (signed all the same).", { header: { alg: "none" } });
  popInvalid("header-jku", "A proof whose header points at a key URL (jku).", {
    header: { jku: "https://evil.example/keys" },
  });
  popInvalid("extra-claim", "A proof with a claim RFC 9449 does not define here.", {
    claims: { scope: "admin" },
  });
  popInvalid("short-jti", "A proof whose jti is too short to be unique.", { jti: "abc" });
  {
    // The identity point: [k]A is the identity for every k, so R = identity, S = 0 verifies anything
    // under it (OpenSSL 3.0 accepts such a forgery): the key itself must be refused.
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
    const lowOrderJwk = { kty: "OKP", crv: "Ed25519", x: identity.toString("base64url") } as const;
    const victim: Agent = {
      ...mallory,
      id: "agent:victim",
      jwk: lowOrderJwk,
      thumbprint: sha256Base64url(`{"crv":"Ed25519","kty":"OKP","x":"${lowOrderJwk.x}"}`),
    };
    const chain = await mintChain("small-order", { holder: alice }, { holder: victim });
    const honest = makeProof({ key: victim, chain: chain.text, jti: fixedId("dpop/small-order-key/proof") });
    const forged = withSignature(honest, Buffer.concat([identity, Buffer.alloc(32)]).toString("base64url"));
    add({
      name: "dpop/small-order-key",
      description:
        "A leaf bound to a small-order key (the identity point) and a proof forged under it (R = identity, S = 0).",
      chain,
      proof: forged,
      expected: deny([1, "pop_invalid"]),
    });
  }
  const replayedJti = fixedId("dpop/replayed/proof");
  add({
    name: "dpop/replayed",
    description: "A proof whose jti this verifier already accepted inside the replay window.",
    chain: pair,
    proof: { jti: replayedJti },
    environment: { seen_proof_jtis: [replayedJti] },
    expected: deny([1, "pop_replayed"]),
  });
  add({
    name: "dpop/proof-by-another-agent",
    description: "A valid proof by mallory (own key, correct request) for bob's chain.",
    chain: pair,
    proof: { key: mallory },
    expected: deny([1, "pop_binding_mismatch"]),
  });
  add({
    name: "dpop/proof-by-an-ancestor",
    description:
      "A valid proof by alice, who holds the root grant, for bob's chain: only the leaf holder may present it.",
    chain: pair,
    proof: { key: alice },
    expected: deny([1, "pop_binding_mismatch"]),
  });

  return cases;
}
