/**
 * The revocation feed as an offline verifier follows it, over real HTTP from a service on a real
 * SQLite file: a database restored from a backup must not leave a follower fresh and wrong
 * (issue 14), and the public feed must not publish operators' notes (issue 13).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonOperator, createDpopProof } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import type { SqliteStore } from "@baton/store-sqlite";
import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "feed-operator-token-0123456789abcdef";
const NOW = 1_767_225_600;
const TOOL_URL = "http://tool.test/repos/acme/web/issues";
const CAPABILITY = { act: "repo.issues.read", res: "repo:acme/web/**" };

/**
 * fetch on a connection of its own: the service is restarted on the same port, and a socket the
 * old process closed could still sit in the keep-alive pool and fail the next request.
 */
const unpooledFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("connection", "close");
  return fetch(input, { ...init, headers });
};

let dir: string;
let service: RunningServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-feed-"));
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(port = 0): Promise<{ service: RunningServer; operator: BatonOperator }> {
  const config = loadConfig(
    { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
    ["--port", String(port)],
  );
  service = await startServer(config, { print: () => {}, clock: () => NOW });
  return {
    service,
    operator: new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN, fetch: unpooledFetch }),
  };
}

describe("the revocation feed over HTTP", () => {
  /** @see issue 14 (feed rewind) */
  test("a follower denies a chain revoked after the database was restored from a backup", async () => {
    const first = await start();
    const { operator } = first;
    const key = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:planner", jwk: key.publicJwk });
    await operator.registerAudience({ id: "repo-tool" });
    const grant = () =>
      operator.grant({
        agent: "agent:planner",
        task: { intent: "read issues" },
        cap: [CAPABILITY],
        aud: ["repo-tool"],
      });

    const feed = followRevocationFeed({
      url: `${first.service.url}/v1/revocations`,
      fetch: unpooledFetch,
      clock: () => NOW * 1000,
    });
    const keys = remoteJwks({
      url: `${first.service.url}/.well-known/jwks.json`,
      fetch: unpooledFetch,
      clock: () => NOW * 1000,
    });
    const verifier = createVerifier({
      issuer: first.service.issuer,
      audience: "repo-tool",
      keys,
      revocations: feed,
      clock: () => NOW,
    });
    const verify = async (chain: string) =>
      verifier.verify({
        chain,
        proof: await createDpopProof(key, { method: "GET", url: TOOL_URL, chain, now: NOW }),
        method: "GET",
        url: TOOL_URL,
        action: CAPABILITY.act,
        resource: "repo:acme/web/issues",
      });

    // Revocations 1–2, and the chain that will be revoked after the restore: all in the backup.
    for (let i = 0; i < 2; i++) await operator.revoke({ did: (await grant()).did }, "before the backup");
    const target = await grant();
    await (first.service.store as SqliteStore).backup(join(dir, "backup.db"));

    // Revocations 3–5 happen after the backup; the follower reads them (cursor 5).
    for (let i = 0; i < 3; i++) await operator.revoke({ did: (await grant()).did }, "after the backup");
    await feed.syncOnce();
    expect(feed.cursor).toBe(5);
    expect((await verify(target.chain)).decision).toBe("allow");

    // Restore: stop the service, copy the backup back, start again on the same port.
    const port = Number(new URL(first.service.url).port);
    await first.service.close();
    service = undefined;
    for (const suffix of ["-wal", "-shm"]) rmSync(join(dir, `baton.db${suffix}`), { force: true });
    copyFileSync(join(dir, "backup.db"), join(dir, "baton.db"));
    expect(existsSync(join(dir, "baton.db-wal"))).toBe(false);
    const second = await start(port);
    expect(second.service.url).toBe(first.service.url);

    // The restored feed's head is 2: revoking the target reuses sequence 3, below the cursor.
    await second.operator.revoke({ did: target.did }, "revoked after the restore");
    await feed.syncOnce();
    const decision = await verify(target.chain);
    expect(decision.decision).toBe("deny");
    expect(decision.reasons.map((reason) => reason.code)).toEqual(["revoked"]);
    expect(feed.resyncs).toBe(1);
    expect(feed.cursor).toBe(3);
  });

  /** @see issue 13 (what the public sees) */
  test("the anonymous feed carries no revocation reason; the operator token shows them", async () => {
    const { service: running, operator } = await start();
    const key = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:planner", jwk: key.publicJwk });
    await operator.registerAudience({ id: "repo-tool" });
    const reason = "key leaked on host build-7";
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "read issues" },
      cap: [CAPABILITY],
      aud: ["repo-tool"],
    });
    await operator.revoke({ did: granted.did }, reason);

    const anonymous = await fetch(`${running.url}/v1/revocations?since=0`);
    expect(anonymous.status).toBe(200);
    const text = await anonymous.text();
    expect(text).not.toContain("build-7");
    expect(text).not.toContain("reason");
    const body = JSON.parse(text) as { epoch: string; head: number; items: Record<string, unknown>[] };
    expect(body.head).toBe(1);
    expect(body.epoch).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.items).toEqual([{ seq: 1, did: granted.did, at: NOW }]);

    const asOperator = await fetch(`${running.url}/v1/revocations?since=0`, {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(((await asOperator.json()) as { items: { reason: string }[] }).items[0]?.reason).toBe(reason);

    const wrongToken = await fetch(`${running.url}/v1/revocations?since=0`, {
      headers: { authorization: "Bearer not-the-operator-token-at-all" },
    });
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.text()).not.toContain("build-7");
  });
});
