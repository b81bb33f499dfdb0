/**
 * What the store's side of a hop costs on PostgreSQL, by process: the reads a hop makes before it
 * signs and its recorded write (with its audit decision), 64 in flight through the store's group
 * commit, in variants taken in turn (rounds A B C, B C A, …). For each variant it prints the median
 * over rounds of the wall time per hop, the CPU this process spent per hop, and the CPU every
 * `postgres` process on the machine spent per hop (read from /proc: run it against a server on this
 * machine that nothing else is using). CPU per hop moves far less with the machine's load than a
 * rate does. Usage:
 *
 *   BATON_BENCH_POSTGRES_URL=postgres://… node --conditions=source --import tsx bench/postgres-hop-cost.ts [rounds=8]
 *
 * The variants: the reads as the service makes them now (`chainFacts` naming the receiving agent,
 * one statement) and as it made them before (`chainFacts`, then `getAgent`), each followed by the
 * write, and the write alone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { grant, registerAgents } from "@baton/store/conformance/fixtures";
import { openPostgresStore } from "@baton/store-postgres";
import { delegationIdAt } from "@baton/token";
import { auditedHop, inFlight } from "./lib/hops.ts";
import { createBenchDatabase } from "./lib/postgres.ts";

const url = process.env.BATON_BENCH_POSTGRES_URL;
if (url === undefined) {
  console.error(
    "set BATON_BENCH_POSTGRES_URL to a PostgreSQL server on this machine (a role that may create databases)",
  );
  process.exit(2);
}
const rounds = Number(process.argv[2] ?? "8");
const HOPS_PER_ROUND = 1500;
const IN_FLIGHT = 64;
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds every `postgres` process on this machine has used so far (Linux). */
function serverCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(postgres)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend that ended between the listing and the read.
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

const database = await createBenchDatabase(url);
const store = await openPostgresStore(database.url);
try {
  const [from, to] = (await registerAgents(store, "from", "to")) as [string, string];
  const root = await grant(store, from);
  const record = () => store.recordHop(auditedHop(root, to, delegationIdAt(Math.floor(Date.now() / 1000))));
  const variants: { readonly name: string; readonly hop: () => Promise<unknown> }[] = [
    {
      name: "chainFacts naming the agent, then the write (now)",
      hop: async () => {
        await store.chainFacts([root.did], { agent: to });
        return record();
      },
    },
    {
      name: "chainFacts, getAgent, then the write (before)",
      hop: async () => {
        await store.chainFacts([root.did]);
        await store.getAgent(to);
        return record();
      },
    },
    { name: "the write alone", hop: record },
  ];
  for (const variant of variants) await inFlight(500, IN_FLIGHT, variant.hop);
  const samples = variants.map(() => ({
    wall: [] as number[],
    client: [] as number[],
    server: [] as number[],
  }));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      const server = serverCpuSeconds();
      const client = process.cpuUsage();
      const started = performance.now();
      await inFlight(HOPS_PER_ROUND, IN_FLIGHT, (variants[i] as (typeof variants)[0]).hop);
      const wallMs = performance.now() - started;
      const clientUs = process.cpuUsage(client);
      const taken = samples[i] as (typeof samples)[0];
      taken.wall.push((wallMs * 1000) / HOPS_PER_ROUND);
      taken.client.push((clientUs.user + clientUs.system) / HOPS_PER_ROUND);
      taken.server.push(((serverCpuSeconds() - server) * 1e6) / HOPS_PER_ROUND);
    }
  }
  const median = (values: readonly number[]) =>
    [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;
  console.log(`median of ${rounds} rounds of ${HOPS_PER_ROUND} hops, ${IN_FLIGHT} in flight (µs per hop):`);
  for (const [i, variant] of variants.entries()) {
    const s = samples[i] as (typeof samples)[0];
    console.log(
      `${variant.name.padEnd(52)} wall ${median(s.wall).toFixed(0).padStart(4)}  this process ${median(s.client).toFixed(0).padStart(4)}  postgres ${median(s.server).toFixed(0).padStart(4)}`,
    );
  }
} finally {
  await store.close();
  await database.drop();
}
