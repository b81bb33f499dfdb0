/**
 * Task business hours (issue 7): a grant may declare them; they are kept on the task row, written
 * in the grant's own transaction, and runtime policy reads them from there at every delegation.
 */
import { createCedarPolicy, loadPolicySet } from "@baton/policy";
import type { Store, TaskHours } from "@baton/store";
import { countRecords } from "@baton/store/conformance/fixtures";
import type { PolicyContext, PolicyHook } from "@baton/verifier";
import { afterEach, describe, expect, test } from "vitest";
import {
  createHarness,
  delegate,
  ensureAudience,
  type Harness,
  json,
  registerAgent,
  T0,
  type TestAgent,
} from "./harness.ts";

const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };
// T0 (2026-01-01 00:00 UTC) is a Thursday: ISO weekday 4.
const THURSDAY_DAYTIME = { days: [4, 5], start: "08:00", end: "18:30" };

/** The shipped Cedar set, as `startServer` loads it by default. */
function shippedPolicy(): PolicyHook {
  const loaded = loadPolicySet();
  if (!loaded.ok) throw loaded.error;
  return createCedarPolicy(loaded.value);
}

/**
 * A policy that remembers the context of every delegation it is asked about, and answers as `inner`
 * does (allow-all by default).
 */
function recordingPolicy(inner: PolicyHook = () => ({ decision: "allow" })): {
  hook: PolicyHook;
  delegations: PolicyContext[];
} {
  const delegations: PolicyContext[] = [];
  return {
    delegations,
    hook: (context) => {
      if (context.action === "baton.delegate") delegations.push(context);
      return inner(context);
    },
  };
}

/** Grants `agent` a root delegation for a new task, declaring `hours` when given. */
async function grantWithHours(h: Harness, agent: TestAgent, hours?: unknown): Promise<Response> {
  await ensureAudience(h, "repo-tool");
  const response = await h.op("POST", "/v1/grants", {
    agent: agent.id,
    task: { intent: "triage", ...(hours === undefined ? {} : { hours }) },
    cap: [ISSUES],
    aud: ["repo-tool"],
    ttl: 43_200,
    rvi: 43_200,
  });
  if (response.status === 201) {
    const issued = (await response.clone().json()) as { did: string; chain: string };
    agent.chain = issued.chain;
    agent.did = issued.did;
  }
  return response;
}

