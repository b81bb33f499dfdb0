/**
 * The PostgreSQL blast radius beyond the shared contract: on seeded graphs it agrees with a plain
 * walk over every row, and a graph issuance would refuse (written here with raw SQL, as only a bug
 * or a hand edit could) still gives each row once.
 */
import {
  type DelegationRecord,
  type StoredDelegationRow,
  toDelegationRecord,
} from "@baton/store/adapter-kit";
import { grant, hop, referenceBlastRadius, registerAgents, T0 } from "@baton/store/conformance/fixtures";
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, expect } from "vitest";
import { openPostgresStore, type PostgresStore, seedPostgresGraph } from "../src/index.ts";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "./helpers/scratch-database.ts";

const ROW_COLUMNS = `did, parent, root, task, depth, from_agent as "from", to_agent as "to", intent, cap, aud,
  mdp, exp, rvi, created_at as "createdAt", status, revoked_at as "revokedAt", revoke_reason as "revokeReason",
  revoke_cause as "revokeCause", revocation_seq as "revocationSeq", status_list as "statusList",
  status_index as "statusIndex"`;

async function allRows(store: PostgresStore): Promise<DelegationRecord[]> {
  const { rows } = await store.pool.query<StoredDelegationRow>(`select ${ROW_COLUMNS} from delegations`);
  return rows.map(toDelegationRecord);
}

describeWithPostgres("blastRadius on PostgreSQL", () => {
  let database: ScratchDatabase;
  let store: PostgresStore;

  beforeEach(async () => {
    database = await createScratchDatabase();
    store = await openPostgresStore(database.url, { maxConnections: 2 });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  test.prop([fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.nat(), { maxLength: 8 })], {
    numRuns: 5,
  })(
    "agrees with a walk over every row, on seeded graphs with some subtrees revoked",
    async (seed, picks) => {
      // Each run seeds its own graph beside the earlier ones: ids carry the seed, and the reference
      // reads every row there is.
      const graph = await seedPostgresGraph(store, {
        delegations: 200,
        seed,
        agents: 8,
        maxTaskSize: 60,
        tokens: false,
      });
      const dids = (await allRows(store))
        .filter((row) => graph.agents.includes(row.to))
        .map((row) => row.did);
      for (const pick of picks) {
        const did = dids[pick % dids.length] as string;
        if ((await store.getDelegation(did))?.status === "live") {
          await store.revokeDelegation(did, { reason: "property", at: 1_700_000_100 });
        }
      }
      const rows = await allRows(store);
      for (const agent of graph.agents) {
        expect(await store.blastRadius(agent)).toEqual(referenceBlastRadius(rows, agent));
      }
    },
  );

  test("reaches a row below two delegations the agent holds once, and lists both as held", async () => {
    const [alice, bob, carol] = await registerAgents(store, "alice", "bob", "carol");
    // alice ── bob ── alice (nested: issuance refuses it as a cycle) ── carol
    const root = await grant(store, alice);
    const toBob = await hop(store, root, bob);
    const rawHop = async (parent: string, from: string, to: string, did: string) => {
      await store.pool.query(
        `insert into delegations (did, parent, root, task, depth, from_agent, to_agent, cap, aud, mdp, exp, created_at)
         select $2, did, root, task, depth + 1, $3, $4, '[{"act":"*","res":"repo:acme/**"}]', '["tools"]', 1, $5, $6
         from delegations where did = $1`,
        [parent, did, from, to, T0 + 3600, T0],
      );
      return did;
    };
    const nested = await rawHop(toBob.did, bob, alice, "raw-nested-alice");
    const below = await rawHop(nested, alice, carol, "raw-below-carol");

    const radius = await store.blastRadius(alice);
    expect(radius.held.map((d) => d.did)).toEqual([root.did, nested]);
    expect(radius.reachable.map((d) => d.did)).toEqual([toBob.did, below]);
    expect(radius.agents).toEqual([bob, carol].sort());
  });
});
