/**
 * The AuthZEN door over a delegation chain (issue 20): a PEP forwards the agent's chain in
 * `subject.properties.baton_chain` and its proof in `context.baton_pop`; Baton re-authorizes every
 * hop itself, as `POST /v1/verify` does, and trusts nothing else the PEP says.
 */
import { createDpopProof } from "@baton/client";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  ORIGIN,
  registerAgent,
  registerAudience,
  type TestAgent,
} from "./harness.ts";

const HTU = "https://tools.example/repos/acme/web/issues";

describe("AuthZEN evaluations over a delegation chain", () => {
  let h: Harness;
  let researcher: TestAgent;
  let secret: string;

  const setUp = async (options: Parameters<typeof createHarness>[0] = {}) => {
    h = await createHarness(options);
    const planner = await registerAgent(h, "agent:planner");
    researcher = await registerAgent(h, "agent:researcher");
    await grant(h, planner, {
      cap: [{ act: "repo.issues.*", res: "repo:acme/**" }],
      aud: ["repo-tool"],
      mdp: 2,
    });
    await delegate(h, planner, researcher, { cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }] });
    secret = await registerAudience(h, "repo-tool");
  };
  afterEach(async () => h.close());

  const proof = () =>
    createDpopProof(researcher.key, { method: "GET", url: HTU, chain: researcher.chain, now: h.now });

  /** An evaluation of `action` on repo:acme/web/issues by the researcher's chain. */
  const question = async (
    action: string,
    options: { pop?: Record<string, unknown> | null; id?: string; extra?: Record<string, unknown> } = {},
  ) => ({
    subject: {
      type: "agent",
      id: options.id ?? researcher.id,
      properties: { baton_chain: researcher.chain },
    },
    action: { name: action },
    resource: { type: "repo", id: "acme/web/issues" },
    ...(options.pop === null
      ? {}
      : { context: { baton_pop: options.pop ?? { dpop: await proof(), htm: "GET", htu: HTU } } }),
    ...options.extra,
  });

  const ask = (path: string, body: unknown, as = secret) =>
    h.app.request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${as}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  describe("with the default policy", () => {
    beforeEach(async () => setUp());

    test("allows an in-scope call with {decision: true} and logs it as /v1/verify does", async () => {
      const response = await ask("/access/v1/evaluation", await question("repo.issues.read"));
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({ decision: true });
      const [logged] = (await h.store.queryDecisions({ limit: 1 })).items;
      expect(logged).toMatchObject({
        kind: "verify",
        decision: "allow",
        audience: "repo-tool",
        action: "repo.issues.read",
        resource: "repo:acme/web/issues",
        agent: researcher.id,
      });
    });

    test("denies an out-of-scope call with a 200 carrying the reasons and the chain", async () => {
      const response = await ask("/access/v1/evaluation", await question("repo.pulls.merge"));
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body.decision).toBe(false);
      const context = body.context as {
        reason: string;
        reasons: { code: string }[];
        chain: { sub: string }[];
      };
      expect(context.reason).toBe("action_not_permitted");
      expect(context.reasons[0]?.code).toBe("action_not_permitted");
      expect(context.chain.map((hop) => hop.sub)).toEqual(["agent:planner", researcher.id]);
    });

    test("denies a chain without a forwarded proof (pop_missing), whatever the PEP claims", async () => {
      const body = await json(
        await ask("/access/v1/evaluation", await question("repo.issues.read", { pop: null })),
      );
      expect(body.decision).toBe(false);
      expect((body.context as { reason: string }).reason).toBe("pop_missing");
      const forged = await question("repo.issues.read", {
        pop: { htm: "GET", htu: HTU },
        extra: { verified: true, decision: true },
      });
      const again = await json(await ask("/access/v1/evaluation", forged));
      expect((again.context as { reason: string }).reason).toBe("pop_missing");
    });

    test("accepts a forwarded proof once: a replay is pop_replayed", async () => {
      const body = await question("repo.issues.read");
      expect((await json(await ask("/access/v1/evaluation", body))).decision).toBe(true);
      const replayed = await json(await ask("/access/v1/evaluation", body));
      expect((replayed.context as { reason: string }).reason).toBe("pop_replayed");
    });

    test("decides for the audience of the PEP's secret: another tool's secret gets audience_mismatch", async () => {
      const other = await registerAudience(h, "mail-tool");
      const body = await json(await ask("/access/v1/evaluation", await question("repo.issues.read"), other));
      expect((body.context as { reason: string }).reason).toBe("audience_mismatch");
    });

    test("takes only an audience secret: the operator token is a 403, none or a forged one a 401", async () => {
      const body = await question("repo.issues.read");
      expect((await ask("/access/v1/evaluation", body, "test-operator-token-0123456789abcdef")).status).toBe(
        403,
      );
      expect((await ask("/access/v1/evaluation", body, `${secret.slice(0, -4)}AAAA`)).status).toBe(401);
      const anonymous = await h.app.request(`${ORIGIN}/access/v1/evaluation`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(anonymous.status).toBe(401);
    });

    test("refuses a chain or a forwarded proof of the wrong type with a 400", async () => {
      const body = await question("repo.issues.read");
      const badChain = { ...body, subject: { ...body.subject, properties: { baton_chain: 42 } } };
      expect((await ask("/access/v1/evaluation", badChain)).status).toBe(400);
      const badPop = { ...body, context: { baton_pop: { dpop: ["x"] } } };
      expect((await ask("/access/v1/evaluation", badPop)).status).toBe(400);
    });

    test("publishes the AuthZEN endpoints in the OpenAPI document and the PDP metadata", async () => {
      const doc = (await json(await h.app.request(`${ORIGIN}/openapi.json`))) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/access/v1/evaluation",
          "/access/v1/evaluations",
          "/.well-known/authzen-configuration",
        ]),
      );
      expect(await json(await h.app.request(`${ORIGIN}/.well-known/authzen-configuration`))).toEqual({
        policy_decision_point: ORIGIN,
        access_evaluation_endpoint: `${ORIGIN}/access/v1/evaluation`,
        access_evaluations_endpoint: `${ORIGIN}/access/v1/evaluations`,
        capabilities: [],
      });
    });

    test("denies a chain-less question when no access policy set is configured, saying policy decided", async () => {
      const body = await json(
        await ask("/access/v1/evaluation", {
          subject: { type: "user", id: "alice" },
          action: { name: "read" },
          resource: { type: "record", id: "record-1" },
        }),
      );
      expect(body.decision).toBe(false);
      expect(body.context).toMatchObject({
        decided_by: "policy",
        chain: null,
        reasons: [{ code: "policy_denied", message: expect.stringContaining("BATON_AUTHZEN_POLICY_DIR") }],
      });
    });

    test("stops a batch at the first deny or the first permit when asked, and runs all by default", async () => {
      const items = async () => [
        {
          action: { name: "repo.issues.read" },
          context: { baton_pop: { dpop: await proof(), htm: "GET", htu: HTU } },
        },
        {
          action: { name: "repo.pulls.merge" },
          context: { baton_pop: { dpop: await proof(), htm: "GET", htu: HTU } },
        },
        {
          action: { name: "repo.issues.list" },
          context: { baton_pop: { dpop: await proof(), htm: "GET", htu: HTU } },
        },
      ];
      const defaults = {
        subject: { type: "agent", id: researcher.id, properties: { baton_chain: researcher.chain } },
        resource: { type: "repo", id: "acme/web/issues" },
      };
      const decisions = async (semantic?: string) => {
        const body = await json(
          await ask("/access/v1/evaluations", {
            ...defaults,
            ...(semantic === undefined ? {} : { options: { evaluations_semantic: semantic } }),
            evaluations: await items(),
          }),
        );
        return (body.evaluations as { decision: boolean }[]).map((item) => item.decision);
      };
      expect(await decisions()).toEqual([true, false, true]);
      expect(await decisions("deny_on_first_deny")).toEqual([true, false]);
      expect(await decisions("permit_on_first_permit")).toEqual([true]);
      expect(
        (await ask("/access/v1/evaluations", { ...defaults, options: { evaluations_semantic: "first" } }))
          .status,
      ).toBe(400);
    });
  });

  test("answers a step-up with a requestable denial naming the pending approval", async () => {
    await setUp({
      policy: (input) =>
        input.kind === "use" && input.action === "repo.issues.delete"
          ? { decision: "step_up" }
          : { decision: "allow" },
    });
    const response = await ask("/access/v1/evaluation", await question("repo.issues.delete"));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.decision).toBe(false);
    const context = body.context as Record<string, unknown> & { access_request: Record<string, unknown> };
    expect(context.reason).toBe("step_up_required");
    const approval = context.approval as string;
    expect(context.evaluation_id).toBe(approval);
    const pending = await h.store.getApproval(approval);
    expect(pending?.status).toBe("pending");
    expect(context.access_request.expires_at).toBe(
      new Date((pending?.expiresAt ?? 0) * 1000).toISOString().replace(".000Z", "Z"),
    );
  });
});
