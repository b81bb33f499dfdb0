/**
 * The delegation graph at scale: ancestors and descendants of a node, a task's tree and an
 * agent's blast radius on seeded graphs of 10k, 100k and 1M delegations, and cascade revocations
 * of 1k, 10k and 100k descendants, on SQLite and (given a server) on PostgreSQL, the same graph
 * for a seed on both. SQLite files live in the OS temp directory, PostgreSQL figures in a scratch
 * database each; both are deleted afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { SeedGraphOptions, SeedGraphResult, Store } from "@baton/store/adapter-kit";
import { openPostgresStore, seedPostgresGraph } from "@baton/store-postgres";
import { openSqliteStore, seedGraph } from "@baton/store-sqlite";
import { createBenchDatabase } from "../lib/postgres.ts";
import type { Section } from "../lib/report.ts";
import {
  formatRate,
  formatTime,
  quantile,
  type Summary,
  summarize,
  TIMING_HEADERS,
  timingCells,
} from "../lib/stats.ts";

/** Where the graph lives: SQLite (WAL, synchronous=FULL) or PostgreSQL. */
export type Backend = "sqlite" | "postgres";

/** The backends to measure: SQLite always, PostgreSQL when a server URL is given. */
export interface Backends {
  readonly postgresUrl?: string | undefined;
}

export interface WalkFigure {
  readonly backend: Backend;
  readonly size: number;
  readonly walk: "ancestors" | "descendants" | "taskTree" | "blastRadius";
  readonly summary: Summary;
  /** Median number of rows a call returned. */
  readonly medianRows: number;
  readonly maxRows: number;
  readonly seedSeconds: number;
}

export interface CascadeFigure {
  readonly backend: Backend;
  readonly descendants: number;
  readonly summary: Summary;
  readonly revokedPerCall: number;
  readonly seedSeconds: number;
}

/** A seeded-graph database of one backend, with the untimed helpers the figures need. */
interface GraphDatabase {
  readonly store: Store;
  seed(options: SeedGraphOptions): Promise<SeedGraphResult>;
  /** Up to `n` random delegations (uniform over the rows that pass `where`), with their task. */
  sample(where: "depth >= 3" | "depth = 0" | "true", n: number): Promise<{ did: string; task: string }[]>;
  /** Up to `n` random agents. */
  agents(n: number): Promise<string[]>;
}

function backendsOf(backends: Backends): Backend[] {
  return backends.postgresUrl === undefined ? ["sqlite"] : ["sqlite", "postgres"];
}

