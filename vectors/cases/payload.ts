/**
 * Payload attacks: claims are parsed strictly.
 */
import { serializeClaims, sha256Base64url } from "@baton/token";
import { alice, bob, fixedId, mallory } from "../fixed-keys.ts";
import { type Minted, mintChain, rawToken, withToken } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, claimsObject, deny, soloAttack } from "./kit.ts";

export async function payloadCases(kit: CaseKit): Promise<CaseInput[]> {
  const { pair, solo } = kit;
  const [p0, p1] = pair.tokens as [Minted, Minted];
  const s0 = solo.tokens[0] as Minted;
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  const payloadAttack = (name: string, description: string, target: 0 | 1, claims: Record<string, unknown>) =>
    add({
      name: `payload/${name}`,
      description,
      chain: {
        text: withToken(pair, target, rawToken(target === 0 ? p0 : p1, { claims })),
        prover: bob,
      },
      expected: deny([target, "malformed"]),
    });
  payloadAttack("string-time", "A hop whose exp is a string.", 1, {
    ...claimsObject(p1.claims),
    exp: String(p1.claims.exp),
  });
  payloadAttack("fractional-time", "A hop whose iat is not an integer.", 1, {
    ...claimsObject(p1.claims),
    iat: p1.claims.iat + 0.5,
  });
  payloadAttack("unknown-claim", "A root grant with an extra claim admin: true.", 0, {
    ...claimsObject(p0.claims),
    admin: true,
  });
  payloadAttack("root-with-parent", "A root grant (dpt 0) that names a parent did.", 0, {
    ...claimsObject(p0.claims),
    par: fixedId("nobody"),
  });
  payloadAttack("hop-without-proof-of-parent", "A hop without prf.", 1, {
    ...claimsObject(p1.claims),
    prf: undefined,
  });
  payloadAttack("wildcard-in-the-middle", "A hop whose capability action is repo.*.create.", 1, {
    ...claimsObject(p1.claims),
    cap: [{ act: "repo.*.create", res: "repo:acme/web/issues" }],
  });
  payloadAttack("dot-segment-in-resource", "A hop whose capability resource holds a .. segment.", 1, {
    ...claimsObject(p1.claims),
    cap: [{ act: "repo.issues.create", res: "repo:acme/web/../billing" }],
  });
  payloadAttack("revalidation-after-expiry", "A hop whose rvl is later than its own exp.", 1, {
    ...claimsObject(p1.claims),
    rvl: p1.claims.exp + 1,
  });
  payloadAttack("jti-not-canonical", "A root grant whose jti is not 16 bytes of canonical base64url.", 0, {
    ...claimsObject(p0.claims),
    jti: "not-an-id",
  });
  payloadAttack(
    "did-of-14-bytes",
    "A root grant whose did is 14 bytes: a did is 12 or 16, nothing between.",
    0,
    {
      ...claimsObject(p0.claims),
      did: fixedId("fourteen").slice(0, 19),
    },
  );
  payloadAttack("jti-of-12-bytes", "A root grant whose jti is 12 bytes: only a did may be that short.", 0, {
    ...claimsObject(p0.claims),
    jti: fixedId("twelve").slice(0, 16),
  });
  payloadAttack("cnf-extra-member", "A root grant whose cnf carries a jwk beside jkt.", 0, {
    ...claimsObject(p0.claims),
    cnf: { jkt: alice.thumbprint, jwk: mallory.jwk },
  });
  {
    const text = serializeClaims(p0.claims);
    add({
      name: "payload/duplicate-claim",
      description: 'A root grant with "sub" twice: a lenient parser would keep the second (mallory).',
      chain: {
        text: rawToken(p0, { payloadText: text.replace(/}$/, ',"sub":"agent:mallory"}') }),
        prover: mallory,
      },
      expected: deny([0, "malformed"]),
    });
    add({
      name: "payload/duplicate-claim-after-unescaping",
      description: 'A root grant with "sub" and "s\\u0075b": the same name once JSON escapes are read.',
      chain: {
        text: rawToken(p0, { payloadText: text.replace(/}$/, ',"s\\u0075b":"agent:mallory"}') }),
        prover: mallory,
      },
      expected: deny([0, "malformed"]),
    });
    add({
      name: "payload/not-json",
      description: "A root grant whose payload is not JSON.",
      chain: { text: rawToken(p0, { payloadText: "sub=agent:alice" }), prover: alice },
      expected: deny([0, "malformed"]),
    });
  }
  add({
    name: "payload/foreign-issuer-root",
    description: "A root grant whose iss is not the trusted issuer (signed by the service key all the same).",
    chain: await mintChain(
      "foreign-root",
      { holder: alice, claims: { iss: "https://evil.example" } },
      { holder: bob },
    ),
    expected: deny([0, "malformed"]),
  });
  add({
    name: "payload/foreign-issuer-hop",
    description: "A hop whose iss is another issuer: not the trusted issuer, and not its parent's.",
    chain: await mintChain(
      "foreign-hop",
      { holder: alice },
      { holder: bob, claims: { iss: "https://evil.example" } },
    ),
    expected: deny([1, "malformed"], [1, "chain_broken"]),
  });

  // Attacks on a root grant alone: each case costs one token, the attacked one.
  const soloCase = (...args: Parameters<typeof soloAttack>) => add(soloAttack(...args));
  const soloPayload = serializeClaims(s0.claims);
  const soloClaims = claimsObject(s0.claims);
  for (const [what, description, claims] of [
    ["exp-beyond-range", "exp beyond 2^40 seconds", { ...soloClaims, exp: 2 ** 40 + 1 }],
    ["negative-mdp", "a negative mdp", { ...soloClaims, mdp: -1 }],
    ["null-time", "a null nbf", { ...soloClaims, nbf: null }],
    ["missing-cnf", "no cnf", { ...soloClaims, cnf: undefined }],
    ["look-alike-sub", "a Cyrillic а in sub (agent:\u0430lice)", { ...soloClaims, sub: "agent:\u0430lice" }],
    [
      "look-alike-slash",
      "a division slash (U+2215) in a resource pattern",
      { ...soloClaims, cap: [{ act: "repo.*", res: "repo:acme\u2215web/**" }] },
    ],
    ["empty-cap", "an empty cap array", { ...soloClaims, cap: [] }],
    [
      "too-many-capabilities",
      "33 capabilities (the limit is 32)",
      {
        ...soloClaims,
        cap: Array.from({ length: 33 }, (_, i) => ({ act: `repo.a${i}`, res: "repo:acme/web/**" })),
      },
    ],
    [
      "root-disguised-as-hop",
      "dlg, par and prf on a root grant (dpt 0)",
      { ...soloClaims, dlg: mallory.id, par: fixedId("disguise/par"), prf: sha256Base64url("disguise") },
    ],
  ] as const) {
    soloCase(`payload/${what}`, `A root grant with ${description}.`, rawToken(s0, { claims }), "malformed");
  }
  for (const [what, description, text] of [
    [
      "duplicate-nested-claim",
      "cnf holding jkt twice",
      soloPayload.replace(/"cnf":\{"jkt":"([^"]+)"\}/, `"cnf":{"jkt":"$1","jkt":"${"A".repeat(43)}"}`),
    ],
    [
      "infinite-time",
      "exp written as 1e400 (infinity once parsed as a double)",
      soloPayload.replace(/"exp":\d+/, '"exp":1e400'),
    ],
    ["proto-claim", "a __proto__ claim", soloPayload.replace(/}$/, ',"__proto__":{"admin":true}}')],
    ["byte-order-mark", "a UTF-8 byte-order mark before the JSON", `\ufeff${soloPayload}`],
  ] as const) {
    if (text === soloPayload) throw new Error(`payload/${what} changed nothing`);
    soloCase(
      `payload/${what}`,
      `A root grant with ${description}.`,
      rawToken(s0, { payloadText: text }),
      "malformed",
    );
  }
  return cases;
}
