/**
 * Every 401 carries the challenge of the scheme its endpoint takes (issue 14, RFC 9110 §11.6.1):
 * `Bearer realm="baton"` (RFC 6750) for operator and audience secrets, with `error="invalid_token"`
 * when a wrong one was sent; `DPoP realm="baton", algs="Ed25519 EdDSA"` (RFC 9449 §7.1) for agents,
 * with `error="invalid_token"` for a refused chain and `error="invalid_dpop_proof"` for a refused
 * or missing proof, a chain sent as Bearer included (issue 17). The test walks every route of the service's own OpenAPI document, so a route
 * added later is covered without editing it.
 *
 * @see issue 14 ("Challenges")
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeProof } from "../../packages/verifier/test/fixtures.ts";
import { type Agent, type SecurityService, startSecurityService } from "./harness.ts";

let svc: SecurityService;
let alice: Agent;
let routes: Route[];

interface Route {
  readonly method: string;
  readonly path: string;
  readonly bearer: boolean;
  readonly agent: boolean;
}

const BEARER_MISSING = 'Bearer realm="baton"';
const BEARER_INVALID = 'Bearer realm="baton", error="invalid_token"';
const AGENT_MISSING = 'DPoP realm="baton", algs="Ed25519 EdDSA"';
const AGENT_BAD_CHAIN = 'DPoP realm="baton", error="invalid_token", algs="Ed25519 EdDSA"';
const AGENT_BAD_PROOF = 'DPoP realm="baton", error="invalid_dpop_proof", algs="Ed25519 EdDSA"';

/** Joins the challenges of the schemes a route takes, Bearer first (as the service writes them). */
function expected(route: Route, bearer: string, agent: string): string {
  return [route.bearer ? bearer : undefined, route.agent ? agent : undefined]
    .filter((part) => part !== undefined)
    .join(", ");
}

/** Well-formed bodies for the agent endpoints, whose bodies are validated before the chain is checked. */
const AGENT_BODIES: Readonly<Record<string, unknown>> = {
  "POST /v1/delegations": { to: "agent:alice", cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }] },
  "POST /v1/revocations": { did: "AAAAAAAAAAAAAAAAAAAAAA", reason: "test" },
};

const PARAMS: Readonly<Record<string, string>> = {
  did: "AAAAAAAAAAAAAAAAAAAAAA",
  id: "x1",
};

function urlOf(route: Route): string {
  let path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name] ?? "x");
  // Agent ids in the path must look like agent ids.
  if (route.path.startsWith("/v1/agents/{id}")) path = path.replace("/x1", "/agent%3Ax1");
  return `${svc.url}${path}`;
}

function call(route: Route, headers: Record<string, string>): Promise<Response> {
  const body = AGENT_BODIES[`${route.method} ${route.path}`];
  return fetch(urlOf(route), {
    method: route.method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  svc = await startSecurityService();
  alice = await svc.registerAgent("alice");
  await svc.grant(alice);
  const document = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
  };
  routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      return {
        method: method.toUpperCase(),
        path,
        bearer: schemes.includes("operator") || schemes.includes("audienceSecret"),
        agent: schemes.includes("batonChain"),
      };
    }),
  );
});
afterAll(async () => {
  await svc?.close();
});

const secured = () => routes.filter((route) => route.bearer || route.agent);

describe("every route of the OpenAPI document", () => {
  test("covers the operator, tool-server and agent routes", () => {
    const names = secured().map((route) => `${route.method} ${route.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "POST /v1/agents",
        "POST /v1/grants",
        "POST /v1/verify",
        "POST /v1/decisions",
        "POST /v1/delegations",
        "POST /v1/revalidate",
        "POST /v1/revocations",
        "GET /v1/decisions",
      ]),
    );
  });

  test("answers a request without credentials with a 401 and the bare challenge of its schemes", async () => {
    for (const route of secured()) {
      const response = await call(route, {});
      const where = `${route.method} ${route.path}`;
      expect(response.status, where).toBe(401);
      expect(response.headers.get("www-authenticate"), where).toBe(
        expected(route, BEARER_MISSING, AGENT_MISSING),
      );
    }
  });

  test("answers a wrong bearer secret with Bearer error=invalid_token", async () => {
    for (const route of secured().filter((r) => r.bearer)) {
      const response = await call(route, { authorization: "Bearer not-the-operator-token-0123456789" });
      const where = `${route.method} ${route.path}`;
      expect(response.status, where).toBe(401);
      expect(response.headers.get("www-authenticate"), where).toBe(
        expected(route, BEARER_INVALID, AGENT_MISSING),
      );
    }
  });

  test("answers a refused chain with DPoP error=invalid_token, and a refused proof with invalid_dpop_proof", async () => {
    const agentRoutes = secured().filter((r) => r.agent);
    expect(agentRoutes.length).toBeGreaterThanOrEqual(4);
    for (const route of agentRoutes) {
      const where = `${route.method} ${route.path}`;
      const forged = "eyJhbGciOiJFZERTQSJ9.e30.c2ln";
      const badChain = await call(route, {
        authorization: `DPoP ${forged}`,
        dpop: makeProof({
          key: alice.key,
          chain: forged,
          method: route.method,
          url: urlOf(route),
          iat: svc.now,
        }),
      });
      expect(badChain.status, where).toBe(401);
      expect(badChain.headers.get("www-authenticate"), where).toBe(
        expected(route, BEARER_MISSING, AGENT_BAD_CHAIN),
      );

      const noProof = await call(route, { authorization: `DPoP ${alice.chain}` });
      expect(noProof.status, where).toBe(401);
      expect(((await noProof.json()) as { code: string }).code, where).toBe("pop_missing");
      expect(noProof.headers.get("www-authenticate"), where).toBe(
        expected(route, BEARER_MISSING, AGENT_BAD_PROOF),
      );
    }
  });

  test("never announces Bearer alone on an agent-only endpoint", async () => {
    for (const route of secured().filter((r) => r.agent && !r.bearer)) {
      const response = await call(route, { authorization: "Bearer baton_op_not-a-chain" });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe(AGENT_MISSING);
    }
  });

  /** @see issue 17: a DPoP-bound chain is never accepted as a bearer token (RFC 9449 §7.1). */
  test("refuses a chain sent as Bearer on every agent endpoint with pop_missing and the DPoP challenge", async () => {
    for (const route of secured().filter((r) => r.agent)) {
      const where = `${route.method} ${route.path}`;
      const response = await call(route, {
        authorization: `Bearer ${alice.chain}`,
        dpop: makeProof({
          key: alice.key,
          chain: alice.chain,
          method: route.method,
          url: urlOf(route),
          iat: svc.now,
        }),
      });
      expect(response.status, where).toBe(401);
      expect(((await response.json()) as { code: string }).code, where).toBe("pop_missing");
      expect(response.headers.get("www-authenticate"), where).toBe(
        expected(route, BEARER_MISSING, AGENT_BAD_PROOF),
      );
    }
  });
});
