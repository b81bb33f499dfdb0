/**
 * Crash consistency (issue 9): the service runs as a child process under concurrent delegation,
 * verification and revocation load, is SIGKILLed at seeded random points several times, and is
 * restarted on the same SQLite file. After every crash: every acknowledged (2xx) delegation, token
 * and revocation is in the file, nothing is half-written (no delegation without its token and its
 * decision, no token without its delegation), the decision log's hash chain verifies and
 * `integrity_check` is clean. `BATON_LONG=1` runs more cycles. The same cycles run on PostgreSQL
 * (issue 19) when BATON_TEST_POSTGRES_URL names a server: every restart is a new instance on the
 * same database.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SigningKeyStore, Store } from "@baton/store";
import { countDecisions, graphInvariantProblems } from "@baton/store/conformance/fixtures";
import { openPostgresStore } from "@baton/store-postgres";
import { openSqliteStore } from "@baton/store-sqlite";
import { afterAll, describe, expect, test } from "vitest";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "../../packages/store-postgres/test/helpers/scratch-database.ts";
import {
  type ProcessAgent,
  prng,
  ServiceClient,
  type ServiceProcess,
  startServiceProcess,
} from "./service-process.ts";

const seed = Number(process.env.BATON_FUZZ_SEED ?? 42);
const long = process.env.BATON_LONG === "1";
const CYCLES = long ? 12 : 4;
const WORKERS = 8;

/** Where the crashing service keeps its data, and how the test opens it to check. */
interface CrashDatabase {
  readonly location: string;
  /** Extra environment for the service (PostgreSQL needs an explicit KEK). */
  readonly env: Record<string, string>;
  open(): Promise<Store & SigningKeyStore>;
  /** Storage-level damage the backend can report (SQLite's integrity_check); none elsewhere. */
  integrityProblems(): Promise<string[]>;
}

async function crashCycles(
  database: CrashDatabase,
  /** Told which service process is running, so the suite can kill it if the test fails. */
  track: (process: ServiceProcess | undefined) => void,
): Promise<void> {
  let running: ServiceProcess | undefined;
  const random = prng(seed);
  const acked = { delegations: new Map<string, string>(), revoked: new Set<string>(), verifies: 0 };
  let planner: ProcessAgent | undefined;
  let secret = "";
  const delegates: ProcessAgent[] = [];

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    running = await startServiceProcess(database.location, { env: database.env });
    track(running);
    const client = new ServiceClient(running.url);
    if (planner === undefined) {
      planner = await client.registerAgent("planner");
      for (let i = 0; i < 6; i++) delegates.push(await client.registerAgent(`worker-${i}`));
      const audience = await client.op("POST", "/v1/audiences", { id: "repo-tool" });
      secret = ((await audience.json()) as { secret: string }).secret;
      const grant = await client.op("POST", "/v1/grants", {
        agent: planner.id,
        task: { intent: "crash test" },
        cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
        aud: ["repo-tool"],
        ttl: 3600,
        rvi: 3600,
        mdp: 3,
      });
      expect(grant.status).toBe(201);
      planner.chain = ((await grant.json()) as { chain: string }).chain;
    }
    const root = planner;

    let killed = false;
    const worker = async (w: number) => {
      const pick = prng(seed * 1000 + cycle * 100 + w);
      while (!killed) {
        const roll = pick();
        try {
          if (roll < 0.5) {
            const to = delegates[Math.floor(pick() * delegates.length)] as ProcessAgent;
            const response = await client.agentCall(root, "/v1/delegations", {
              to: to.id,
              cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
              ttl: 600,
            });
            if (response.status === 201) {
              const issued = (await response.json()) as { did: string; jti: string };
              acked.delegations.set(issued.did, issued.jti);
            } else await response.arrayBuffer();
          } else if (roll < 0.8) {
            const response = await client.verify(secret, root, "repo-tool");
            if (response.status === 200) acked.verifies++;
            await response.arrayBuffer();
          } else {
            const dids = [...acked.delegations.keys()].filter((did) => !acked.revoked.has(did));
            const did = dids[Math.floor(pick() * dids.length)];
            if (did === undefined) continue;
            const response = await client.op("POST", "/v1/revocations", { did, reason: `cycle ${cycle}` });
            if (response.status === 200) {
              for (const revoked of ((await response.json()) as { revoked: string[] }).revoked)
                acked.revoked.add(revoked);
            } else await response.arrayBuffer();
          }
        } catch {
          // A request cut off by the kill was never acknowledged.
        }
      }
    };
    const load = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(random() * 900)));
    await running.kill();
    killed = true;
    await Promise.all(load);
    running = undefined;
    track(undefined);

    const store = await database.open();
    try {
      expect(await database.integrityProblems()).toEqual([]);
      const log = await store.verifyDecisionLog();
      expect(log.ok).toBe(true);
      for (const [did, jti] of acked.delegations) {
        expect((await store.getDelegation(did))?.did).toBe(did);
        expect((await store.tokenVersions(did)).map((token) => token.jti)).toContain(jti);
      }
      for (const did of acked.revoked) expect((await store.getDelegation(did))?.status).toBe("revoked");
      // No delegation without its token or its delegate decision, no token without its delegation,
      // no revocation outside the feed, no live child under a revoked parent.
      expect(await graphInvariantProblems(store)).toEqual([]);
      expect(await countDecisions(store, "verify")).toBeGreaterThanOrEqual(acked.verifies);
    } finally {
      await store.close();
    }
  }
  expect(acked.delegations.size).toBeGreaterThan(0);
}

describe("crash consistency under SIGKILL", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-crash-"));
  const db = join(dir, "baton.db");
  let running: ServiceProcess | undefined;

  afterAll(async () => {
    await running?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test("keeps every acknowledged write and nothing half-written across repeated kills", {
    timeout: 120_000,
  }, async () => {
    await crashCycles(
      {
        location: db,
        env: {},
        open: async () => openSqliteStore({ path: db }),
        integrityProblems: async () => {
          const store = openSqliteStore({ path: db });
          try {
            return await store.checkIntegrity();
          } finally {
            await store.close();
          }
        },
      },
      (process) => {
        running = process;
      },
    );
  });
});

describeWithPostgres("crash consistency under SIGKILL, on PostgreSQL", () => {
  let database: ScratchDatabase | undefined;
  let running: ServiceProcess | undefined;

  afterAll(async () => {
    await running?.kill();
    await database?.drop();
  });

  test("keeps every acknowledged write and nothing half-written across repeated kills of an instance", {
    timeout: 120_000,
  }, async () => {
    database = await createScratchDatabase();
    const url = database.url;
    await crashCycles(
      {
        location: url,
        env: { BATON_KEK: randomBytes(32).toString("base64url") },
        open: () => openPostgresStore(url),
        integrityProblems: async () => [],
      },
      (process) => {
        running = process;
      },
    );
  });
});
