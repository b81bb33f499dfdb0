/**
 * `POST /oauth/token` (RFC 8693 token exchange with an RFC 9449 DPoP proof) and the RFC 8414
 * metadata, driven with hand-built requests: every refusal of the form, of the proof, of the
 * presented chain and of the hop asked for, as RFC 6749 §5.2 JSON carrying the code
 * `POST /v1/delegations` gives. The same flow through a real OAuth client is in
 * test/e2e/oauth-token-exchange.e2e.test.ts.
 */
import type { AgentKeyPair } from "@baton/client";
import {
  decodeChain,
  decodeToken,
  encodeBase64url,
  parseTokenPayload,
  randomId,
  sha256Base64url,
  type TokenClaims,
} from "@baton/token";
import type { PolicyHook } from "@baton/verifier";
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

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
const CHAIN_TYPE = "urn:baton:token-type:chain";
const TOKEN_URL = `${ORIGIN}/oauth/token`;
const ISSUES = { act: "repo.issues.*", res: "repo:acme/web/**" };

const encoder = new TextEncoder();

interface ProofOptions {
  readonly htm?: string;
  readonly htu?: string;
  readonly iat?: number;
  /** The chain whose hash goes in `ath`; left out by default, as at a token endpoint. */
  readonly athOf?: string;
  readonly ath?: string;
  readonly alg?: string;
}

/** A DPoP proof for the token endpoint as an OAuth client makes it: no `ath`, alg Ed25519. */
async function tokenProof(key: AgentKeyPair, now: number, options: ProofOptions = {}): Promise<string> {
  const header = { typ: "dpop+jwt", alg: options.alg ?? "Ed25519", jwk: key.publicJwk };
  const ath = options.ath ?? (options.athOf === undefined ? undefined : sha256Base64url(options.athOf));
  const claims = {
    jti: randomId(),
    htm: options.htm ?? "POST",
    htu: options.htu ?? TOKEN_URL,
    iat: options.iat ?? now,
    ...(ath === undefined ? {} : { ath }),
  };
  const signingInput = `${encodeBase64url(encoder.encode(JSON.stringify(header)))}.${encodeBase64url(encoder.encode(JSON.stringify(claims)))}`;
  return `${signingInput}.${encodeBase64url(await key.sign(encoder.encode(signingInput)))}`;
}

type FormFields = Record<string, string | readonly string[]>;

function formOf(fields: FormFields): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of typeof value === "string" ? [value] : value) form.append(name, one);
  }
  return form.toString();
}

interface OAuthBody {
  error?: string;
  error_description?: string;
  baton_code?: string;
  baton_reasons?: { hop: number | null; code: string }[];
  access_token?: string;
  issued_token_type?: string;
  token_type?: string;
  expires_in?: number;
  authorization_details?: unknown[];
  approval?: string;
}

function claimsOf(chain: string): TokenClaims[] {
  const tokens = decodeChain(chain);
  if (!tokens.ok) throw tokens.error;
  return tokens.value.map((compact) => {
    const decoded = decodeToken(compact);
    if (!decoded.ok) throw decoded.error;
    const claims = parseTokenPayload(decoded.value);
    if (!claims.ok) throw claims.error;
    return claims.value;
  });
}

