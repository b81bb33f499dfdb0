/**
 * Header attacks: every member of the protected header is fixed.
 */
import { createHmac } from "node:crypto";
import { encodeBase64url, serializeClaims } from "@baton/token";
import { activeKey, alice, bob, mallory, retiredKey, unpublishedKey } from "../fixed-keys.ts";
import { headerOf, type Minted, mintChain, rawToken, signRaw, withToken } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny, soloAttack } from "./kit.ts";

export async function headerCases(kit: CaseKit): Promise<CaseInput[]> {
  const { pair, solo } = kit;
  const [p0, p1] = pair.tokens as [Minted, Minted];
  const s0 = solo.tokens[0] as Minted;
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  const realAlg = headerOf(p1.compact).alg;
  // The other spelling of Ed25519 (RFC 9864's fully specified "Ed25519" versus the deprecated
  // "EdDSA"): whichever the code base does not issue must be refused.
  const otherSpelling = realAlg === "EdDSA" ? "Ed25519" : "EdDSA";
  for (const alg of ["none", "HS256", "ES256", "eddsa", otherSpelling]) {
    add({
      name: `header/alg-${alg === otherSpelling ? "other-ed25519-spelling" : alg.toLowerCase()}`,
      description: `A hop whose header says alg ${alg} (signed with the service key all the same): only ${String(realAlg)} is accepted.`,
      chain: { text: withToken(pair, 1, rawToken(p1, { header: { alg } })), prover: bob },
      expected: deny([1, "unsupported_alg"]),
    });
  }
  for (const [what, typ] of [
    ["jwt", "JWT"],
    ["dpop", "dpop+jwt"],
    ["missing", undefined],
  ] as const) {
    add({
      name: `header/typ-${what}`,
      description: `A root grant whose typ is ${typ === undefined ? "absent" : typ}, not baton+jwt.`,
      chain: { text: withToken(pair, 0, rawToken(p0, { header: { typ } })), prover: bob },
      expected: deny([0, "bad_type"]),
    });
  }
  for (const [member, value] of [
    ["jwk", mallory.jwk],
    ["jku", "https://evil.example/jwks.json"],
    ["x5u", "https://evil.example/cert.pem"],
    ["x5c", ["MIIB"]],
    ["crit", ["b64"]],
    ["b64", false],
  ] as const) {
    add({
      name: `header/member-${member}`,
      description: `A hop whose header adds ${member}: nothing in the header may choose a key, a URL or a processing rule.`,
      chain: { text: withToken(pair, 1, rawToken(p1, { header: { [member]: value } })), prover: bob },
      expected: deny([1, "malformed"]),
    });
  }
  add({
    name: "header/kid-missing",
    description: "A hop whose header has no kid.",
    chain: { text: withToken(pair, 1, rawToken(p1, { header: { kid: undefined } })), prover: bob },
    expected: deny([1, "malformed"]),
  });
  add({
    name: "header/kid-path",
    description: "A hop whose kid is a path (not 1 to 64 base64url characters).",
    chain: { text: withToken(pair, 1, rawToken(p1, { header: { kid: "../../keys/admin" } })), prover: bob },
    expected: deny([1, "malformed"]),
  });
  {
    const header = headerOf(p1.compact);
    const duplicated = JSON.stringify(header).replace(/}$/, `,"kid":"${retiredKey.kid}"}`);
    add({
      name: "header/duplicate-member",
      description: "A hop whose header names kid twice (a lenient parser keeps the last one).",
      chain: {
        text: withToken(pair, 1, signRaw(duplicated, serializeClaims(p1.claims), retiredKey.privateKey)),
        prover: bob,
      },
      expected: deny([1, "malformed"]),
    });
  }
  add({
    name: "header/kid-unknown",
    description: "A hop signed by a key the service never published, under that key's own kid.",
    chain: await mintChain("unknown-kid", { holder: alice }, { holder: bob, serviceKey: unpublishedKey }),
    expected: deny([1, "unknown_key"]),
  });

  // Attacks on a root grant alone: each case costs one token, the attacked one.
  const soloCase = (...args: Parameters<typeof soloAttack>) => add(soloAttack(...args));
  const b64 = (text: string) => encodeBase64url(new TextEncoder().encode(text));
  const soloHeader = headerOf(s0.compact);
  const soloPayload = serializeClaims(s0.claims);
  {
    const none = `${b64(JSON.stringify({ ...soloHeader, alg: "none" }))}.${b64(soloPayload)}.`;
    soloCase(
      "header/alg-none-unsigned",
      "A root grant with alg none and an empty signature.",
      none,
      "malformed",
    );
    // Key confusion: an HMAC keyed with the service's public key, padded to 64 bytes so that
    // the signature length cannot be what refuses it.
    const input = `${b64(JSON.stringify({ ...soloHeader, alg: "HS256" }))}.${b64(soloPayload)}`;
    const mac = createHmac("sha256", activeKey.jwk.x).update(input).digest();
    soloCase(
      "header/alg-hs256-key-confusion",
      "A root grant with alg HS256, MACed with the service's public key as the secret.",
      `${input}.${encodeBase64url(Buffer.concat([mac, mac]))}`,
      "unsupported_alg",
    );
  }
  for (const [what, typ] of [
    ["upper-case", "BATON+JWT"],
    ["media-type", "application/baton+jwt"],
  ] as const) {
    soloCase(
      `header/typ-${what}`,
      `A root grant whose typ is ${typ}: typ is compared exactly.`,
      rawToken(s0, { header: { typ } }),
      "bad_type",
    );
  }
  for (const [what, kid] of [
    ["empty", ""],
    ["number", 1],
    ["url", "https://evil.example/key.json"],
  ] as const) {
    soloCase(
      `header/kid-${what}`,
      `A root grant whose kid is ${JSON.stringify(kid)}.`,
      rawToken(s0, { header: { kid } }),
      "malformed",
    );
  }
  for (const [what, member, value] of [
    ["case-variant-kid", "Kid", retiredKey.kid],
    ["zip", "zip", "DEF"],
  ] as const) {
    soloCase(
      `header/member-${what}`,
      `A root grant whose header adds ${member}.`,
      rawToken(s0, { header: { [member]: value } }),
      "malformed",
    );
  }
  {
    const headerText = JSON.stringify(soloHeader);
    const withHeaderText = (text: string) => signRaw(text, soloPayload, activeKey.privateKey);
    soloCase(
      "header/duplicate-alg",
      "A root grant whose header says alg twice, the second time none.",
      withHeaderText(headerText.replace(/}$/, ',"alg":"none"}')),
      "malformed",
    );
    soloCase(
      "header/duplicate-alg-after-unescaping",
      'A root grant whose header has alg and "\\u0061lg": the same name once escapes are read.',
      withHeaderText(headerText.replace(/}$/, ',"\\u0061lg":"none"}')),
      "malformed",
    );
    soloCase(
      "header/json-array",
      "A root grant whose header is a JSON array.",
      withHeaderText(`[${JSON.stringify(soloHeader.alg)}]`),
      "malformed",
    );
  }
  return cases;
}
