/**
 * An AuthZEN PEP (issue 20): the dozen-line Hono gateway of gateway.ts, on loopback, asks the real
 * token service at POST /access/v1/evaluation about each agent call and forwards only the allowed
 * ones. The service, the gateway and the agent's requests are all real HTTP.
 */
import type { AddressInfo } from "node:net";
import { AgentKeyPair, BatonOperator, createDpopProof } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { authzenGateway } from "./gateway.ts";

const OPERATOR_TOKEN = "authzen-pep-operator-token-0123456789abcdef";

describe("a Hono gateway that asks Baton over AuthZEN", () => {
  let service: RunningServer;
  let gateway: ServerType;
  let origin: string;
  let agent: AgentKeyPair;
  let chain: string;
  const upstreamCalls: string[] = [];

  beforeAll(async () => {
    service = await startServer(
      loadConfig({ BATON_DB: ":memory:", BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" }, [
        "--port",
        "0",
      ]),
      { print: () => {} },
    );
    const operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    agent = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:triager", jwk: agent.publicJwk });
    const { secret } = await operator.registerAudience({ id: "repo-tool" });
    ({ chain } = await operator.grant({
      agent: "agent:triager",
      task: { intent: "triage the issues" },
      cap: [{ act: "repo.issues.read", res: "repo:acme/**" }],
      aud: ["repo-tool"],
    }));
    const upstream = async (request: Request) => {
      upstreamCalls.push(`${request.method} ${new URL(request.url).pathname}`);
      return Response.json({ issues: [] });
    };
    let app: ReturnType<typeof authzenGateway> | undefined;
    gateway = await new Promise<ServerType>((resolve) => {
      const server = serve(
        {
          fetch: (request) => (app as NonNullable<typeof app>).fetch(request),
          hostname: "127.0.0.1",
          port: 0,
        },
        () => resolve(server),
      );
    });
    origin = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    app = authzenGateway(service.url, secret, origin, upstream as typeof fetch);
  });
  afterAll(async () => {
    await new Promise((resolve) => gateway.close(resolve));
    await service.close();
  });

  const call = async (method: string, options: { proof?: boolean } = {}) => {
    const url = `${origin}/repos/acme/web/issues`;
    const proof = await createDpopProof(agent, { method, url, chain, now: Math.floor(Date.now() / 1000) });
    return fetch(url, {
      method,
      headers: { authorization: `DPoP ${chain}`, ...(options.proof === false ? {} : { dpop: proof }) },
    });
  };

  test("forwards a call the chain allows", async () => {
    const response = await call("GET");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ issues: [] });
    expect(upstreamCalls).toEqual(["GET /repos/acme/web/issues"]);
  });

  test("stops a call the chain does not allow, and one without the agent's proof", async () => {
    const create = await call("POST");
    expect(create.status).toBe(403);
    expect(await create.json()).toEqual({ denied: "action_not_permitted" });
    const unproven = await call("GET", { proof: false });
    expect(await unproven.json()).toEqual({ denied: "pop_missing" });
    expect(upstreamCalls).toEqual(["GET /repos/acme/web/issues"]);
  });
});