describe("POST /oauth/token", () => {
  let h: Harness;
  let planner: TestAgent;
  let researcher: TestAgent;
  let mallory: TestAgent;

  beforeEach(async () => {
    h = await createHarness();
    planner = await registerAgent(h, "agent:planner");
    researcher = await registerAgent(h, "agent:researcher");
    mallory = await registerAgent(h, "agent:mallory");
    await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool", "mail-tool"], ttl: 3600, rvi: 600, mdp: 3 });
  });
  afterEach(async () => h.close());

  /** The fields of a good exchange by the planner to the researcher, with `overrides`. */
  function fields(overrides: FormFields = {}): FormFields {
    return {
      grant_type: GRANT_TYPE,
      subject_token: planner.chain,
      subject_token_type: CHAIN_TYPE,
      actor: researcher.id,
      scope: "repo.issues.read=repo:acme/web/**",
      ...overrides,
    };
  }

  async function exchange(
    form: FormFields | string,
    options: { proof?: string | null; contentType?: string; by?: AgentKeyPair } = {},
  ): Promise<{ status: number; body: OAuthBody; headers: Headers }> {
    const proof =
      options.proof === undefined ? await tokenProof(options.by ?? planner.key, h.now) : options.proof;
    const response = await h.app.request(TOKEN_URL, {
      method: "POST",
      headers: {
        "content-type": options.contentType ?? "application/x-www-form-urlencoded",
        ...(proof === null ? {} : { dpop: proof }),
      },
      body: typeof form === "string" ? form : formOf(form),
    });
    return { status: response.status, body: (await response.json()) as OAuthBody, headers: response.headers };
  }

  async function refusedWith(
    form: FormFields | string,
    error: string,
    batonCode: string,
    options: Parameters<typeof exchange>[1] = {},
  ): Promise<OAuthBody> {
    const { status, body, headers } = await exchange(form, options);
    expect({ status, error: body.error, baton_code: body.baton_code }).toEqual({
      status: 400,
      error,
      baton_code: batonCode,
    });
    expect(headers.get("content-type")).toContain("application/json");
    expect(headers.get("cache-control")).toBe("no-store");
    // RFC 6749 §5.2: error_description is printable ASCII without quote or backslash, and none of
    // Baton's descriptions needs a character replaced to get there.
    expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(body.error_description).not.toContain("?");
    return body;
  }

  describe("issuing", () => {
    test("answers the presenter's chain plus one hop narrowed as asked, as an uncached DPoP token", async () => {
      const { status, body, headers } = await exchange(
        fields({ audience: ["repo-tool"], ttl: "600", rvi: "300", mdp: "1", intent: "read the issues" }),
      );
      expect(status).toBe(200);
      expect(headers.get("cache-control")).toBe("no-store");
      expect(body).toMatchObject({ issued_token_type: CHAIN_TYPE, token_type: "DPoP", expires_in: 600 });
      const chain = body.access_token as string;
      expect(chain.startsWith(`${planner.chain}~`)).toBe(true);
      const [root, hop] = claimsOf(chain) as [TokenClaims, TokenClaims];
      expect(claimsOf(chain)).toHaveLength(2);
      expect(hop).toMatchObject({
        sub: researcher.id,
        dlg: planner.id,
        par: root.did,
        cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
        aud: ["repo-tool"],
        mdp: 1,
        cnf: { jkt: researcher.key.thumbprint },
      });
      expect(hop.exp - hop.iat).toBe(600);
      expect((await h.store.getDelegation(hop.did))?.intent).toBe("read the issues");
    });

    test("issues a chain the delegate can present and delegate from in turn", async () => {
      const { body } = await exchange(fields({ scope: "repo.issues.*=repo:acme/web/**" }));
      researcher.chain = body.access_token as string;
      const next = await delegate(h, researcher, mallory, {
        cap: [{ act: "repo.issues.read", res: "repo:acme/web/issues/1" }],
      });
      expect(next.status).toBe(201);
    });

    test("takes several capabilities in scope, split at the first '=' of each", async () => {
      const { status, body } = await exchange(
        fields({ scope: "repo.issues.read=repo:acme/web/a=b repo.issues.create=repo:acme/web/**" }),
      );
      expect(status).toBe(200);
      expect(claimsOf(body.access_token as string)[1]?.cap).toEqual([
        { act: "repo.issues.read", res: "repo:acme/web/a=b" },
        { act: "repo.issues.create", res: "repo:acme/web/**" },
      ]);
    });

    test("takes authorization_details with argument limits and answers what was granted", async () => {
      const details = [
        { type: "baton", act: "repo.issues.create", res: "repo:acme/web/**", lim: { n: { max: 3 } } },
      ];
      const { status, body } = await exchange(
        fields({ scope: [], authorization_details: JSON.stringify(details) }),
      );
      expect(status).toBe(200);
      expect(claimsOf(body.access_token as string)[1]?.cap).toEqual([
        { act: "repo.issues.create", res: "repo:acme/web/**", lim: { n: { max: 3 } } },
      ]);
      expect(body.authorization_details).toEqual(details);
    });

    test("accepts a proof whose ath is the subject_token's hash", async () => {
      const proof = await tokenProof(planner.key, h.now, { athOf: planner.chain });
      expect((await exchange(fields(), { proof })).status).toBe(200);
    });

    test("accepts a proof signed with the alg name RFC 9864 deprecates (EdDSA)", async () => {
      const proof = await tokenProof(planner.key, h.now, { alg: "EdDSA" });
      expect((await exchange(fields(), { proof })).status).toBe(200);
    });

    test("ignores parameters it does not know, such as an OAuth client's client_id, and empty ones", async () => {
      const { status } = await exchange(
        fields({ client_id: "some-client", requested_token_type: "", audience: "", ttl: "" }),
      );
      expect(status).toBe(200);
    });

    test("takes requested_token_type when it names the chain token type", async () => {
      expect((await exchange(fields({ requested_token_type: CHAIN_TYPE }))).status).toBe(200);
    });

    test("logs the exchange as the delegate decision POST /v1/delegations logs", async () => {
      await exchange(fields());
      const viaJson = await delegate(h, planner, mallory, {
        cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      });
      expect(viaJson.status).toBe(201);
      const log = (await h.store.queryDecisions({ limit: 10 })).items.filter(
        (item) => item.kind === "delegate",
      );
      expect(log).toHaveLength(2);
      const to = (record: (typeof log)[number]) => (record.detail as { to?: string } | null)?.to;
      const viaForm = log.find((record) => to(record) === researcher.id);
      const viaBody = log.find((record) => to(record) === mallory.id);
      for (const record of [viaForm, viaBody]) {
        expect(record).toMatchObject({
          kind: "delegate",
          decision: "allow",
          agent: planner.id,
          actorProven: true,
          reporter: "service",
        });
      }
      expect(Object.keys(viaForm?.detail ?? {}).sort()).toEqual(Object.keys(viaBody?.detail ?? {}).sort());
    });
  });

  describe("refuses the hop asked for as POST /v1/delegations does", () => {
    test("a capability wider than the leaf's: invalid_scope, scope_widening, logged as a deny", async () => {
      const body = await refusedWith(
        fields({ scope: "repo.*=repo:acme/web/**" }),
        "invalid_scope",
        "scope_widening",
      );
      expect(body.baton_reasons?.[0]).toMatchObject({ hop: 1, code: "scope_widening" });
      const log = (await h.store.queryDecisions({ limit: 1 })).items;
      expect(log[0]).toMatchObject({
        kind: "delegate",
        decision: "deny",
        agent: planner.id,
        actorProven: true,
      });
    });

    test("an audience the leaf does not name: invalid_target, audience_widening", async () => {
      await refusedWith(fields({ audience: ["billing-tool"] }), "invalid_target", "audience_widening");
    });

    test("a lifetime beyond the leaf's: invalid_request, lifetime_widening", async () => {
      await refusedWith(fields({ ttl: "7200" }), "invalid_request", "lifetime_widening");
    });

    test("a depth beyond the leaf's: invalid_request, depth_exceeded", async () => {
      await refusedWith(fields({ mdp: "3" }), "invalid_request", "depth_exceeded");
    });

    test("an actor that is not a registered agent: invalid_request, not_found", async () => {
      await refusedWith(fields({ actor: "agent:nobody" }), "invalid_request", "not_found");
    });

    test("a capability that does not parse: invalid_scope", async () => {
      await refusedWith(fields({ scope: "repo..read=repo:acme/web/**" }), "invalid_scope", "invalid_request");
    });

    test("a scope token that is not act=res: invalid_scope", async () => {
      await refusedWith(fields({ scope: "repo.issues.read" }), "invalid_scope", "invalid_request");
      await refusedWith(
        fields({ scope: "repo.issues.read=repo:acme/web/**  x=y:z" }),
        "invalid_scope",
        "invalid_request",
      );
    });

    test("authorization_details that are not JSON, not baton's type, or have unknown members", async () => {
      for (const details of [
        "{",
        "[]",
        JSON.stringify([{ type: "payment", act: "a", res: "r:x" }]),
        JSON.stringify([{ type: "baton", act: "repo.issues.read", res: "repo:acme/web/**", extra: 1 }]),
      ]) {
        await refusedWith(
          fields({ scope: [], authorization_details: details }),
          "invalid_authorization_details",
          "invalid_request",
        );
      }
    });

    test("a ttl that is not a decimal integer: invalid_request", async () => {
      await refusedWith(fields({ ttl: "1e3" }), "invalid_request", "invalid_request");
      await refusedWith(fields({ mdp: "-1" }), "invalid_request", "invalid_request");
    });

    test("a step-up: invalid_request, step_up_required, naming the pending approval", async () => {
      const stepUp: PolicyHook = (context) =>
        context.action === "baton.delegate"
          ? { decision: "step_up", message: "an operator must approve", policies: ["approve-all"] }
          : { decision: "allow" };
      await h.close();
      h = await createHarness({ policy: stepUp });
      planner = await registerAgent(h, "agent:planner");
      researcher = await registerAgent(h, "agent:researcher");
      await grant(h, planner, { cap: [ISSUES], aud: ["repo-tool"] });
      const body = await refusedWith(fields(), "invalid_request", "step_up_required");
      expect(body.approval).toMatch(/^ap/);
      expect(body.error_description).toContain("revalidate");
    });
  });

  describe("refuses the presented chain", () => {
    test("an expired subject_token: invalid_request, expired (RFC 8693 §2.2.2)", async () => {
      h.now += 7200;
      await refusedWith(fields(), "invalid_request", "expired");
    });

    test("a revalidation-due subject_token, saying to revalidate first", async () => {
      h.now += 700;
      const body = await refusedWith(fields(), "invalid_request", "revalidation_due");
      expect(body.error_description).toContain("/v1/revalidate");
    });

    test("a revoked subject_token: invalid_request, revoked", async () => {
      expect((await h.op("POST", "/v1/revocations", { did: planner.did, reason: "test" })).status).toBe(200);
      await refusedWith(fields(), "invalid_request", "revoked");
    });

    test("a subject_token whose signature does not verify: invalid_request, bad_signature", async () => {
      const tampered = `${planner.chain.slice(0, -4)}${planner.chain.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
      await refusedWith(fields({ subject_token: tampered }), "invalid_request", "bad_signature", {
        proof: await tokenProof(planner.key, h.now),
      });
    });

    test("a subject_token with characters no chain has, before any check", async () => {
      await refusedWith(fields({ subject_token: "a b" }), "invalid_request", "invalid_request");
    });
  });

  describe("refuses the DPoP proof with invalid_dpop_proof", () => {
    test("none sent: pop_missing", async () => {
      await refusedWith(fields(), "invalid_dpop_proof", "pop_missing", { proof: null });
    });

    test("signed by a key other than the leaf's: pop_binding_mismatch", async () => {
      await refusedWith(fields(), "invalid_dpop_proof", "pop_binding_mismatch", { by: mallory.key });
    });

    test("made for another URL or method: pop_invalid", async () => {
      for (const proof of [
        await tokenProof(planner.key, h.now, { htu: `${ORIGIN}/v1/delegations` }),
        await tokenProof(planner.key, h.now, { htm: "GET" }),
      ]) {
        await refusedWith(fields(), "invalid_dpop_proof", "pop_invalid", { proof });
      }
    });

    test("with an ath that is not the subject_token's hash: pop_invalid", async () => {
      const proof = await tokenProof(planner.key, h.now, { ath: sha256Base64url("another chain") });
      await refusedWith(fields(), "invalid_dpop_proof", "pop_invalid", { proof });
    });

    test("used before: pop_replayed, and the replay is logged", async () => {
      const proof = await tokenProof(planner.key, h.now);
      expect((await exchange(fields(), { proof })).status).toBe(200);
      await refusedWith(fields({ actor: mallory.id }), "invalid_dpop_proof", "pop_replayed", { proof });
      const log = (await h.store.queryDecisions({ limit: 1 })).items;
      expect(log[0]).toMatchObject({ kind: "delegate", decision: "deny" });
    });

    test("a proof made for the token endpoint is not accepted at POST /v1/delegations (its htu)", async () => {
      const proof = await tokenProof(planner.key, h.now, { athOf: planner.chain });
      expect((await exchange(fields(), { proof })).status).toBe(200);
      const response = await agentCall(
        h,
        planner,
        "POST",
        "/v1/delegations",
        { to: mallory.id, cap: [ISSUES] },
        { proof },
      );
      expect((await json(response)).code).toBe("pop_invalid");
    });
  });

  describe("refuses a malformed request with invalid_request", () => {
    test("a body that is not a form", async () => {
      await refusedWith(JSON.stringify(fields()), "invalid_request", "unsupported_media_type", {
        contentType: "application/json",
      });
    });

    test("a grant type other than token exchange: unsupported_grant_type", async () => {
      await refusedWith(
        fields({ grant_type: "client_credentials" }),
        "unsupported_grant_type",
        "invalid_request",
      );
    });

    test("a missing grant_type, subject_token, subject_token_type, actor or scope", async () => {
      for (const name of ["grant_type", "subject_token", "subject_token_type", "actor", "scope"]) {
        await refusedWith(fields({ [name]: [] }), "invalid_request", "invalid_request");
      }
    });

    test("a single-valued parameter sent twice", async () => {
      for (const name of ["grant_type", "subject_token", "subject_token_type", "actor", "scope", "ttl"]) {
        const form = fields({ ttl: "60" });
        await refusedWith(
          fields({ [name]: [form[name] as string, form[name] as string] }),
          "invalid_request",
          "invalid_request",
        );
      }
    });

    test("token types other than a Baton chain", async () => {
      await refusedWith(
        fields({ subject_token_type: "urn:ietf:params:oauth:token-type:access_token" }),
        "invalid_request",
        "invalid_request",
      );
      await refusedWith(
        fields({ requested_token_type: "urn:ietf:params:oauth:token-type:jwt" }),
        "invalid_request",
        "invalid_request",
      );
    });

    test("both scope and authorization_details", async () => {
      const details = JSON.stringify([{ type: "baton", act: "repo.issues.read", res: "repo:acme/web/**" }]);
      await refusedWith(fields({ authorization_details: details }), "invalid_request", "invalid_request");
    });

    test("RFC 8693 parameters Baton does not take, rather than ignoring a restriction", async () => {
      await refusedWith(fields({ resource: "https://tool.example/" }), "invalid_target", "invalid_request");
      await refusedWith(fields({ actor_token: "x" }), "invalid_request", "invalid_request");
    });

    test("an oversized body, closing the connection whose body was not read", async () => {
      const { status, body, headers } = await exchange(fields({ intent: "x".repeat(70 * 1024) }));
      expect({ status, error: body.error, baton_code: body.baton_code }).toEqual({
        status: 400,
        error: "invalid_request",
        baton_code: "payload_too_large",
      });
      expect(headers.get("connection")).toBe("close");
    });

    test("nothing is logged for a request that never reached the use case", async () => {
      await refusedWith(fields({ grant_type: "password" }), "unsupported_grant_type", "invalid_request");
      expect(
        (await h.store.queryDecisions({ limit: 10 })).items.filter((d) => d.kind === "delegate"),
      ).toEqual([]);
    });
  });
});

describe("GET /.well-known/oauth-authorization-server", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  test("describes the token endpoint RFC 8414 clients discover", async () => {
    const response = await h.app.request(`${ORIGIN}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      issuer: ORIGIN,
      token_endpoint: `${ORIGIN}/oauth/token`,
      jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
      grant_types_supported: [GRANT_TYPE],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ["none"],
      dpop_signing_alg_values_supported: ["Ed25519", "EdDSA"],
      authorization_details_types_supported: ["baton"],
    });
  });

  test("is in the OpenAPI document, with the token endpoint", async () => {
    const doc = (await (await h.app.request(`${ORIGIN}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    expect(doc.paths["/.well-known/oauth-authorization-server"]?.get).toBeDefined();
    expect(Object.keys(doc.paths["/oauth/token"]?.post?.requestBody?.content ?? {})).toEqual([
      "application/x-www-form-urlencoded",
    ]);
  });
});
