/**
 * Token Status Lists end to end, over real HTTP on loopback: the service on a real SQLite file
 * issues tokens naming their entries, and an offline verifier whose only revocation source is
 * `followStatusLists` loads the service's signed lists, refuses revoked hops (cascades included)
 * and fails closed once its lists are older than it allows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonAgent, BatonOperator, createDpopProof } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { createVerifier, followStatusLists, remoteJwks } from "@baton/verifier";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "status-list-operator-token-0123456789abcdef";
const NOW = 1_767_225_600;
const TOOL_URL = "http://tool.test/repos/acme/web/issues";
const CAPABILITY = { act: "repo.issues.read", res: "repo:acme/web/**" };

let dir: string;
let service: RunningServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-status-list-"));
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("Token Status Lists over HTTP", () => {
  test("a verifier following the service's status lists refuses revoked hops and their subtrees", async () => {
    let now = NOW;
    const config = loadConfig({
      BATON_DB: join(dir, "baton.db"),
      BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
      BATON_LOG_LEVEL: "silent",
    });
    service = await startServer(config, { print: () => {}, clock: () => now });
    const operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    const keys = new Map<string, AgentKeyPair>();
    for (const name of ["planner", "researcher", "summarizer"]) {
      const key = await AgentKeyPair.generate();
      keys.set(name, key);
      await operator.registerAgent({ id: `agent:${name}`, jwk: key.publicJwk });
    }
    await operator.registerAudience({ id: "repo-tool" });
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "read issues" },
      cap: [CAPABILITY],
      aud: ["repo-tool"],
    });
    const agent = (name: string, chain: string) =>
      new BatonAgent({
        id: `agent:${name}`,
        key: keys.get(name) as AgentKeyPair,
        chain,
        serviceUrl: (service as RunningServer).url,
        clock: () => now,
      });
    const planner = agent("planner", granted.chain);
    const researcher = agent(
      "researcher",
      (await planner.delegate({ to: "agent:researcher", cap: [CAPABILITY] })).chain,
    );
    const summarizer = agent(
      "summarizer",
      (await researcher.delegate({ to: "agent:summarizer", cap: [CAPABILITY] })).chain,
    );

    const lists = followStatusLists({
      keys: remoteJwks({ url: `${service.url}/.well-known/jwks.json`, clock: () => now * 1000 }),
      uriPrefix: `${service.issuer}/v1/status-lists/`,
      clock: () => now * 1000,
    });
    const verifier = createVerifier({
      issuer: service.issuer,
      audience: "repo-tool",
      keys: remoteJwks({ url: `${service.url}/.well-known/jwks.json`, clock: () => now * 1000 }),
      revocations: lists,
      clock: () => now,
    });
    const verify = async (who: BatonAgent) =>
      verifier.verify({
        chain: who.chain,
        proof: await createDpopProof(who.key, { method: "GET", url: TOOL_URL, chain: who.chain, now }),
        method: "GET",
        url: TOOL_URL,
        action: CAPABILITY.act,
        resource: "repo:acme/web/issues",
      });

    // The first verification loads list 0 (the only list) and allows.
    expect((await verify(summarizer)).decision).toBe("allow");
    expect(lists.lists).toEqual([`${service.issuer}/v1/status-lists/0`]);

    // Revoking the researcher's hop sets its bit and its delegate's; the planner stays valid.
    const researcherDid = JSON.parse(
      Buffer.from(researcher.chain.split("~")[1]?.split(".")[1] ?? "", "base64url").toString(),
    ).did as string;
    now += 2;
    await operator.revoke({ did: researcherDid }, "researcher compromised");
    await lists.refresh();
    const refused = await verify(summarizer);
    expect(refused.decision).toBe("deny");
    expect(refused.reasons.map((reason) => [reason.hop, reason.code])).toEqual([[1, "revoked"]]);
    expect((await verify(planner)).decision).toBe("allow");

    // The service goes away: once the list is older than the verifier allows (60 s), it fails closed.
    await service.close();
    service = undefined;
    now += 61;
    const stale = await verify(planner);
    expect(stale.decision).toBe("deny");
    expect(stale.reasons.map((reason) => reason.code)).toEqual(["revocation_unknown"]);
  });
});
