/**
 * `verifier.authenticate` (issue 18): who presents a chain, for requests that name no call (an
 * MCP `initialize` or `tools/list`). Every hop, the audience and the proof are checked as in
 * `verify`; the capabilities and the policy are not consulted.
 */
import { describe, expect, it } from "vitest";
import { memoryRevocations } from "../src/revocation-sources.ts";
import {
  alice,
  bob,
  carol,
  type MintedChain,
  makeProof,
  makeVerifier,
  mintChain,
  NOW,
  REQUEST_URL,
} from "./fixtures.ts";

const codes = (decision: { reasons: readonly { code: string }[] }) =>
  decision.reasons.map((reason) => reason.code);

function request(chain: MintedChain, proofAt = NOW) {
  const proof = makeProof({
    key: chain.leaf.holder,
    chain: chain.chain,
    method: "POST",
    url: REQUEST_URL,
    iat: proofAt,
  });
  return { chain: chain.chain, proof, method: "POST", url: REQUEST_URL };
}

describe("verifier.authenticate", () => {
  it("allows a good chain whatever its capabilities, without asking the policy", async () => {
    let asked = 0;
    const verifier = makeVerifier({
      policy: () => {
        asked++;
        return { decision: "deny" };
      },
    });
    const chain = mintChain(
      { holder: alice },
      { holder: bob, cap: [{ act: "mail.send", res: "mailbox:acme/x", lim: { recipients: { max: 1 } } }] },
    );
    const decision = await verifier.authenticate(request(chain));
    expect(decision).toMatchObject({ decision: "allow", actor: { agent: bob.id, proven: true } });
    expect(asked).toBe(0);
  });

  it("still refuses a revoked hop, another audience, and a proof it has seen", async () => {
    const revocations = memoryRevocations();
    const verifier = makeVerifier({ revocations });
    const chain = mintChain({ holder: alice }, { holder: bob }, { holder: carol });
    const once = request(chain);
    expect((await verifier.authenticate(once)).decision).toBe("allow");
    expect(codes(await verifier.authenticate(once))).toEqual(["pop_replayed"]);
    const elsewhere = mintChain({ holder: alice, aud: ["mail-tool"] }, { holder: bob });
    expect(codes(await verifier.authenticate(request(elsewhere)))).toEqual(["audience_mismatch"]);
    revocations.revoke(chain.tokens[1]?.claims.did as string);
    expect(codes(await verifier.authenticate(request(chain)))).toEqual(["revoked"]);
  });

  it("refuses a chain whose revalidation is due", async () => {
    const verifier = makeVerifier({ clock: () => NOW + 700 });
    const chain = mintChain({ holder: alice }, { holder: bob });
    expect(codes(await verifier.authenticate(request(chain, NOW + 700)))).toContain("revalidation_due");
  });
});
