import { openPostgresStore, seedPostgresGraph } from "@baton/store-postgres";
import pg from "pg";

const base = process.env.BATON_BENCH_POSTGRES_URL as string;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query("drop database if exists br1m");
await admin.query("create database br1m");
await admin.end();
const url = base.replace(/\/[^/]*$/, "/br1m");
const store = await openPostgresStore(url, { maxConnections: 2 });
const t = performance.now();
await seedPostgresGraph(store, { delegations: 1_000_000, seed: 8 });
await store.pool.query("analyze");
console.log("seeded", (performance.now() - t) / 1000, url);
await store.close();
