/**
 * The service on PostgreSQL (issue 19): `BATON_DB` takes a `postgres://` URL, and two service
 * instances on one database, over real HTTP on loopback, see each other's agents, delegations and
 * revocations and write one decision chain. Skipped without BATON_TEST_POSTGRES_URL.
 */
import { AgentKeyPair, createDpopProof } from "@baton/client";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  createScratchDatabase,
  describeWithPostgres,
  type ScratchDatabase,
} from "../../store-postgres/test/helpers/scratch-database.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { generateKek } from "../src/key-encryption.ts";
import { describeLocation } from "../src/open-store.ts";
import { type RunningServer, startServer } from "../src/server.ts";

const OPERATOR_TOKEN = "test-operator-token-0123456789abcdef";
const ISSUER = "http://baton.test";
const silent = pino({ level: "silent" });

describe("BATON_DB as a PostgreSQL URL", () => {
  test("refuses a PostgreSQL database without an explicit key-encryption key, naming the setting", () => {
    const load = () => loadConfig({ BATON_DB: "postgres://baton:secret@127.0.0.1:5432/baton" }, []);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/BATON_KEK_FILE/);
  });

  test("accepts one with BATON_KEK and keeps the URL as given", () => {
    const url = "postgresql://baton:secret@db.internal:5432/baton";
    const config = loadConfig(
      { BATON_DB: url, BATON_KEK: generateKek("test").key.toString("base64url") },
      [],
    );
    expect(config.db).toBe(url);
  });

  test("never shows the password of the URL in what it logs", () => {
    expect(describeLocation("postgres://baton:s3cret@127.0.0.1:5432/baton")).toBe(
      "postgres://baton:***@127.0.0.1:5432/baton",
    );
    expect(describeLocation("./data/baton.db")).toBe("./data/baton.db");
  });
});

describeWithPostgres("two service instances on one PostgreSQL database", () => {
  let database: ScratchDatabase;
  const running: RunningServer[] = [];

  beforeEach(async () => {
    database = await createScratchDatabase();
  });
  afterEach(async () => {
    for (const server of running.splice(0)) await server.close();
    await database.drop();
  });

  async function instance(kek: string): Promise<RunningServer> {
    const config = loadConfig(
      {
        BATON_DB: database.url,
        BATON_KEK: kek,
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BATON_ISSUER: ISSUER,
      },
      ["--port", "0"],
    );
    const server = await startServer(config, {
      print: () => {},
      logger: silent,
      // Allow-all policy: this test is about sharing the database, not about the shipped Cedar set.
      policy: () => ({ decision: "allow" }),
    });
    running.push(server);
    return server;
  }

  const operator = (server: RunningServer, method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test("a delegation made through one instance is revoked through the other, and both serve the same feed and chain", async () => {
    const kek = generateKek("test").key.toString("base64url");
    const a = await instance(kek);
    const b = await instance(kek);
    expect(await (await fetch(`${b.url}/healthz`)).json()).toMatchObject({
      ok: true,
      store: { ok: true, schemaVersion: expect.any(String), synchronousCommit: "on" },
    });
    // Both instances sign with the one key in the database.
    const jwks = async (server: RunningServer) =>
      ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] })
        .keys;
    expect(await jwks(b)).toEqual(await jwks(a));

    const planner = await AgentKeyPair.generate();
    const coder = await AgentKeyPair.generate();
    expect(
      (await operator(a, "POST", "/v1/agents", { id: "agent:planner", jwk: planner.publicJwk })).status,
    ).toBe(201);
    expect(
      (await operator(b, "POST", "/v1/agents", { id: "agent:coder", jwk: coder.publicJwk })).status,
    ).toBe(201);
    expect((await operator(a, "POST", "/v1/audiences", { id: "github" })).status).toBe(201);

    const cap = [{ act: "github.issues.*", res: "repo:acme/**" }];
    const granted = await operator(b, "POST", "/v1/grants", {
      agent: "agent:planner",
      task: { intent: "triage the issues" },
      cap,
      aud: ["github"],
    });
    expect(granted.status).toBe(201);
    const root = (await granted.json()) as { did: string; chain: string; task: string };

    // The planner delegates through instance a, with a DPoP proof for the shared issuer.
    const proof = await createDpopProof(planner, {
      method: "POST",
      url: `${ISSUER}/v1/delegations`,
      chain: root.chain,
      now: Math.floor(Date.now() / 1000),
    });
    const delegated = await fetch(`${a.url}/v1/delegations`, {
      method: "POST",
      headers: { authorization: `DPoP ${root.chain}`, dpop: proof, "content-type": "application/json" },
      body: JSON.stringify({ to: "agent:coder", cap, aud: ["github"] }),
    });
    expect(delegated.status, await delegated.clone().text()).toBe(201);
    const hop = (await delegated.json()) as { did: string };

    const revoked = await operator(b, "POST", "/v1/revocations", {
      did: root.did,
      reason: "task reassigned",
    });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revoked: string[] }).revoked).toEqual([root.did, hop.did]);

    const feeds = await Promise.all(
      [a, b].map(
        async (server) =>
          (await (await fetch(`${server.url}/v1/revocations?since=0`)).json()) as {
            epoch: string;
            items: { seq: number; did: string }[];
          },
      ),
    );
    expect(feeds[0]?.items.map((item) => [item.seq, item.did])).toEqual([
      [1, root.did],
      [2, hop.did],
    ]);
    expect(feeds[1]).toEqual(feeds[0]);

    const chain = await a.store.verifyDecisionLog();
    expect(chain.ok).toBe(true);
    expect(chain.rows).toBeGreaterThanOrEqual(4);
  });
});
