/**
 * The floor the service figures are compared with (issue 21): a bare @hono/node-server POST
 * handler that does only the work no verifier can skip, durably, group-committed the way the
 * store behind the service commits. `POST /v1/verify`: one Ed25519 verify (the request's DPoP
 * proof) and one durable insert. `POST /v1/delegations`: one verify (the `DPoP` header), one
 * Ed25519 signature (a token-sized payload) and one durable insert. No parsing beyond JSON, no
 * checks, no policy. SQLite (a file, BENCH_SYNC) by default; a `postgres://` BATON_DB uses that
 * database through `pg` with the store's pool size (the server's synchronous_commit applies).
 * Prints its URL and the durability mode on stdout once listening, like child.ts.
 */

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import pg from "pg";

/** A durable insert, group-committed, and how to close the database behind it. */
interface Rows {
  readonly mode: string;
  durably(body: string): Promise<void>;
  close(): Promise<void>;
}

/** SQLite WAL, group-committed as SqliteContext.write does it: writes of one event-loop turn, one commit. */
function sqliteRows(): Rows {
  const synchronous = process.env.BENCH_SYNC === "NORMAL" ? "NORMAL" : "FULL";
  const dir = mkdtempSync(path.join(tmpdir(), "baton-bench-floor-"));
  const db = new Database(path.join(dir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(
    "create table rows (id integer primary key autoincrement, at integer not null, body text not null)",
  );
  const insert = db.prepare<[number, string]>("insert into rows (at, body) values (?, ?)");
  let queued: { body: string; done: () => void }[] = [];
  const commitAll = db.transaction((batch: { body: string }[]) => {
    for (const row of batch) insert.run(Math.floor(Date.now() / 1000), row.body);
  });
  return {
    mode: synchronous,
    durably: (body) =>
      new Promise((done) => {
        queued.push({ body, done });
        if (queued.length === 1) {
          setImmediate(() => {
            const batch = queued;
            queued = [];
            commitAll.immediate(batch);
            for (const row of batch) row.done();
          });
        }
      }),
    close: async () => {
      db.close();
    },
  };
}

/**
 * PostgreSQL, group-committed as PgContext.write does it: the writes of one event-loop turn, or
 * those that arrived while every batch slot was busy, make up a batch: one transaction on one
 * pooled connection, one prepared insert per write, one commit, then every write of it is
 * answered. Up to half the pool's connections commit batches side by side, as in the store.
 */
async function postgresRows(url: string): Promise<Rows> {
  const poolSize = 10; // the store's default
  const maxBatches = poolSize / 2;
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on("error", () => {});
  await pool.query(
    "create table if not exists floor_rows (id bigserial primary key, at bigint not null, body text not null)",
  );
  const mode =
    (await pool.query<{ v: string }>("select current_setting('synchronous_commit') as v")).rows[0]?.v ??
    "unknown";
  type Queued = { body: string; done: () => void; fail: (error: unknown) => void };
  let queued: Queued[] = [];
  let inFlight = 0;
  let scheduled = false;
  const commit = async (batch: Queued[]) => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      for (const row of batch) {
        await client.query({
          name: "floor_insert",
          text: "insert into floor_rows (at, body) values ($1, $2)",
          values: [Math.floor(Date.now() / 1000), row.body],
        });
      }
      await client.query("commit");
      for (const row of batch) row.done();
    } catch (error) {
      await client.query("rollback").catch(() => {});
      for (const row of batch) row.fail(error);
    } finally {
      client.release();
    }
  };
  const schedule = () => {
    if (scheduled || inFlight >= maxBatches) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (queued.length === 0 || inFlight >= maxBatches) return;
      const batch = queued;
      queued = [];
      inFlight++;
      void commit(batch).finally(() => {
        inFlight--;
        if (queued.length > 0) schedule();
      });
    });
  };
  return {
    mode,
    durably: (body) =>
      new Promise((done, fail) => {
        queued.push({ body, done, fail });
        schedule();
      }),
    close: () => pool.end(),
  };
}

const database = process.env.BATON_DB ?? "";
const rows = /^postgres(?:ql)?:\/\//i.test(database) ? await postgresRows(database) : sqliteRows();
const durably = rows.durably;

const keys = new Map<string, KeyObject>();
/** Verifies a compact JWS under the Ed25519 key in its own header (a DPoP proof's shape). */
function verifyProof(proof: string): boolean {
  const [header, payload, signature] = proof.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return false;
  const x = (JSON.parse(Buffer.from(header, "base64url").toString()) as { jwk: { x: string } }).jwk.x;
  let key = keys.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    keys.set(x, key);
  }
  return verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"));
}

const serviceKey = createPrivateKey(
  generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }),
);
/** A token-sized payload (about a hop's), signed: what issuing costs at the least. */
function signHop(seed: string): string {
  const header = Buffer.from('{"alg":"Ed25519","typ":"baton+jwt","kid":"floor"}').toString("base64url");
  const payload = Buffer.from(JSON.stringify({ seed, pad: "x".repeat(560) })).toString("base64url");
  const input = `${header}.${payload}`;
  return `${input}.${sign(null, Buffer.from(input), serviceKey).toString("base64url")}`;
}

const server = serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const { pathname } = new URL(request.url);
      const text = await request.text();
      if (pathname === "/v1/verify") {
        const body = JSON.parse(text) as { proof: string };
        const ok = verifyProof(body.proof);
        await durably(text);
        return Response.json({ decision: ok ? "allow" : "deny" });
      }
      if (pathname === "/v1/delegations") {
        const ok = verifyProof(request.headers.get("dpop") ?? "");
        const token = signHop(text);
        await durably(token);
        return Response.json({ token, ok }, { status: ok ? 201 : 401 });
      }
      return new Response("not found", { status: 404 });
    },
  },
  (info) => process.stdout.write(`http://127.0.0.1:${info.port} ${rows.mode}\n`),
);
process.on("SIGTERM", () => {
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close(async () => {
    await rows.close();
    process.exit(0);
  });
});
