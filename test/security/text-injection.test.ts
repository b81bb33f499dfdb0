/**
 * Terminal and text injection (issue 14) and ill-formed Unicode (issue 13), over real HTTP on a
 * real SQLite file: every free-text field an operator or an agent writes refuses C1 controls
 * (CSI U+009B, OSC U+009D), bidi overrides (U+202E) and line breaks as a 400 naming the field,
 * and a lone UTF-16 surrogate as a 400 `malformed`; nothing is written either way.
 *
 * @see issue 14 ("Terminal and text injection"), issue 13 ("Log made to fail verification")
 */
import { countRecords } from "@baton/store/conformance/fixtures";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeKey } from "../../packages/verifier/test/fixtures.ts";
import {
  type Agent,
  ROOT_CAP,
  type SecurityService,
  startSecurityService,
  TOOL_AUDIENCE,
} from "./harness.ts";

let svc: SecurityService;
let alice: Agent;
let bob: Agent;

beforeAll(async () => {
  svc = await startSecurityService();
  alice = await svc.registerAgent("alice");
  bob = await svc.registerAgent("bob");
  await svc.grant(alice);
});
afterAll(async () => {
  await svc?.close();
});

/** The characters that rewrite a terminal line or what a reader sees, and a line break. */
const HOSTILE = [
  ["CSI (U+009B)", "\u009b2J"],
  ["OSC (U+009D)", "\u009d8;;https://evil.example\u0007"],
  ["a bidi override (U+202E)", "\u202etxt.exe"],
  ["a newline", "line one\nline two"],
] as const;

/** One free-text field: how to send a value in it, and what must not have changed afterwards. */
interface FreeTextField {
  readonly name: string;
  /** The field as the 400's detail names it. */
  readonly path: string;
  send(value: string): Promise<Response>;
}

let counter = 0;
const fresh = (prefix: string) => `${prefix}${++counter}`;
/** Every audience id a test asked to register, so the footprint can look each one up. */
const audienceIdsSent: string[] = [];

const FIELDS: readonly FreeTextField[] = [
  {
    name: "an agent's display name",
    path: "name",
    send: (value) => svc.op("POST", "/v1/agents", { id: fresh("agent:n"), jwk: makeKey().jwk, name: value }),
  },
  {
    name: "an agent's owner",
    path: "owner",
    send: (value) => svc.op("POST", "/v1/agents", { id: fresh("agent:o"), jwk: makeKey().jwk, owner: value }),
  },
  {
    name: "the reason an agent is disabled",
    path: "reason",
    send: (value) => svc.op("POST", `/v1/agents/${encodeURIComponent(bob.id)}/disable`, { reason: value }),
  },
  {
    name: "a task's intent in a grant",
    path: "task.intent",
    send: (value) =>
      svc.op("POST", "/v1/grants", {
        agent: bob.id,
        task: { intent: value },
        cap: ROOT_CAP,
        aud: [TOOL_AUDIENCE],
      }),
  },
  {
    name: "a delegation's intent (written by an agent)",
    path: "intent",
    send: (value) => svc.delegate(alice, bob, { intent: value }),
  },
  {
    name: "a revocation reason written by an agent",
    path: "reason",
    send: (value) => svc.agentCall(alice, "POST", "/v1/revocations", { did: alice.did, reason: value }),
  },
  {
    name: "a revocation reason written by the operator",
    path: "reason",
    send: (value) => svc.op("POST", "/v1/revocations", { did: alice.did, reason: value }),
  },
  {
    name: "an audience's display name",
    path: "name",
    send: (value) => {
      const id = fresh("tool-");
      audienceIdsSent.push(id);
      return svc.op("POST", "/v1/audiences", { id, name: value });
    },
  },
  {
    name: "the action of a verify request",
    path: "action",
    send: (value) => verifyWith({ action: value }),
  },
  {
    name: "the resource of a verify request",
    path: "resource",
    send: (value) => verifyWith({ resource: value }),
  },
];

function verifyWith(call: { action?: string; resource?: string }): Promise<Response> {
  return svc.verifyResponse({ chain: alice.chain, proofBy: alice.key, ...call });
}

/**
 * What any accepted write would change, read through the store's port: agents, tasks, delegations,
 * tokens and decisions, alice's delegation, and every audience this file ever asked to register.
 */
async function footprint(): Promise<string> {
  const audiences: string[] = [];
  for (const id of [TOOL_AUDIENCE, ...audienceIdsSent]) {
    if ((await svc.store.getAudience(id)) !== undefined) audiences.push(id);
  }
  return JSON.stringify({
    agents: (await svc.store.listAgents()).map((agent) => [agent.id, agent.status]),
    ...(await countRecords(svc.store)),
    revoked: (await svc.store.getDelegation(alice.did))?.status,
    audiences,
  });
}

describe.each(FIELDS)("$name", (field) => {
  test.each(HOSTILE)("refuses %s with a 400 naming the field, writing nothing", async (_what, hostile) => {
    const before = await footprint();
    const response = await field.send(`before ${hostile} after`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; detail: string };
    expect(body.code).toBe("invalid_request");
    expect(body.detail).toMatch(new RegExp(`(^|; )${field.path.replace(".", "\\.")}: must not contain`));
    expect(await footprint()).toBe(before);
  });

  test("refuses a lone UTF-16 surrogate as malformed, writing nothing", async () => {
    const before = await footprint();
    const response = await field.send("lone \ud800 surrogate");
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; detail: string };
    expect(body.code).toBe("malformed");
    expect(body.detail).toContain(`${field.path}: must be well-formed Unicode`);
    expect(await footprint()).toBe(before);
  });
});

test("keeps free text in any script, emoji included, exactly as written", async () => {
  const name = "Zoë 🧑‍💻 Łukasz 山田 مرحبا";
  const response = await svc.op("POST", "/v1/agents", { id: "agent:unicode", jwk: makeKey().jwk, name });
  expect(response.status).toBe(201);
  expect((await svc.store.getAgent("agent:unicode"))?.name).toBe(name);
});
