/**
 * The floor the service figures are compared with (issue 21): a bare @hono/node-server POST
 * handler that does only the work no verifier can skip, durably, group-committed the way the
 * SQLite store commits. `POST /v1/verify`: one Ed25519 verify (the request's DPoP proof) and one
 * durable insert. `POST /v1/delegations`: one verify (the `DPoP` header), one Ed25519 signature (a
 * token-sized payload) and one durable insert. No parsing beyond JSON, no checks, no policy.
 * Prints its URL and the synchronous mode on stdout once listening, like child.ts.
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

const synchronous = process.env.BENCH_SYNC === "NORMAL" ? "NORMAL" : "FULL";
const dir = mkdtempSync(path.join(tmpdir(), "baton-bench-floor-"));
const db = new Database(path.join(dir, "floor.db"));
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${synchronous}`);
db.exec("create table rows (id integer primary key autoincrement, at integer not null, body text not null)");
const insert = db.prepare<[number, string]>("insert into rows (at, body) values (?, ?)");

// Group commit, as SqliteContext.write does it: writes of one event-loop turn, one commit.
let queued: { body: string; done: () => void }[] = [];
const commitAll = db.transaction((batch: { body: string }[]) => {
  for (const row of batch) insert.run(Math.floor(Date.now() / 1000), row.body);
});
function durably(body: string): Promise<void> {
  return new Promise((done) => {
    queued.push({ body, done });
    if (queued.length === 1) {
      setImmediate(() => {
        const batch = queued;
        queued = [];
        commitAll.immediate(batch);
        for (const row of batch) row.done();
      });
    }
  });
}

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
  (info) => process.stdout.write(`http://127.0.0.1:${info.port} ${synchronous}\n`),
);
process.on("SIGTERM", () => {
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close(() => {
    db.close();
    process.exit(0);
  });
});
