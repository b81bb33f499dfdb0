/**
 * The PostgreSQL server the benchmarks may use: `--postgres=URL` or `BATON_BENCH_POSTGRES_URL`, a
 * role allowed to CREATE DATABASE. Every figure gets a scratch database of its own, dropped after.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** A database made for one figure. */
export interface BenchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** `url` with its password hidden, for the results file. */
export function describePostgres(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

/** The server's version string, for the results file. */
export async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (
      (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ??
      "unknown"
    );
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the server `url` names; the store migrates it when it opens it. */
export async function createBenchDatabase(url: string): Promise<BenchDatabase> {
  const name = `baton_bench_${randomBytes(6).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return { url: parsed.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}
