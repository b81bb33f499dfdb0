/**
 * `graphInvariantProblems` (the conformance fixtures' port-only check of the delegation graph, which
 * the crash-consistency test runs after every SIGKILL) finds each kind of damage it promises. The
 * damage is written here with raw SQL past the schema's own guards, as only a crash, a bug or a
 * hand edit could; a sound graph reports nothing.
 */
import { graphInvariantProblems } from "@baton/store/conformance/fixtures";
import { randomId } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { grant, hopInput, type Issued, registerAgents, T0 } from "./helpers/graph-fixture.ts";

let store: SqliteStore;
let alice: string;
let bob: string;
let carol: string;
let dave: string;

beforeEach(async () => {
  store = openSqliteStore({ path: ":memory:" });
  [alice, bob, carol, dave] = await registerAgents(store, "alice", "bob", "carol", "dave");
});

afterEach(async () => store.close());

/** A hop recorded as the service records one: with its `delegate` `allow` decision in the same write. */
async function recordedHop(parent: Issued, to: string): Promise<Issued> {
  const input = hopInput(parent, to);
  const d = input.delegation;
  await store.recordHop({
    ...input,
    audit: {
      at: T0,
      kind: "delegate",
      decision: "allow",
      task: d.task,
      did: d.did,
      agent: d.from,
      reasons: [],
    },
  });
  return {
    did: d.did,
    jti: input.token.jti,
    compact: input.token.compact,
    task: d.task,
    depth: d.depth,
    mdp: d.mdp,
    to,
    cap: d.cap,
    aud: d.aud,
    exp: d.exp,
  };
}

/** alice → bob → carol, every hop with its decision. */
async function soundChain(): Promise<{ root: Issued; toBob: Issued; toCarol: Issued }> {
  const root = await grant(store, alice);
  const toBob = await recordedHop(root, bob);
  const toCarol = await recordedHop(toBob, carol);
  return { root, toBob, toCarol };
}

describe("graphInvariantProblems", () => {
  test("reports nothing on a sound graph, revocations and revalidations included", async () => {
    const { root, toBob } = await soundChain();
    await store.recordRevalidation({
      did: root.did,
      token: {
        jti: randomId(),
        compact: root.compact.replace(/^./, "f"),
        iat: T0 + 10,
        exp: root.exp,
        rvl: T0 + 3600,
      },
      at: T0 + 10,
    });
    await store.revokeDelegation(toBob.did, { reason: "done", at: T0 + 20 });
    const other = await grant(store, bob);
    await recordedHop(other, carol);
    await store.completeTask(other.task, { at: T0 + 30 });
    expect(await graphInvariantProblems(store)).toEqual([]);
  });

  test("reports a delegation without a token", async () => {
    const { root } = await soundChain();
    const ghost = randomId();
    store.database
      .prepare(
        `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
         select ?, null, root, task, 0, null, to_agent, cap, aud, mdp, exp, created_at from delegations where did = ?`,
      )
      .run(ghost, root.did);
    expect(await graphInvariantProblems(store)).toEqual([`delegation ${ghost} has no token`]);
  });

  test("reports a token whose delegation is missing", async () => {
    const { root } = await soundChain();
    const ghost = randomId();
    store.database.pragma("foreign_keys = OFF");
    store.database
      .prepare(
        `insert into tokens (jti, did, version, supersedes, prf, hash, iat, exp, rvl, compact, recorded_at)
         select ?, ?, 1, null, prf, hash, iat, exp, rvl, compact, recorded_at from tokens where did = ?`,
      )
      .run(randomId(), ghost, root.did);
    // What the service writes with every issuance: a decision that names the did.
    await store.appendDecision({ at: T0, kind: "grant", decision: "allow", did: ghost, reasons: [] });
    expect(await graphInvariantProblems(store)).toEqual([`token of ${ghost} has no delegation`]);
  });

  test("reports a hop recorded without its delegate allow decision", async () => {
    const { toCarol } = await soundChain();
    const input = hopInput(toCarol, dave);
    await store.recordHop(input);
    expect(await graphInvariantProblems(store)).toEqual([
      `hop ${input.delegation.did} has no delegate allow decision`,
    ]);
  });

  test("does not count a denied delegate decision as the hop's record", async () => {
    const { toCarol } = await soundChain();
    const input = hopInput(toCarol, dave);
    const d = input.delegation;
    await store.recordHop({
      ...input,
      audit: { at: T0, kind: "delegate", decision: "deny", task: d.task, did: d.did, reasons: [] },
    });
    expect(await graphInvariantProblems(store)).toEqual([`hop ${d.did} has no delegate allow decision`]);
  });

  test("reports a revoked delegation without a revocation sequence", async () => {
    const { toCarol } = await soundChain();
    store.database.pragma("ignore_check_constraints = ON");
    store.database
      .prepare("update delegations set status = 'revoked', revoked_at = ? where did = ?")
      .run(T0 + 5, toCarol.did);
    expect(await graphInvariantProblems(store)).toEqual([
      `revoked delegation ${toCarol.did} has no revocation sequence`,
    ]);
  });

  test("reports a live delegation below a revoked parent", async () => {
    const { toBob, toCarol } = await soundChain();
    store.database
      .prepare(
        "update delegations set status = 'revoked', revoked_at = ?, revocation_seq = 999 where did = ?",
      )
      .run(T0 + 5, toBob.did);
    expect(await graphInvariantProblems(store)).toEqual([
      `live delegation ${toCarol.did} is below revoked parent ${toBob.did}`,
    ]);
  });
});
