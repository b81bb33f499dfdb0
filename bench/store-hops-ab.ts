/**
 * The store's side of a recorded hop, two SQLite files side by side in one process: hops below one
 * root grant, each with its audit decision, 64 in flight (group commit, WAL, synchronous=FULL),
 * in rounds taken in turn (A B, B A, …). Prints each side's median µs per hop, the bytes this
 * process wrote per hop, and the median per-round ratio B ÷ A. Usage:
 *
 *   node --conditions=source --import tsx bench/store-hops-ab.ts did-order [rounds=20]
 *   node --conditions=source --import tsx bench/store-hops-ab.ts did-index [rounds=20]
 *
 * did-order: A names each delegation with a random did (`randomDelegationId`), B with one in issue
 * order (`delegationIdAt`, as the service does). did-index: A puts back `decisions_did_idx`, which
 * migration 0008 dropped; B is the schema as shipped.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { grant, registerAgents } from "@baton/store/conformance/fixtures";
import { openSqliteStore } from "@baton/store-sqlite";
import { delegationIdAt, randomDelegationId } from "@baton/token";
import { auditedHop, inFlight } from "./lib/hops.ts";

const VARIANTS = {
  "did-order": {
    a: "random dids",
    b: "dids in issue order",
    prepare: () => {},
    did: (side: "a" | "b") =>
      side === "a" ? randomDelegationId() : delegationIdAt(Math.floor(Date.now() / 1000)),
  },
  "did-index": {
    a: "with decisions_did_idx",
    b: "without (as shipped)",
    prepare: (side: "a" | "b", exec: (sql: string) => void) => {
      if (side === "a") exec("create index if not exists decisions_did_idx on decisions (did, id)");
    },
    did: () => delegationIdAt(Math.floor(Date.now() / 1000)),
  },
} as const;

const [variantName = "", roundsArg = "20"] = process.argv.slice(2);
if (!(variantName in VARIANTS)) {
  console.error(`usage: store-hops-ab.ts ${Object.keys(VARIANTS).join("|")} [rounds]`);
  process.exit(2);
}
const variant = VARIANTS[variantName as keyof typeof VARIANTS];
const rounds = Number(roundsArg);
const HOPS_PER_ROUND = 1000;
const IN_FLIGHT = 64;

/** Bytes this process has caused to be written to storage so far (Linux). */
function bytesWritten(): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${process.pid}/io`, "utf8"))?.[1] ?? 0);
}

const dir = mkdtempSync(path.join(tmpdir(), "baton-store-hops-"));
try {
  interface Side {
    readonly side: "a" | "b";
    readonly store: ReturnType<typeof openSqliteStore>;
    readonly to: string;
    readonly root: Awaited<ReturnType<typeof grant>>;
    readonly micros: number[];
    bytes: number;
  }
  const sides: Side[] = [];
  for (const side of ["a", "b"] as const) {
    const store = openSqliteStore({ path: path.join(dir, `${side}.db`), synchronous: "FULL" });
    variant.prepare(side, (sql) => store.database.exec(sql));
    const [from, to] = await registerAgents(store, "from", "to");
    const root = await grant(store, from);
    sides.push({ side, store, to, root, micros: [], bytes: 0 });
  }
  const record = (s: Side, count: number) =>
    inFlight(count, IN_FLIGHT, () => s.store.recordHop(auditedHop(s.root, s.to, variant.did(s.side))));
  for (const s of sides) await record(s, 2 * HOPS_PER_ROUND);
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? sides : [...sides].reverse()) {
      const before = bytesWritten();
      const started = performance.now();
      await record(s, HOPS_PER_ROUND);
      s.micros.push(((performance.now() - started) * 1000) / HOPS_PER_ROUND);
      s.bytes += bytesWritten() - before;
    }
  }
  const median = (values: readonly number[]) =>
    [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;
  const [a, b] = sides as [Side, Side];
  for (const s of sides) {
    const label = s.side === "a" ? variant.a : variant.b;
    const kib = s.bytes / (rounds * HOPS_PER_ROUND) / 1024;
    console.log(
      `${s.side} (${label}): ${median(s.micros).toFixed(0)} µs/hop, ${kib.toFixed(1)} KiB written/hop`,
    );
  }
  const ratios = a.micros.map((micros, i) => (b.micros[i] as number) / micros);
  console.log(`b ÷ a, median of ${rounds} rounds of ${HOPS_PER_ROUND} hops: ${median(ratios).toFixed(3)}`);
  for (const s of sides) await s.store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