async function withDatabase<T>(
  backend: Backend,
  backends: Backends,
  run: (db: GraphDatabase) => Promise<T>,
): Promise<T> {
  if (backend === "postgres") {
    const database = await createBenchDatabase(backends.postgresUrl as string);
    const store = await openPostgresStore(database.url, { maxConnections: 2 });
    try {
      return await run({
        store,
        seed: (options) => seedPostgresGraph(store, options),
        sample: async (where, n) => {
          const { rows } = await store.pool.query<{ did: string; task: string }>(
            `select did, task from delegations where ${where} order by random() limit $1`,
            [n],
          );
          // Fewer matching rows than samples (the roots of a small graph): draw with replacement,
          // as SQLite's rowid sampling does, so both backends time as many calls.
          if (rows.length === 0 || rows.length >= n) return rows;
          return Array.from(
            { length: n },
            () => rows[Math.floor(Math.random() * rows.length)] as (typeof rows)[0],
          );
        },
        agents: async (n) =>
          (
            await store.pool.query<{ id: string }>("select id from agents order by random() limit $1", [n])
          ).rows.map((r) => r.id),
      });
    } finally {
      await store.close();
      await database.drop();
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), "baton-bench-graph-"));
  const store = openSqliteStore({ path: path.join(dir, "graph.db") });
  try {
    const db = store.database;
    // Random samples by rowid, so picking them costs no sort of a million rows.
    const byRowid = db.prepare<[number], { did: string; depth: number; task: string }>(
      "select did, depth, task from delegations where rowid = ?",
    );
    return await run({
      store,
      seed: async (options) => seedGraph(store, options),
      sample: async (where, n) => {
        const maxDelegation =
          db.prepare<[], { n: number }>("select max(rowid) as n from delegations").get()?.n ?? 0;
        const accept = (row: { depth: number }) =>
          where === "depth >= 3" ? row.depth >= 3 : where === "depth = 0" ? row.depth === 0 : true;
        const found: { did: string; task: string }[] = [];
        for (let tries = 0; found.length < n && tries < n * 200; tries++) {
          const row = byRowid.get(1 + Math.floor(Math.random() * maxDelegation));
          if (row !== undefined && accept(row)) found.push(row);
        }
        return found;
      },
      agents: async (n) =>
        db
          .prepare<[number], { id: string }>("select id from agents order by random() limit ?")
          .all(n)
          .map((r) => r.id),
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeCalls<T>(inputs: readonly T[], call: (input: T) => Promise<number>) {
  const times: number[] = [];
  const rows: number[] = [];
  for (const input of inputs.slice(0, 3)) await call(input); // warm the statements and the page cache
  for (const input of inputs) {
    const start = performance.now();
    rows.push(await call(input));
    times.push((performance.now() - start) * 1000);
  }
  rows.sort((a, b) => a - b);
  return { summary: summarize(times), medianRows: quantile(rows, 0.5), maxRows: rows[rows.length - 1] ?? 0 };
}

export async function measureWalks(
  sizes: readonly number[],
  quick: boolean,
  backends: Backends = {},
  log: (line: string) => void = () => {},
): Promise<WalkFigure[]> {
  const figures: WalkFigure[] = [];
  for (const size of sizes) {
    for (const backend of backendsOf(backends)) {
      log(`graph walks on ${size.toLocaleString("en-US")} delegations, ${backend}…`);
      await withDatabase(backend, backends, async ({ store, seed, sample, agents: randomAgents }) => {
        const seedStart = performance.now();
        await seed({ delegations: size, seed: 8 });
        const seedSeconds = (performance.now() - seedStart) / 1000;
        const n = quick ? 50 : 300;
        const deep = (await sample("depth >= 3", n)).map((r) => r.did);
        const roots = (await sample("depth = 0", n)).map((r) => r.did);
        const tasks = (await sample("true", n)).map((r) => r.task);
        const blastAgents = (await randomAgents(n)).slice(0, quick ? 10 : 50);
        const add = (walk: WalkFigure["walk"], result: Awaited<ReturnType<typeof timeCalls>>) =>
          figures.push({ backend, size, walk, seedSeconds, ...result });
        add("ancestors", await timeCalls(deep, async (did) => (await store.ancestors(did)).length));
        add("descendants", await timeCalls(roots, async (did) => (await store.descendants(did)).length));
        add("taskTree", await timeCalls(tasks, async (id) => (await store.taskTree(id)).length));
        add(
          "blastRadius",
          await timeCalls(blastAgents, async (id) => (await store.blastRadius(id)).reachable.length),
        );
      });
    }
  }
  return figures;
}

export async function measureCascades(
  sizes: readonly number[],
  quick: boolean,
  backends: Backends = {},
  log: (line: string) => void = () => {},
): Promise<CascadeFigure[]> {
  const figures: CascadeFigure[] = [];
  for (const descendants of sizes) {
    const tasks = descendants >= 100_000 ? (quick ? 1 : 2) : descendants >= 10_000 ? 3 : quick ? 3 : 10;
    for (const backend of backendsOf(backends)) {
      log(`cascade revocations of ${descendants.toLocaleString("en-US")} descendants, ${backend}…`);
      await withDatabase(backend, backends, async ({ store, seed }) => {
        const seedStart = performance.now();
        // One task per sample, each exactly `descendants` below its root: fan-out wide enough that
        // the breadth-first growth always reaches the task's size before running out of depth.
        const seeded = await seed({
          delegations: tasks * (descendants + 1),
          maxTaskSize: descendants + 1,
          fanout: 12,
          decay: 1,
          maxDepth: 6,
          tokens: false,
          seed: 9,
        });
        const seedSeconds = (performance.now() - seedStart) / 1000;
        const times: number[] = [];
        let revokedPerCall = 0;
        for (const root of seeded.roots) {
          const start = performance.now();
          const result = await store.revokeDelegation(root, { reason: "bench cascade", at: 1_700_000_100 });
          times.push((performance.now() - start) * 1000);
          revokedPerCall = result.revoked.length - 1;
          if (revokedPerCall !== descendants) {
            throw new Error(`cascade of ${descendants}: revoked ${revokedPerCall} descendants`);
          }
        }
        figures.push({ backend, descendants, summary: summarize(times), revokedPerCall, seedSeconds });
      });
    }
  }
  return figures;
}

/** "1.8×": `value` over the same figure on SQLite, or "" for SQLite itself. */
function versusSqlite(backend: Backend, medianUs: number, sqliteMedianUs: number | undefined): string {
  if (backend === "sqlite" || sqliteMedianUs === undefined || sqliteMedianUs === 0) return "";
  return `${(medianUs / sqliteMedianUs).toFixed(2)}×`;
}

export function graphSection(walks: readonly WalkFigure[], cascades: readonly CascadeFigure[]): Section {
  const sqliteWalk = (w: WalkFigure) =>
    walks.find((o) => o.backend === "sqlite" && o.size === w.size && o.walk === w.walk)?.summary.medianUs;
  const sqliteCascade = (c: CascadeFigure) =>
    cascades.find((o) => o.backend === "sqlite" && o.descendants === c.descendants)?.summary.medianUs;
  const rows = [
    ...walks.map((w) => [
      `${w.walk} @ ${w.size.toLocaleString("en-US")}`,
      w.backend,
      ...timingCells(w.summary),
      `${w.medianRows} (max ${w.maxRows})`,
      versusSqlite(w.backend, w.summary.medianUs, sqliteWalk(w)),
    ]),
    ...cascades.map((c) => [
      `cascade revocation of ${c.descendants.toLocaleString("en-US")} descendants`,
      c.backend,
      ...timingCells(c.summary),
      `${formatRate((c.revokedPerCall + 1) / (c.summary.medianUs / 1e6))} rows/s`,
      versusSqlite(c.backend, c.summary.medianUs, sqliteCascade(c)),
    ]),
  ];
  const seeds = [...new Map(walks.map((w) => [`${w.size}/${w.backend}`, w])).values()];
  const hasPostgres = [...walks, ...cascades].some((f) => f.backend === "postgres");
  return {
    id: "graph",
    title: hasPostgres
      ? "The delegation graph at scale (SQLite WAL synchronous=FULL, and PostgreSQL)"
      : "The delegation graph at scale (SQLite, WAL, synchronous=FULL)",
    intro:
      "Graphs made by `seedGraph` / `seedPostgresGraph` (the same graph for a seed on both; seed 8: tasks of ~100 delegations, depth ≤ 6, an agent pool of size/50 capped at 2000). ancestors: a random node at depth ≥ 3; descendants: a random root's subtree; taskTree: a random task; blastRadius: a random agent (at 1M, each agent holds hundreds of delegations). Cascades: a separate database per size, one task per sample whose root has exactly that many descendants, revoked with `revokeDelegation` (one commit each). On PostgreSQL the store runs in this process over a loopback connection (pool of 2), on a freshly seeded and analyzed scratch database.",
    headers: ["figure", "backend", ...TIMING_HEADERS, "rows returned (median)", "median vs SQLite"],
    rows,
    notes: [
      `Seeding took ${seeds.map((w) => `${w.seedSeconds.toFixed(1)} s for ${w.size.toLocaleString("en-US")} on ${w.backend}`).join(", ")} (not part of any figure).`,
      ...cascades.map(
        (c) =>
          `Cascade ${c.descendants.toLocaleString("en-US")} on ${c.backend}: seeded in ${c.seedSeconds.toFixed(1)} s; median ${formatTime(c.summary.medianUs)} for ${c.revokedPerCall + 1} rows.`,
      ),
      ...(hasPostgres
        ? []
        : ["PostgreSQL not measured: give `--postgres=URL` or `BATON_BENCH_POSTGRES_URL`."]),
    ],
    targets: walks
      .filter((w) => w.walk === "blastRadius" && w.size === 1_000_000)
      .map((w) => ({
        target: `blast radius at 1M delegations, ${w.backend}: p50 ≤ 5 ms (issue 21)`,
        measured: `${formatTime(w.summary.medianUs)} (${w.medianRows.toLocaleString("en-US")} records returned)`,
        met: w.summary.medianUs <= 5_000,
      })),
    data: { walks, cascades },
  };
}