/** `store` as the service will see it: `overrides` in place of the real methods, the rest as they are. */
function decorated<S extends Store>(store: S, overrides: Partial<Store>): S {
  return new Proxy(store, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof Store];
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A harness whose store remembers the key of every setting the service writes. */
async function harnessRecordingSettings(
  policy: PolicyHook,
): Promise<{ h: Harness; settingWrites: string[] }> {
  const settingWrites: string[] = [];
  const h = await createHarness({
    policy,
    wrapStore: (store) =>
      decorated(store, {
        setSetting: async (key, value, at) => {
          settingWrites.push(key);
          await store.setSetting(key, value, at);
        },
      }),
  });
  return { h, settingWrites };
}

describe("task business hours", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  test("a grant's hours are kept on its task, and policy sees them at delegation in minutes of the day", async () => {
    const policy = recordingPolicy();
    const recording = await harnessRecordingSettings(policy.hook);
    h = recording.h;
    const alice = await registerAgent(h, "agent:alice");
    const bob = await registerAgent(h, "agent:bob");
    const settingsBefore = recording.settingWrites.length;

    const granted = await grantWithHours(h, alice, THURSDAY_DAYTIME);
    expect(granted.status).toBe(201);
    const { task } = (await json(granted)) as { task: string };
    expect((await h.store.getTask(task))?.hours).toEqual(THURSDAY_DAYTIME);
    // The hours live on the task, not beside it.
    expect(recording.settingWrites).toHaveLength(settingsBefore);

    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(201);
    expect(policy.delegations).toHaveLength(1);
    expect(policy.delegations[0]?.context.taskHours).toEqual({ days: [4, 5], start: 480, end: 1110 });
    expect(policy.delegations[0]?.context.taskIntent).toBe("triage");
  });

  test("a grant without hours gives policy no hours", async () => {
    const policy = recordingPolicy();
    h = await createHarness({ policy: policy.hook });
    const alice = await registerAgent(h, "agent:alice");
    const bob = await registerAgent(h, "agent:bob");
    const granted = await grantWithHours(h, alice);
    expect(granted.status).toBe(201);
    expect((await h.store.getTask(((await json(granted)) as { task: string }).task))?.hours).toBeNull();
    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(201);
    expect(policy.delegations[0]?.context).not.toHaveProperty("taskHours");
  });

  test("under the shipped Cedar set, a delegation outside the task's hours is policy_denied, inside them issued", async () => {
    h = await createHarness({ policy: shippedPolicy() });
    const alice = await registerAgent(h, "agent:alice");
    const bob = await registerAgent(h, "agent:bob");
    expect((await grantWithHours(h, alice, THURSDAY_DAYTIME)).status).toBe(201);

    // 00:00 on a Thursday: before the window opens.
    const refused = await delegate(h, alice, bob, { cap: [ISSUES] });
    expect(refused.status).toBe(403);
    const problem = (await json(refused)) as { code: string; reasons: { policies?: string[] }[] };
    expect(problem.code).toBe("policy_denied");
    expect(problem.reasons[0]?.policies).toEqual(["delegate-outside-business-hours"]);

    h.now = T0 + 9 * 3600; // 09:00
    expect((await delegate(h, alice, bob, { cap: [ISSUES] })).status).toBe(201);
  });

  test("refuses malformed hours with 400 and writes no task, delegation or decision", async () => {
    const recording = await harnessRecordingSettings(recordingPolicy().hook);
    h = recording.h;
    const alice = await registerAgent(h, "agent:alice");
    const before = { ...(await countRecords(h.store)), settingWrites: recording.settingWrites.length };
    for (const hours of [
      { ...THURSDAY_DAYTIME, days: [1, 1] },
      { ...THURSDAY_DAYTIME, days: [] },
      { ...THURSDAY_DAYTIME, days: [0] },
      { ...THURSDAY_DAYTIME, start: "18:30", end: "08:00" },
      { ...THURSDAY_DAYTIME, start: "8:00" },
      { ...THURSDAY_DAYTIME, end: "24:30" },
      { ...THURSDAY_DAYTIME, zone: "UTC" },
      { days: [1], start: 480, end: 1080 },
    ]) {
      const response = await grantWithHours(h, alice, hours);
      expect({ hours, status: response.status, code: (await json(response)).code }).toEqual({
        hours,
        status: 400,
        code: "invalid_request",
      });
    }
    expect({ ...(await countRecords(h.store)), settingWrites: recording.settingWrites.length }).toEqual(
      before,
    );
  });

  test("stored hours the service cannot read reach policy as an empty week, which denies, never as no hours", async () => {
    const policy = recordingPolicy(shippedPolicy());
    // As if someone edited the file by hand: well-formed JSON, but not hours. The adapter hands back
    // whatever JSON the row holds, so the service reads exactly this through `chainFacts` (with a
    // chain's link statuses) and `getTask`.
    const corrupted = new Set<string>();
    const notHours = { days: [4], start: "8", end: "x" } as unknown as TaskHours;
    h = await createHarness({
      policy: policy.hook,
      wrapStore: (store) =>
        decorated(store, {
          getTask: async (id) => {
            const task = await store.getTask(id);
            return task !== undefined && corrupted.has(id) ? { ...task, hours: notHours } : task;
          },
          chainFacts: async (dids, options) => {
            const facts = await store.chainFacts(dids, options);
            return facts.task !== undefined && corrupted.has(facts.task.id)
              ? { ...facts, task: { ...facts.task, hours: notHours } }
              : facts;
          },
        }),
    });
    const alice = await registerAgent(h, "agent:alice");
    const bob = await registerAgent(h, "agent:bob");
    const granted = await grantWithHours(h, alice, THURSDAY_DAYTIME);
    const { task } = (await json(granted)) as { task: string };
    corrupted.add(task);
    h.now = T0 + 9 * 3600; // inside the hours the grant declared
    const refused = await delegate(h, alice, bob, { cap: [ISSUES] });
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe("policy_denied");
    expect(policy.delegations[0]?.context.taskHours).toEqual({ days: [], start: 0, end: 0 });
  });
});
