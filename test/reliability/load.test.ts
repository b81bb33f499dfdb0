/**
 * Load (issue 9): many concurrent clients on loopback for a bounded time against the service in a
 * child process. No 5xx, no lost rows (every acknowledged delegation is in the file, every 200
 * verification is in the decision log), memory stays bounded (heap after a full GC, replay and
 * signature caches included, since every verification carries a fresh proof), and `/healthz`
 * keeps answering 200 under load. `BATON_LONG=1` runs longer with more clients.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countDecisions } from "@baton/store/conformance/fixtures";
import { openSqliteStore } from "@baton/store-sqlite";
import { afterAll, describe, expect, test } from "vitest";
import {
  type ProcessAgent,
  prng,
  ServiceClient,
  type ServiceProcess,
  startServiceProcess,
} from "./service-process.ts";

const seed = Number(process.env.BATON_FUZZ_SEED ?? 42);
const long = process.env.BATON_LONG === "1";
const CLIENTS = long ? 128 : 32;
const DURATION_MS = long ? 30_000 : 3_000;
const MiB = 1024 * 1024;

interface Memory {
  heapUsed: number;
  rss: number;
}

function memoryOf(service: ServiceProcess): Promise<Memory> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no memory report")), 10_000);
    service.child.once("message", (message) => {
      clearTimeout(timer);
      resolve((message as { memory: Memory }).memory);
    });
    service.child.send("memory");
  });
}

describe("load on loopback", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-load-"));
  const db = join(dir, "baton.db");
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`serves ${CLIENTS} concurrent clients without 5xx, lost rows or unbounded memory`, {
    timeout: 120_000,
  }, async () => {
    service = await startServiceProcess(db, {
      script: "test/reliability/memory-probe-server.ts",
      nodeArgs: ["--expose-gc"],
    });
    const client = new ServiceClient(service.url);
    const planner = await client.registerAgent("planner");
    const delegates: ProcessAgent[] = [];
    for (let i = 0; i < 8; i++) delegates.push(await client.registerAgent(`worker-${i}`));
    const secret = (
      (await (await client.op("POST", "/v1/audiences", { id: "repo-tool" })).json()) as { secret: string }
    ).secret;
    const grant = await client.op("POST", "/v1/grants", {
      agent: planner.id,
      task: { intent: "load test" },
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      ttl: 3600,
      rvi: 3600,
      mdp: 3,
    });
    planner.chain = ((await grant.json()) as { chain: string }).chain;

    const statuses = new Map<number, number>();
    const acked = new Map<string, string>();
    let verified = 0;
    let stop = false;
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

    const health: number[] = [];
    const healthLoop = (async () => {
      while (!stop) {
        const response = await fetch(`${client.url}/healthz`);
        health.push(response.status);
        await response.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const worker = async (w: number) => {
      const pick = prng(seed * 7919 + w);
      while (!stop) {
        const roll = pick();
        let response: Response;
        if (roll < 0.6) {
          response = await client.verify(secret, planner, "repo-tool");
          if (response.status === 200) verified++;
        } else if (roll < 0.85) {
          const to = delegates[Math.floor(pick() * delegates.length)] as ProcessAgent;
          response = await client.agentCall(planner, "/v1/delegations", {
            to: to.id,
            cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
            ttl: 600,
          });
          if (response.status === 201) {
            const issued = (await response.clone().json()) as { did: string; jti: string };
            acked.set(issued.did, issued.jti);
          }
        } else if (roll < 0.95) {
          response = await fetch(`${client.url}/v1/revocations?since=0&limit=100`);
        } else {
          response = await fetch(`${client.url}/.well-known/jwks.json`);
        }
        count(response.status);
        await response.arrayBuffer();
      }
    };

    // Warm up, then take the baseline: caches and JIT are populated by now.
    const workers = Array.from({ length: CLIENTS }, (_, w) => worker(w));
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, DURATION_MS / 3)));
    const baseline = await memoryOf(service);
    await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
    const peak = await memoryOf(service);
    stop = true;
    await Promise.all([...workers, healthLoop]);
    const after = await memoryOf(service);

    const fivexx = [...statuses].filter(([status]) => status >= 500);
    expect(fivexx).toEqual([]);
    expect([...statuses.keys()].every((status) => status === 200 || status === 201)).toBe(true);
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((status) => status === 200)).toBe(true);
    expect(acked.size).toBeGreaterThan(0);
    expect(verified).toBeGreaterThan(0);
    // Bounded: the replay cache holds one entry per proof (≤100k) and the signature cache ≤10k
    // tokens; a run of a few seconds stays far below both, so the heap must not grow with traffic.
    expect(Math.max(peak.heapUsed, after.heapUsed) - baseline.heapUsed).toBeLessThan((long ? 192 : 96) * MiB);
    expect(after.rss).toBeLessThan(768 * MiB);

    await service.stop();
    service = undefined;
    const store = openSqliteStore({ path: db });
    try {
      for (const [did, jti] of acked)
        expect((await store.tokenVersions(did)).map((token) => token.jti)).toContain(jti);
      expect(await countDecisions(store, "verify", "allow")).toBe(verified);
      expect((await store.verifyDecisionLog()).ok).toBe(true);
      expect(await store.checkIntegrity()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
