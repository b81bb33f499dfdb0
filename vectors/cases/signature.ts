/**
 * Signature attacks.
 */
import { encodeBase64url } from "@baton/token";
import { alice, bob, mallory, retiredKey } from "../fixed-keys.ts";
import { type Minted, rawToken, withToken } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, claimsObject, deny, soloAttack, withSignature } from "./kit.ts";

export async function signatureCases(kit: CaseKit): Promise<CaseInput[]> {
  const { pair, solo } = kit;
  const [p0, p1] = pair.tokens as [Minted, Minted];
  const s0 = solo.tokens[0] as Minted;
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  add({
    name: "signature/forged-by-agent",
    description: "A hop minted by mallory (signed with mallory's key) under the service's kid.",
    chain: { text: withToken(pair, 1, rawToken(p1, { signWith: mallory.privateKey })), prover: bob },
    expected: deny([1, "bad_signature"]),
  });
  add({
    name: "signature/other-service-key-under-active-kid",
    description: "A hop signed by the retired service key but naming the active kid.",
    chain: { text: withToken(pair, 1, rawToken(p1, { signWith: retiredKey.privateKey })), prover: bob },
    expected: deny([1, "bad_signature"]),
  });
  {
    const [header = "", , signature = ""] = p0.compact.split(".");
    const widened = { ...claimsObject(p0.claims), cap: [{ act: "*", res: "**" }] };
    const edited = `${header}.${Buffer.from(JSON.stringify(widened)).toString("base64url")}.${signature}`;
    add({
      name: "signature/edited-payload",
      description: "A genuine root grant whose payload was rewritten to cap * on **, its signature kept.",
      chain: { text: edited, prover: alice },
      expected: deny([0, "bad_signature"]),
    });
  }
  add({
    name: "signature/zero-signature",
    description: "A hop whose signature is 64 zero bytes.",
    chain: {
      text: withToken(pair, 1, withSignature(p1.compact, Buffer.alloc(64).toString("base64url"))),
      prover: bob,
    },
    expected: deny([1, "bad_signature"]),
  });
  add({
    name: "signature/borrowed-signature",
    description: "A hop carrying the signature of another genuine token.",
    chain: {
      text: withToken(pair, 1, withSignature(p1.compact, p0.compact.split(".")[2] ?? "")),
      prover: bob,
    },
    expected: deny([1, "bad_signature"]),
  });
  add({
    name: "signature/truncated",
    description: "A hop whose signature is 63 bytes.",
    chain: {
      text: withToken(
        pair,
        1,
        withSignature(
          p1.compact,
          Buffer.from(p1.compact.split(".")[2] ?? "", "base64url")
            .subarray(0, 63)
            .toString("base64url"),
        ),
      ),
      prover: bob,
    },
    expected: deny([1, "malformed"]),
  });

  // Attacks on a root grant alone: each case costs one token, the attacked one.
  const soloCase = (...args: Parameters<typeof soloAttack>) => add(soloAttack(...args));
  {
    const [header = "", payload = "", signature = ""] = s0.compact.split(".");
    const bytes = Buffer.from(signature, "base64url");
    const flipped = Buffer.from(bytes);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    soloCase(
      "signature/flipped-bit",
      "A root grant with one bit of its signature flipped.",
      `${header}.${payload}.${encodeBase64url(flipped)}`,
      "bad_signature",
    );
    // S + L: the malleated twin of a good signature, which a strict verifier refuses (RFC 8032 §5.1.7).
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(bytes.subarray(32)).reverse().toString("hex")}`);
    const twin = Buffer.from((s + order).toString(16).padStart(64, "0"), "hex").reverse();
    soloCase(
      "signature/malleated-s",
      "A root grant whose signature's S is replaced by S + L (the group order): same R, non-canonical S.",
      `${header}.${payload}.${encodeBase64url(Buffer.concat([bytes.subarray(0, 32), twin]))}`,
      "bad_signature",
    );
  }
  return cases;
}
