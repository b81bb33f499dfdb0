/**
 * `baton inspect` without a JWKS: the verifier's chain walker in structure-only mode. Signatures
 * are not checked; links, attenuation, issuer and time are, exactly as with a JWKS.
 */
import { describe, expect, test } from "vitest";
import { bob, carol, mintChain, mintHop, mintRoot, NOW } from "../../../packages/token/src/test-fixtures.ts";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton } from "./helpers.ts";

const joined = (tokens: readonly { compact: string }[]) => tokens.map((token) => token.compact).join("~");

async function inspectOffline(chain: string) {
  const result = await baton(["inspect", chain, "--at", String(NOW), "--json"]);
  const verification = JSON.parse(result.stdout).verification as {
    checked: string;
    decision: string;
    reasons: { code: string; hop: number | null }[];
  };
  return { code: result.code, ...verification };
}

describe("baton inspect without --jwks", () => {
  test("allows a sound chain as structure only, without asking for a key", async () => {
    const outcome = await inspectOffline(joined(await mintChain()));
    expect(outcome).toMatchObject({ code: EXIT_CODES.ok, checked: "structure", decision: "allow" });

    const human = await baton(["inspect", joined(await mintChain()), "--at", String(NOW)]);
    expect(human.stdout).toContain("signatures NOT checked");
    expect(human.stdout).toContain("decision: allow (structure only)");
  });

  test("does not notice a forged signature, and says signatures were not checked", async () => {
    const [root] = await mintChain([]);
    const [head = "", payload = "", signature = ""] = (root?.compact ?? "").split(".");
    const forged = `${head}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    expect(await inspectOffline(forged)).toMatchObject({ checked: "structure", decision: "allow" });
  });

  test("refuses a hop that widens its parent's capabilities (scope_widening) with exit 1", async () => {
    const root = await mintRoot();
    const widened = await mintHop(root, bob, { cap: [{ act: "*", res: "**" }] });
    const outcome = await inspectOffline(joined([root, widened]));
    expect(outcome.code).toBe(EXIT_CODES.failed);
    expect(outcome.reasons[0]).toMatchObject({ code: "scope_widening", hop: 1 });
  });

  test("refuses a chain past its revalidation time (revalidation_due), as the walker with keys does", async () => {
    const root = await mintRoot({ rvl: NOW - 10, iat: NOW - 100, nbf: NOW - 100 });
    const outcome = await inspectOffline(joined([root]));
    expect(outcome.decision).toBe("deny");
    expect(outcome.reasons.map((reason) => reason.code)).toEqual(["revalidation_due"]);
  });

  test("refuses a hop whose issuer is not the root's, as the walker with keys does", async () => {
    const root = await mintRoot();
    const elsewhere = await mintHop(root, bob, { iss: "https://other.example" });
    const outcome = await inspectOffline(joined([root, elsewhere, await mintHop(elsewhere, carol)]));
    expect(outcome.code).toBe(EXIT_CODES.failed);
    expect(outcome.reasons[0]).toMatchObject({ code: "malformed", hop: 1 });
  });

  test("refuses a chain longer than the library's default limit (chain_too_long)", async () => {
    const root = await mintRoot({ mdp: 20 });
    const tokens = [root];
    for (let hop = 1; hop <= 16; hop++) tokens.push(await mintHop(tokens[hop - 1] ?? root, bob));
    const outcome = await inspectOffline(joined(tokens));
    expect(outcome.reasons[0]).toMatchObject({ code: "chain_too_long" });
  });
});
