/**
 * What is hashed is what is read back (issue 13). A lone UTF-16 surrogate used to pass the
 * request schemas, be hashed into the decision log as such, and be stored by SQLite as U+FFFD, so
 * `baton audit verify` reported tampering. Here arbitrary strings (any UTF-16 code units, lone
 * surrogates, controls, graphemes) go through every write path of the real service over real
 * HTTP on a real SQLite file; each is either stored exactly or refused with a 400, and the
 * decision log, re-read from the file by a fresh connection, still verifies.
 *
 * @see issue 13 ("Log made to fail verification")
 */
import { join } from "node:path";
import { textProblem } from "@baton/store";
import { openSqliteStore } from "@baton/store-sqlite";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { makeKey } from "../../packages/verifier/test/fixtures.ts";
import {
  type Agent,
  ROOT_CAP,
  type SecurityService,
  startSecurityService,
  TOOL_AUDIENCE,
  TOOL_URL,
  toolProof,
} from "./harness.ts";

const seed = Number(process.env.BATON_FUZZ_SEED ?? 42);
const numRuns = process.env.BATON_LONG === "1" ? 300 : 30;

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

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
/** Any text, with lone surrogates and controls much more likely than chance would make them. */
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  fc
    .tuple(fc.string({ maxLength: 10 }), loneSurrogate, fc.string({ maxLength: 10 }))
    .map(([a, lone, b]) => `${a}${lone}${b}`),
  fc.constantFrom("\ud800", "a\udc00b", "\udbff\udbff", "ok\u009b", "\u202e", "x\ny", "plain text"),
);

/** A write either succeeded or was refused as bad input; never an internal error. */
async function expectStoredOrRefused(response: Response, what: string): Promise<boolean> {
  if (response.status < 300) return true;
  const body = (await response.json()) as { code: string; detail: string };
  expect(response.status, `${what}: ${body.detail}`).toBe(400);
  expect(["invalid_request", "malformed"], `${what}: ${body.code}`).toContain(body.code);
  return false;
}

let run = 0;

/** Every write path a string reaches the store through, with `text` in each free-text field. */
async function writeEverywhere(text: string): Promise<void> {
  const n = ++run;
  const named = await svc.op("POST", "/v1/agents", {
    id: `agent:named${n}`,
    jwk: makeKey().jwk,
    name: text,
    owner: text,
  });
  if (await expectStoredOrRefused(named, "register name/owner")) {
    const stored = await svc.store.getAgent(`agent:named${n}`);
    expect(stored?.name).toBe(text);
    expect(stored?.owner).toBe(text);
  }
  const target = await svc.registerAgent(`target${n}`);

  const granted = await svc.op("POST", "/v1/grants", {
    agent: target.id,
    task: { intent: text },
    cap: ROOT_CAP,
    aud: [TOOL_AUDIENCE],
  });
  if (await expectStoredOrRefused(granted, "grant intent")) {
    const { task } = (await granted.json()) as { task: string };
    expect((await svc.store.getTask(task))?.intent).toBe(text);
  }

  const delegated = await svc.delegate(alice, target, { intent: text });
  if (await expectStoredOrRefused(delegated, "delegation intent")) {
    const { did } = (await delegated.json()) as { did: string };
    expect((await svc.store.getDelegation(did))?.intent).toBe(text);
  }

  const verified = await svc.verifyResponse({
    chain: alice.chain,
    proofBy: alice.key,
    action: text,
    resource: text,
  });
  await expectStoredOrRefused(verified, "verify action/resource");

  // A deny of a chain that could not be read: the one report a tool server may make without
  // naming a delegation, so every entry reaches the store's checks.
  const reported = await fetch(`${svc.url}/v1/decisions`, {
    method: "POST",
    headers: { authorization: `Bearer ${svc.toolSecret}`, "content-type": "application/json" },
    body: JSON.stringify({
      decisions: [
        {
          at: svc.now,
          audience: TOOL_AUDIENCE,
          method: "POST",
          path: `/repos/${text}`,
          action: text,
          resource: text,
          decision: {
            decision: "deny",
            reasons: [{ hop: null, code: "malformed", message: text }],
            chain: [],
            task: null,
            actor: { agent: null, proven: false },
            presented: [],
          },
        },
      ],
    }),
  });
  expect(reported.status, "decision report").toBe(200);
  const outcome = (await reported.json()) as { accepted: number; refused: { code: string }[] };
  const storable = text.length > 0 && textProblem(text) === undefined;
  expect(outcome.accepted, `decision report ${JSON.stringify(outcome.refused)}`).toBe(storable ? 1 : 0);
  if (!storable) expect(outcome.refused.map((refusal) => refusal.code)).toEqual(["malformed"]);

  const audience = await svc.op("POST", "/v1/audiences", { id: `tool-${n}`, name: text });
  await expectStoredOrRefused(audience, "audience name");

  const revoked = await svc.op("POST", "/v1/revocations", { agent: target.id, reason: text });
  await expectStoredOrRefused(revoked, "revocation reason");

  const disabled = await svc.op("POST", `/v1/agents/${encodeURIComponent(target.id)}/disable`, {
    reason: text,
  });
  if (await expectStoredOrRefused(disabled, "disable reason")) {
    expect((await svc.store.getAgent(target.id))?.status).toBe("disabled");
  }
}

test("arbitrary strings through every write path leave a decision log that verifies from the file", async () => {
  await fc.assert(fc.asyncProperty(anyText, writeEverywhere), { seed, numRuns });
  const before = await svc.store.verifyDecisionLog();
  expect(before).toMatchObject({ ok: true });
  // A fresh connection reads what SQLite actually stored, not anything cached in this one.
  const reopened = openSqliteStore({ path: join(svc.dir, "baton.db") });
  try {
    const verification = await reopened.verifyDecisionLog();
    expect(verification).toMatchObject({ ok: true });
    // At least each run's own registration and grant of its target were logged.
    expect(verification.rows).toBeGreaterThan(numRuns * 2);
  } finally {
    await reopened.close();
  }
});

test("a lone surrogate in a verify request's action is refused as malformed, and the log still verifies", async () => {
  const response = await fetch(`${svc.url}/v1/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${svc.toolSecret}`, "content-type": "application/json" },
    body: JSON.stringify({
      chain: alice.chain,
      proof: toolProof(alice.key, alice.chain, svc.now),
      htm: "POST",
      htu: TOOL_URL,
      audience: TOOL_AUDIENCE,
      action: "repo.issues.read\ud800",
      resource: "repo:acme/web/issues/1",
    }),
  });
  expect(response.status).toBe(400);
  expect(((await response.json()) as { code: string }).code).toBe("malformed");
  expect(await svc.store.verifyDecisionLog()).toMatchObject({ ok: true });
});
