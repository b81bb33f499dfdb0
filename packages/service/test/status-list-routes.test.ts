import {
  decodeBase64url,
  decodeStatusListToken,
  decompressStatusList,
  importJwks,
  runSignatureChecks,
  STATUS_LIST_MEDIA_TYPE,
  statusAt,
  statusListSignatureCheck,
  type TokenClaims,
} from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  agentCall,
  createHarness,
  delegate,
  grant,
  type Harness,
  json,
  ORIGIN,
  registerAgent,
  type TestAgent,
} from "./harness.ts";

const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };

function claimsOf(chain: string): TokenClaims[] {
  return chain.split("~").map((compact) => {
    const payload = decodeBase64url(compact.split(".")[1] ?? "") as Uint8Array;
    return JSON.parse(new TextDecoder().decode(payload)) as TokenClaims;
  });
}

/** The status list a `status` claim names, fetched, its signature checked against the JWKS. */
async function statusOf(h: Harness, claims: TokenClaims): Promise<number | undefined> {
  const { idx, uri } = claims.status?.status_list ?? { idx: -1, uri: "" };
  const response = await h.app.request(uri);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe(STATUS_LIST_MEDIA_TYPE);
  const decoded = decodeStatusListToken(await response.text());
  if (!decoded.ok) throw decoded.error;
  const keys = importJwks(await (await h.app.request(`${ORIGIN}/.well-known/jwks.json`)).json());
  if (!keys.ok) throw keys.error;
  const key = keys.value.get(decoded.value.kid);
  expect(key).toBeDefined();
  expect(await runSignatureChecks(statusListSignatureCheck(decoded.value, key as never))).toBe(true);
  expect(decoded.value.claims).toMatchObject({ sub: uri, iat: h.now, ttl: 30, exp: h.now + 300 });
  const bytes = await decompressStatusList(decoded.value.claims.status_list.lst);
  if (!bytes.ok) throw bytes.error;
  expect(bytes.value.byteLength).toBe(65_536 / 8);
  return statusAt(bytes.value, 1, idx);
}

describe("Token Status Lists", () => {
  let h: Harness;
  let planner: TestAgent;
  let researcher: TestAgent;
  let summarizer: TestAgent;

  beforeEach(async () => {
    h = await createHarness();
    planner = await registerAgent(h, "agent:planner");
    researcher = await registerAgent(h, "agent:researcher");
    summarizer = await registerAgent(h, "agent:summarizer");
    await grant(h, planner, { cap: [ISSUES], aud: ["github-tools"], rvi: 600 });
  });
  afterEach(async () => h.close());

  test("gives every grant and hop its own entry, named in the token's status claim", async () => {
    expect((await delegate(h, planner, researcher, { cap: [ISSUES] })).status).toBe(201);
    expect((await delegate(h, researcher, summarizer, { cap: [ISSUES] })).status).toBe(201);
    const claims = claimsOf(summarizer.chain);
    const entries = claims.map((hop) => hop.status?.status_list);
    expect(entries.map((entry) => entry?.uri)).toEqual([
      `${ORIGIN}/v1/status-lists/0`,
      `${ORIGIN}/v1/status-lists/0`,
      `${ORIGIN}/v1/status-lists/0`,
    ]);
    expect(new Set(entries.map((entry) => entry?.idx)).size).toBe(3);
    for (const hop of claims) {
      expect((await h.store.getDelegation(hop.did))?.statusEntry).toEqual({
        list: 0,
        index: hop.status?.status_list.idx,
      });
    }
  });

  test("serves a signed list whose bits are set for a revoked delegation and its subtree only", async () => {
    await delegate(h, planner, researcher, { cap: [ISSUES] });
    await delegate(h, researcher, summarizer, { cap: [ISSUES] });
    const [root, toResearcher, toSummarizer] = claimsOf(summarizer.chain) as [
      TokenClaims,
      TokenClaims,
      TokenClaims,
    ];
    expect(await statusOf(h, toResearcher)).toBe(0);

    h.now += 5;
    const revoked = await h.op("POST", "/v1/revocations", { did: toResearcher.did, reason: "compromised" });
    expect(revoked.status).toBe(200);
    expect(await statusOf(h, toResearcher)).toBe(1);
    expect(await statusOf(h, toSummarizer)).toBe(1);
    expect(await statusOf(h, root)).toBe(0);
  });

  test("sets the bits of a completed task's whole tree and of a disabled agent's delegations", async () => {
    await delegate(h, planner, researcher, { cap: [ISSUES] });
    const [, toResearcher] = claimsOf(researcher.chain) as [TokenClaims, TokenClaims];
    const disabled = await h.op("POST", `/v1/agents/${encodeURIComponent(researcher.id)}/disable`, {
      reason: "retired",
    });
    expect(disabled.status).toBe(200);
    expect(await statusOf(h, toResearcher)).toBe(1);

    const [root] = claimsOf(planner.chain) as [TokenClaims];
    expect(await statusOf(h, root)).toBe(0);
    const completed = await agentCall(h, planner, "POST", `/v1/tasks/${root.tsk}/complete`, {});
    expect(completed.status).toBe(200);
    expect(await statusOf(h, root)).toBe(1);
  });

  test("keeps a delegation's entry when its token is re-issued", async () => {
    await delegate(h, planner, researcher, { cap: [ISSUES] });
    const before = claimsOf(researcher.chain);
    h.now += 700;
    const response = await agentCall(h, researcher, "POST", "/v1/revalidate");
    expect(response.status).toBe(200);
    const after = claimsOf(((await json(response)) as { chain: string }).chain);
    expect(after[1]?.jti).not.toBe(before[1]?.jti);
    expect(after.map((claims) => claims.status)).toEqual(before.map((claims) => claims.status));
  });

  test("answers 404 status_list_not_found for a list never opened, and 400 for a malformed number", async () => {
    for (const n of ["1", "2147483648", "999999999999"]) {
      const response = await h.app.request(`${ORIGIN}/v1/status-lists/${n}`);
      expect(response.status, n).toBe(404);
      expect((await json(response)).code).toBe("status_list_not_found");
    }
    for (const n of ["-1", "01", "x", "1.5"]) {
      const response = await h.app.request(`${ORIGIN}/v1/status-lists/${n}`);
      expect(response.status, n).toBe(400);
    }
    expect((await h.app.request(`${ORIGIN}/v1/status-lists/0`)).status).toBe(200);
  });

  test("lists the route in the OpenAPI document with its media type", async () => {
    const doc = (await (await h.app.request(`${ORIGIN}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    const route = doc.paths["/v1/status-lists/{n}"]?.get;
    expect(Object.keys(route?.responses["200"]?.content ?? {})).toEqual([STATUS_LIST_MEDIA_TYPE]);
    expect(route?.responses["404"]).toBeDefined();
  });
});

describe("Token Status Lists turned off", () => {
  test("issues tokens without a status claim when BATON_STATUS_LISTS is off", async () => {
    const h = await createHarness({ env: { BATON_STATUS_LISTS: "off" } });
    try {
      const planner = await registerAgent(h, "agent:planner");
      const researcher = await registerAgent(h, "agent:researcher");
      await grant(h, planner, { cap: [ISSUES], aud: ["github-tools"] });
      await delegate(h, planner, researcher, { cap: [ISSUES] });
      expect(claimsOf(researcher.chain).map((claims) => claims.status)).toEqual([undefined, undefined]);
      expect((await h.app.request(`${ORIGIN}/v1/status-lists/0`)).status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
