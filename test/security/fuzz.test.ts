/**
 * Fuzzing (issue 9) with fast-check over the chain parser, the verifier and the HTTP API: no
 * input crashes, throws, or yields an untyped error, and nothing is accepted unless it is a
 * correctly signed, correctly linked chain. The seed is fixed (`BATON_FUZZ_SEED`, default 42);
 * `BATON_LONG=1` runs many more cases.
 */

import { decodeChain, REASON_CODES } from "@baton/token";
import { authenticateChain } from "@baton/verifier";
import { fc, test } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import {
  ISSUER,
  makeVerifier,
  NOW,
  presentation,
  service,
  standardChain,
} from "../../packages/verifier/test/fixtures.ts";
import { type Agent, KNOWN_CODES, type SecurityService, startSecurityService } from "./harness.ts";

const seed = Number(process.env.BATON_FUZZ_SEED ?? 42);
const long = process.env.BATON_LONG === "1";
const runs = (short: number, longer: number) => ({ seed, numRuns: long ? longer : short });
const reasonCodes: ReadonlySet<string> = new Set(REASON_CODES);

const valid = standardChain();
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const chainChar = fc.constantFrom(...`${B64URL}.~=+/ %\u0000\u00e9`.split(""));

/** One edit of a chain string: replace, delete, insert or duplicate a range, or swap two tokens. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), char: chainChar }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.string({ unit: chainChar, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(chain: string, edit: Mutation): string {
  switch (edit.kind) {
    case "replace": {
      const at = edit.at % chain.length;
      return `${chain.slice(0, at)}${edit.char}${chain.slice(at + 1)}`;
    }
    case "delete": {
      const at = edit.at % chain.length;
      return `${chain.slice(0, at)}${chain.slice(at + edit.length)}`;
    }
    case "insert": {
      const at = edit.at % (chain.length + 1);
      return `${chain.slice(0, at)}${edit.text}${chain.slice(at)}`;
    }
    case "duplicate": {
      const at = edit.at % chain.length;
      return `${chain.slice(0, at)}${chain.slice(at, at + edit.length)}${chain.slice(at)}`;
    }
    case "swap": {
      const parts = chain.split("~");
      const a = edit.a % parts.length;
      const b = edit.b % parts.length;
      [parts[a], parts[b]] = [parts[b] ?? "", parts[a] ?? ""];
      return parts.join("~");
    }
  }
}

const env = {
  now: NOW,
  issuer: ISSUER,
  resolveKey: (kid: string) => (kid === service.kid ? service.publicKey : undefined),
  status: (hops: readonly unknown[]) => hops.map(() => undefined),
  clockSkewSeconds: 30,
  maxChainLength: 16,
  maxTokenBytes: 8192,
};

describe("fuzzing the chain parser", () => {
  test.prop([fc.string({ maxLength: 2000 })], runs(300, 5000))(
    "decodeChain and authenticateChain never throw on arbitrary text and never accept it",
    (text) => {
      const split = decodeChain(text);
      if (!split.ok) expect(reasonCodes.has(split.error.code)).toBe(true);
      const result = authenticateChain(text, env);
      expect(result.ok).toBe(false);
      if (!result.ok) for (const reason of result.reasons) expect(reasonCodes.has(reason.code)).toBe(true);
    },
  );

  test.prop([fc.array(fc.string({ unit: chainChar, maxLength: 300 }), { maxLength: 20 })], runs(200, 3000))(
    "never accepts base64url-looking garbage joined as a chain",
    (parts) => {
      const result = authenticateChain(parts.join("~"), env);
      expect(result.ok).toBe(false);
    },
  );
});

describe("fuzzing the verifier", () => {
  const verifier = makeVerifier();

  test.prop([fc.array(mutation, { minLength: 1, maxLength: 3 })], runs(150, 3000))(
    "allows a mutated chain only if the mutation left it byte-for-byte unchanged",
    async (edits) => {
      const chain = edits.reduce(mutate, valid.chain);
      const decision = await verifier.verify(presentation(valid, { chain }));
      if (chain === valid.chain) expect(decision.decision).toBe("allow");
      else {
        expect(decision.decision).toBe("deny");
        for (const reason of decision.reasons) expect(reasonCodes.has(reason.code)).toBe(true);
      }
    },
  );

  test.prop(
    [
      fc.string({ maxLength: 600 }),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 80 }),
      fc.jsonValue(),
    ],
    runs(150, 3000),
  )(
    "never throws on an arbitrary proof, action, resource and arguments",
    async (proof, action, resource, args) => {
      const decision = await verifier.verify({
        ...presentation(valid),
        proof,
        action,
        resource,
        args: typeof args === "object" && args !== null && !Array.isArray(args) ? args : { value: args },
      });
      expect(decision.decision).toBe("deny");
      for (const reason of decision.reasons) expect(reasonCodes.has(reason.code)).toBe(true);
    },
  );
});

describe("fuzzing the HTTP API", () => {
  let svc: SecurityService;
  let alice: Agent;
  beforeAll(async () => {
    svc = await startSecurityService();
    alice = await svc.registerAgent("alice");
    await svc.grant(alice);
  });
  afterAll(async () => {
    await svc?.close();
  });

  async function expectTyped(response: Response): Promise<void> {
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers.get("content-type") ?? "").toContain("application/problem+json");
      const { code } = (await response.json()) as { code: unknown };
      expect(typeof code === "string" && KNOWN_CODES.has(code)).toBe(true);
    } else await response.arrayBuffer();
  }

  const field = fc.oneof(
    fc.constantFrom("id", "jwk", "agent", "task", "cap", "aud", "ttl", "rvi", "mdp", "to", "did", "reason"),
    fc.constantFrom("chain", "proof", "htm", "htu", "audience", "action", "resource", "args", "__proto__"),
    fc.string({ maxLength: 10 }),
  );
  const body = fc.oneof(fc.dictionary(field, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }), fc.jsonValue());

  test.prop(
    [
      fc.constantFrom(
        "/v1/agents",
        "/v1/grants",
        "/v1/revocations",
        "/v1/audiences",
        "/v1/verify",
        "/v1/decisions",
      ),
      body,
    ],
    runs(120, 3000),
  )(
    "answers any JSON body on an operator or tool route with a typed status below 500",
    async (path, value) => {
      const response = await svc.op("POST", path, JSON.stringify(value));
      await expectTyped(response);
    },
  );

  test.prop(
    [
      fc.string({ unit: fc.constantFrom(...`${B64URL}.~`.split("")), maxLength: 400 }),
      fc.option(fc.string({ maxLength: 200 })),
      body,
    ],
    runs(120, 3000),
  )(
    "answers any Baton chain, proof and body at /v1/delegations with a typed status below 500",
    async (chain, proof, value) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      headers.authorization = `DPoP ${chain === "" ? "x" : chain}`;
      if (proof !== null) headers.dpop = proof.replace(/[^\x21-\x7e]/g, "");
      const response = await fetch(`${svc.url}/v1/delegations`, {
        method: "POST",
        headers,
        body: JSON.stringify(value),
      });
      await expectTyped(response);
      expect(response.status).not.toBe(201);
    },
  );

  test.prop([fc.array(mutation, { minLength: 1, maxLength: 2 })], runs(80, 2000))(
    "verifies a mutated real chain online as deny, with a reason code, unless it is unchanged",
    async (edits) => {
      const chain = edits.reduce(mutate, alice.chain);
      const valid = /^[\x20-\x7e]*$/.test(chain) && chain.length > 0;
      const { status, body: decision } = await svc.verify({ chain: valid ? chain : "x", proofBy: alice.key });
      expect(status).toBe(200);
      if (chain === alice.chain) expect(decision.decision).toBe("allow");
      else expect(decision.decision).toBe("deny");
      for (const reason of decision.reasons) expect(reasonCodes.has(reason.code)).toBe(true);
    },
  );

  test("the database is intact and the decision log verifies after the fuzzing", async () => {
    expect(await svc.store.checkIntegrity()).toEqual([]);
    expect((await svc.store.verifyDecisionLog()).ok).toBe(true);
  });
});
