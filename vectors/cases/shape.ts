/**
 * Size and shape: refused before a token is decoded, or as soon as one is.
 */
import type { Capability } from "@baton/token";
import { alice, bob } from "../fixed-keys.ts";
import { hopClaims, type Minted, mintRoot, rawToken, withToken } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, claimsObject, deny, hasSpareBits, nonCanonical } from "./kit.ts";

export async function shapeCases(kit: CaseKit): Promise<CaseInput[]> {
  const { standard, pair, rotated, deep } = kit;
  const [t0] = standard.tokens as [Minted];
  const [p0, p1] = pair.tokens as [Minted, Minted];
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  add({
    name: "shape/chain-too-long",
    description:
      "17 tokens, every one valid, against the default limit of 16: refused before any token is decoded.",
    chain: deep,
    expected: deny([null, "chain_too_long"]),
  });
  add({
    name: "shape/chain-over-configured-limit",
    description: "A valid 3-token chain against a verifier configured for at most 2.",
    chain: standard,
    environment: { max_chain_length: 2 },
    expected: deny([null, "chain_too_long"]),
  });
  {
    const bulky: Capability[] = Array.from({ length: 32 }, (_, i) => ({
      act: "repo.issues.read",
      res: `repo:acme/web/${"x".repeat(300)}${i}`,
    }));
    const claims = hopClaims(t0, "too-large/1", { holder: bob, cap: bulky });
    const big = rawToken(t0, { claims: claimsObject(claims) });
    add({
      name: "shape/token-too-large",
      description:
        "A hop over max_token_bytes (8 KiB), otherwise well formed and signed: refused by size first.",
      chain: { text: `${t0.compact}~${big}`, prover: bob },
      expected: deny([1, "token_too_large"]),
    });
  }
  add({
    name: "shape/empty-chain",
    description: "An empty chain.",
    chain: { text: "", prover: bob },
    proof: null,
    expected: deny([null, "malformed"]),
  });
  add({
    name: "shape/empty-element",
    description: "Two separators in a row: an empty token at position 1.",
    chain: { text: `${p0.compact}~~${p1.compact}`, prover: bob },
    expected: deny([1, "malformed"]),
  });
  add({
    name: "shape/trailing-separator",
    description: "A chain ending in ~: an empty token after the leaf.",
    chain: { text: `${pair.text}~`, prover: bob },
    expected: deny([2, "malformed"]),
  });
  add({
    name: "shape/two-part-token",
    description: "A hop with only header and payload (no signature part).",
    chain: { text: withToken(pair, 1, p1.compact.split(".").slice(0, 2).join(".")), prover: bob },
    expected: deny([1, "malformed"]),
  });
  add({
    name: "shape/padded-base64url",
    description: "A hop whose signature carries base64 padding (=), which no compact token holds.",
    chain: { text: withToken(pair, 1, `${p1.compact}==`), prover: bob },
    expected: deny([1, "malformed"]),
  });
  {
    const [header = "", payload = "", signature = ""] = p1.compact.split(".");
    add({
      name: "shape/non-canonical-signature-encoding",
      description:
        "A hop whose signature's base64url sets the unused low bits of its last character: same bytes, non-canonical text.",
      chain: { text: withToken(pair, 1, `${header}.${payload}.${nonCanonical(signature)}`), prover: bob },
      expected: deny([1, "malformed"]),
    });
  }
  {
    // Whether a header's base64url has spare bits depends on its length (alg and kid): use
    // whichever genuine hop has them, under the active or the retired key.
    const candidates = [pair, rotated];
    const chain = candidates.find((c) => hasSpareBits((c.tokens[1] as Minted).compact.split(".")[0] ?? ""));
    if (chain === undefined) throw new Error("no hop header has spare bits; change a kid's length");
    const [header = "", payload = "", signature = ""] = (chain.tokens[1] as Minted).compact.split(".");
    add({
      name: "shape/non-canonical-header-encoding",
      description: "A hop whose header base64url is non-canonical (checked before the signature).",
      chain: { text: withToken(chain, 1, `${nonCanonical(header)}.${payload}.${signature}`), prover: bob },
      expected: deny([1, "malformed"]),
    });
  }
  {
    // A task id that leaves spare bits at the end of the root's payload base64url.
    let spare: Minted | undefined;
    for (const tsk of ["task-a", "task-ab", "task-abc"]) {
      const root = await mintRoot("non-canonical-payload/0", { holder: alice, claims: { tsk } });
      if ((root.compact.split(".")[1] ?? "").length % 4 !== 0) {
        spare = root;
        break;
      }
    }
    if (spare === undefined) throw new Error("no task id gave a payload with spare bits");
    const [header = "", payload = "", signature = ""] = spare.compact.split(".");
    add({
      name: "shape/non-canonical-payload-encoding",
      description:
        "A root grant whose payload base64url is non-canonical: refused before its signature is checked.",
      chain: { text: `${header}.${nonCanonical(payload)}.${signature}`, prover: alice },
      expected: deny([0, "malformed"]),
    });
  }

  return cases;
}
