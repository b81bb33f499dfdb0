/**
 * The delegation graph at scale: ancestors and descendants of a node, a task's tree and an
 * agent's blast radius on seeded graphs of 10k, 100k and 1M delegations, and cascade revocations
 * of 1k, 10k and 100k descendants. Database files live in the OS temp directory and are deleted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { openSqliteStore, type SqliteStore, seedGraph } from "@baton/store-sqlite";
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

export interface WalkFigure {
  readonly size: number;
  readonly walk: "ancestors" | "descendants" | "taskTree" | "blastRadius";
  readonly summary: Summary;
  /** Median number of rows a call returned. */
  readonly medianRows: number;
  readonly maxRows: number;
  readonly seedSeconds: number;
}

export interface CascadeFigure {
  readonly descendants: number;
  readonly summary: Summary;
  readonly revokedPerCall: number;
  readonly seedSeconds: number;
}

async function withStore<T>(run: (store: SqliteStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "baton-bench-graph-"));
  const store = openSqliteStore({ path: path.join(dir, "graph.db") });
  try {
    return await run(store);
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

export async function measureWalks(sizes: readonly number[], quick: boolean): Promise<WalkFigure[]> {
  const figures: WalkFigure[] = [];
  for (const size of sizes) {
    await withStore(async (store) => {
      const seedStart = performance.now();
      seedGraph(store, { delegations: size, seed: 8 });
      const seedSeconds = (performance.now() - seedStart) / 1000;
      const db = store.database;
      const n = quick ? 50 : 300;
      // Random samples by rowid, so picking them costs no sort of a million rows.
      const maxDelegation =
        db.prepare<[], { n: number }>("select max(rowid) as n from delegations").get()?.n ?? 0;
      const byRowid = db.prepare<[number], { did: string; depth: number; task: string }>(
        "select did, depth, task from delegations where rowid = ?",
      );
      const sample = (accept: (row: { depth: number }) => boolean): { did: string; task: string }[] => {
        const found: { did: string; task: string }[] = [];
        for (let tries = 0; found.length < n && tries < n * 200; tries++) {
          const row = byRowid.get(1 + Math.floor(Math.random() * maxDelegation));
          if (row !== undefined && accept(row)) found.push(row);
        }
        return found;
      };
      const deep = sample((r) => r.depth >= 3).map((r) => r.did);
      const roots = sample((r) => r.depth === 0).map((r) => r.did);
      const tasks = sample(() => true).map((r) => r.task);
      const agents = db
        .prepare<[number], { id: string }>("select id from agents order by random() limit ?")
        .all(n)
        .map((r) => r.id);
      const blastAgents = agents.slice(0, quick ? 10 : 50);
      const add = (walk: WalkFigure["walk"], result: Awaited<ReturnType<typeof timeCalls>>) =>
        figures.push({ size, walk, seedSeconds, ...result });
      add("ancestors", await timeCalls(deep, async (did) => (await store.ancestors(did)).length));
      add("descendants", await timeCalls(roots, async (did) => (await store.descendants(did)).length));
      add("taskTree", await timeCalls(tasks, async (id) => (await store.taskTree(id)).length));
      add(
        "blastRadius",
        await timeCalls(blastAgents, async (id) => (await store.blastRadius(id)).reachable.length),
      );
    });
  }
  return figures;
}

export async function measureCascades(sizes: readonly number[], quick: boolean): Promise<CascadeFigure[]> {
  const figures: CascadeFigure[] = [];
  for (const descendants of sizes) {
    const tasks = descendants >= 100_000 ? (quick ? 1 : 2) : descendants >= 10_000 ? 3 : quick ? 3 : 10;
    await withStore(async (store) => {
      const seedStart = performance.now();
      // One task per sample, each exactly `descendants` below its root: fan-out wide enough that
      // the breadth-first growth always reaches the task's size before running out of depth.
      const seeded = seedGraph(store, {
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
      figures.push({ descendants, summary: summarize(times), revokedPerCall, seedSeconds });
    });
  }
  return figures;
}

export function graphSection(walks: readonly WalkFigure[], cascades: readonly CascadeFigure[]): Section {
  const rows = [
    ...walks.map((w) => [
      `${w.walk} @ ${w.size.toLocaleString("en-US")}`,
      ...timingCells(w.summary),
      `${w.medianRows} (max ${w.maxRows})`,
    ]),
    ...cascades.map((c) => [
      `cascade revocation of ${c.descendants.toLocaleString("en-US")} descendants`,
      ...timingCells(c.summary),
      `${formatRate((c.revokedPerCall + 1) / (c.summary.medianUs / 1e6))} rows/s`,
    ]),
  ];
  const seeds = [...new Map(walks.map((w) => [w.size, w.seedSeconds])).entries()];
  return {
    id: "graph",
    title: "The delegation graph at scale (SQLite, WAL, synchronous=FULL)",
    intro:
      "Graphs made by `seedGraph` (seed 8: tasks of ~100 delegations, depth ≤ 6, an agent pool of size/50 capped at 2000). ancestors: a random node at depth ≥ 3; descendants: a random root's subtree; taskTree: a random task; blastRadius: a random agent (at 1M, each agent holds hundreds of delegations). Cascades: a separate file per size, one task per sample whose root has exactly that many descendants, revoked with `revokeDelegation` (one commit each).",
    headers: ["figure", ...TIMING_HEADERS, "rows returned (median)"],
    rows,
    notes: [
      `Seeding took ${seeds.map(([size, s]) => `${s.toFixed(1)} s for ${size.toLocaleString("en-US")}`).join(", ")} (not part of any figure).`,
      ...cascades.map(
        (c) =>
          `Cascade ${c.descendants.toLocaleString("en-US")}: seeded in ${c.seedSeconds.toFixed(1)} s; median ${formatTime(c.summary.medianUs)} for ${c.revokedPerCall + 1} rows.`,
      ),
    ],
    targets: [],
    data: { walks, cascades },
  };
}
