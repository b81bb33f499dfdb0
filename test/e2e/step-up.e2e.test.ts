/**
 * The step-up round trip over real HTTP (issue 7): the service runs the shipped Cedar policy set;
 * an irreversible call three hops down is answered step_up with a pending approval; the operator
 * approves; the agent revalidates and its token carries `apv`; the same call is then allowed, for
 * that delegation and that call only, until the approval expires. A denied approval never lets
 * anything through, and every step is in the decision log.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonAgent, BatonError, BatonOperator, createDpopProof } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { decodeChain, decodeToken, parseTokenPayload } from "@baton/token";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "e2e-operator-token-step-up-0123456789";
// 2026-01-01 10:00 UTC, a Thursday: inside the business hours the task declares.
const START = 1_767_261_600;
const APPROVAL_TTL = 600;
const TOOL_URL = "http://tools.test/repos/acme/web/issues/1";

interface VerifyAnswer {
  decision: string;
  reasons: { code: string; policies?: string[] }[];
  approval?: string;
}

function leafApv(chain: string): readonly string[] {
  const tokens = decodeChain(chain, { maxTokens: 16, maxTokenBytes: 8192 });
  if (!tokens.ok) throw tokens.error;
  const leaf = decodeToken(tokens.value[tokens.value.length - 1] as string, { maxTokenBytes: 8192 });
  if (!leaf.ok) throw leaf.error;
  const claims = parseTokenPayload(leaf.value);
  if (!claims.ok) throw claims.error;
  return claims.value.apv ?? [];
}

describe("step-up approvals end to end", () => {
  let now = START;
  const clock = () => now;
  let dir: string;
  let service: RunningServer;
  let operator: BatonOperator;
  let audienceSecret: string;
  const keys: Record<string, AgentKeyPair> = {};
  const agents: Record<string, BatonAgent> = {};

  const agent = (name: string, chain: string) =>
    new BatonAgent({
      serviceUrl: service.url,
      id: `agent:${name}`,
      key: keys[name] as AgentKeyPair,
      chain,
      clock,
    });

  async function verify(
    who: BatonAgent,
    resource: string,
    action = "repo.issues.delete",
  ): Promise<VerifyAnswer> {
    const proof = await createDpopProof(who.key, { method: "DELETE", url: TOOL_URL, chain: who.chain, now });
    const response = await fetch(`${service.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${audienceSecret}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain: who.chain,
        proof,
        htm: "DELETE",
        htu: TOOL_URL,
        audience: "repo-tool",
        action,
        resource,
        context: { reversible: false, sensitivity: "medium" },
      }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as VerifyAnswer;
  }

  async function decide(id: string, decision: "approve" | "deny"): Promise<void> {
    await operator.decideApproval(id, decision);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-step-up-"));
    const config = loadConfig(
      {
        BATON_DB: join(dir, "baton.db"),
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BATON_LOG_LEVEL: "silent",
        BATON_APPROVAL_TTL: String(APPROVAL_TTL),
      },
      ["--port", "0"],
    );
    service = await startServer(config, { print: () => {}, clock });
    operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    for (const name of ["planner", "researcher", "writer", "editor"]) {
      keys[name] = await AgentKeyPair.generate();
      await operator.registerAgent({ id: `agent:${name}`, jwk: (keys[name] as AgentKeyPair).publicJwk });
    }
    audienceSecret = (await operator.registerAudience({ id: "repo-tool" })).secret;

    const granted = await operator.grant({
      agent: "agent:planner",
      task: {
        intent: "clean up stale issues",
        hours: { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" },
      },
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      ttl: 43_200,
      rvi: 3600,
      mdp: 4,
    });
    agents.planner = agent("planner", granted.chain);
    const toResearcher = await agents.planner.delegate({
      to: "agent:researcher",
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      ttl: 40_000,
    });
    agents.researcher = agent("researcher", toResearcher.chain);
    for (const name of ["writer", "editor"]) {
      const hop = await agents.researcher.delegate({
        to: `agent:${name}`,
        cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      });
      agents[name] = agent(name, hop.chain);
    }
  });

  afterAll(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the planner's own delegate may take an irreversible action without approval", async () => {
    expect((await verify(agents.researcher as BatonAgent, "repo:acme/web/issues/1")).decision).toBe("allow");
  });

  test("an irreversible call two hops down needs an approval, which the operator grants", async () => {
    const writer = agents.writer as BatonAgent;
    const asked = await verify(writer, "repo:acme/web/issues/1");
    expect(asked.decision).toBe("step_up");
    expect(asked.reasons.map((reason) => reason.code)).toEqual(["step_up_required"]);
    expect(asked.reasons[0]?.policies).toEqual(["irreversible-deep-step-up"]);
    const id = asked.approval as string;
    expect(typeof id).toBe("string");

    const pending = (await operator.approvals("pending")) as { items: { id: string; action: string }[] };
    expect(pending.items.find((item) => item.id === id)).toMatchObject({ action: "repo.issues.delete" });

    // Not yet approved: revalidating changes nothing.
    await writer.revalidate();
    expect(leafApv(writer.chain)).toEqual([]);
    expect((await verify(writer, "repo:acme/web/issues/1")).decision).toBe("step_up");

    await decide(asked.approval as string, "approve");
    now += 5;
    await writer.revalidate();
    expect(leafApv(writer.chain)).toContain(id);
    const approved = await verify(writer, "repo:acme/web/issues/1");
    expect(approved.decision).toBe("allow");

    // The approval covers that call only: another issue still needs its own.
    expect((await verify(writer, "repo:acme/web/issues/2")).decision).toBe("step_up");
    // And that delegation only: a sibling at the same depth is not covered.
    const editor = agents.editor as BatonAgent;
    await editor.revalidate();
    expect((await verify(editor, "repo:acme/web/issues/1")).decision).toBe("step_up");
  });

  test("a denied approval never approves", async () => {
    const editor = agents.editor as BatonAgent;
    const asked = await verify(editor, "repo:acme/web/issues/7");
    expect(asked.decision).toBe("step_up");
    await decide(asked.approval as string, "deny");
    now += 5;
    await editor.revalidate();
    expect(leafApv(editor.chain)).not.toContain(asked.approval);
    expect((await verify(editor, "repo:acme/web/issues/7")).decision).toBe("step_up");
  });

  test("an expired approval stops approving: the token must be revalidated, and then lacks it", async () => {
    const writer = agents.writer as BatonAgent;
    now = START + APPROVAL_TTL + 1;
    const stale = await verify(writer, "repo:acme/web/issues/1");
    expect(stale.decision).toBe("deny");
    expect(stale.reasons.map((reason) => reason.code)).toContain("revalidation_due");
    await writer.revalidate();
    expect(leafApv(writer.chain)).toEqual([]);
    expect((await verify(writer, "repo:acme/web/issues/1")).decision).toBe("step_up");
  });

  test("a delegation outside the task's business hours is denied by policy", async () => {
    now = START + 10 * 3600; // 20:00 UTC
    const researcher = agents.researcher as BatonAgent;
    // Revalidation is not a new delegation: business hours do not stop it.
    await researcher.revalidate();
    const refused = researcher.delegate({
      to: "agent:writer",
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
    });
    await expect(refused).rejects.toBeInstanceOf(BatonError);
    await expect(refused).rejects.toMatchObject({ code: "policy_denied", status: 403 });
  });

  test("requests, approvals and denials are in the decision log", async () => {
    const log = (await operator.request("GET", "/v1/decisions?limit=200")) as {
      items: { kind: string; decision: string }[];
    };
    const seen = log.items.map((item) => `${item.kind}:${item.decision}`);
    expect(seen).toContain("verify:step_up");
    expect(seen).toContain("approve:allow");
    expect(seen).toContain("deny_approval:deny");
    expect(seen).toContain("delegate:deny");
  });
});
