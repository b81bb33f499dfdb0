/**
 * Interop (issue 17, "OAuth token exchange"): an agent that knows only RFC 8414, RFC 8693 and RFC
 * 9449 obtains a hop from Baton with a real OAuth client library, openid-client v6, over real HTTP
 * on loopback against the service started for real on a SQLite file. The agent's key is a
 * WebCrypto Ed25519 CryptoKeyPair, which openid-client signs its DPoP proofs with (alg Ed25519,
 * no ath at a token endpoint). Refusals are seen as openid-client surfaces them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, BatonOperator } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { decodeChain, decodeToken, parseTokenPayload, type TokenClaims } from "@baton/token";
import {
  allowInsecureRequests,
  type Configuration,
  discovery,
  genericGrantRequest,
  getDPoPHandle,
  None,
  ResponseBodyError,
} from "openid-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const OPERATOR_TOKEN = "interop-operator-token-0123456789abcdef";
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const CHAIN_TYPE = "urn:baton:token-type:chain";

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

/** An Ed25519 key pair made by WebCrypto, as an OAuth client holds it. */
async function webCryptoKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
}

/** The public JWK Baton registers: only kty, crv and x (WebCrypto adds key_ops and ext). */
async function publicJwkOf(pair: CryptoKeyPair): Promise<{ kty: "OKP"; crv: "Ed25519"; x: string }> {
  const { kty, crv, x } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  expect({ kty, crv }).toEqual({ kty: "OKP", crv: "Ed25519" });
  return { kty: "OKP", crv: "Ed25519", x: x as string };
}

/** The token-exchange error as openid-client reports it: its OAuth error and Baton's code. */
async function refusal(
  request: Promise<unknown>,
): Promise<{ error: string; baton_code: string; status: number }> {
  const error = await request.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ResponseBodyError);
  const { cause, status } = error as ResponseBodyError;
  return { error: String(cause.error), baton_code: String(cause.baton_code), status };
}

describe("token exchange through openid-client", () => {
  let dir: string;
  let service: RunningServer;
  let operator: BatonOperator;
  let config: Configuration;
  let plannerKeys: CryptoKeyPair;
  let researcher: AgentKeyPair;
  let plannerChain: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-oauth-"));
    service = await startServer(
      loadConfig(
        { BATON_DB: join(dir, "baton.db"), BATON_OPERATOR_TOKEN: OPERATOR_TOKEN, BATON_LOG_LEVEL: "silent" },
        ["--port", "0"],
      ),
      { print: () => {} },
    );
    operator = new BatonOperator({ serviceUrl: service.url, token: OPERATOR_TOKEN });
    plannerKeys = await webCryptoKeyPair();
    researcher = await AgentKeyPair.generate();
    await operator.registerAgent({ id: "agent:planner", jwk: await publicJwkOf(plannerKeys) });
    await operator.registerAgent({ id: "agent:researcher", jwk: researcher.publicJwk });
    for (const id of ["repo-tool", "mail-tool"]) await operator.registerAudience({ id });
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent: "triage the issues" },
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool", "mail-tool"],
      ttl: 3600,
      mdp: 2,
    });
    plannerChain = granted.chain;
    // http on loopback only: openid-client refuses plain http unless told otherwise.
    config = await discovery(new URL(service.issuer), "agent:planner", undefined, None(), {
      algorithm: "oauth2",
      execute: [allowInsecureRequests],
    });
  });

  afterAll(async () => {
    await service?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The planner's exchange for a hop to the researcher, with `parameters` added. */
  function exchange(parameters: [string, string][], keys: CryptoKeyPair = plannerKeys) {
    return genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      new URLSearchParams([
        ["subject_token", plannerChain],
        ["subject_token_type", CHAIN_TYPE],
        ["requested_token_type", CHAIN_TYPE],
        ["actor", "agent:researcher"],
        ...parameters,
      ]),
      { DPoP: getDPoPHandle(config, keys) },
    );
  }

  test("discovers Baton's token endpoint and DPoP algorithms from its RFC 8414 metadata", () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(service.issuer);
    expect(metadata.token_endpoint).toBe(`${service.issuer}/oauth/token`);
    expect(metadata.grant_types_supported).toEqual([TOKEN_EXCHANGE]);
    expect(metadata.dpop_signing_alg_values_supported).toEqual(["Ed25519", "EdDSA"]);
  });

  test("gets the planner's chain plus one hop, narrowed as asked and bound to the researcher's key", async () => {
    const response = await exchange([
      ["scope", "repo.issues.read=repo:acme/web/**"],
      ["audience", "repo-tool"],
      ["ttl", "600"],
      ["mdp", "0"],
      ["intent", "read the open issues"],
    ]);
    expect(response.token_type).toBe("dpop");
    expect(response.issued_token_type).toBe(CHAIN_TYPE);
    expect(response.expires_in).toBe(600);
    expect(response.access_token.startsWith(`${plannerChain}~`)).toBe(true);
    const chain = claimsOf(response.access_token);
    expect(chain).toHaveLength(2);
    const [root, hop] = chain as [TokenClaims, TokenClaims];
    expect(hop).toMatchObject({
      sub: "agent:researcher",
      dlg: "agent:planner",
      par: root.did,
      tsk: root.tsk,
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      mdp: 0,
      cnf: { jkt: researcher.thumbprint },
    });
  });

  test("gets a hop with argument limits asked for as authorization_details", async () => {
    const details = [
      { type: "baton", act: "repo.issues.create", res: "repo:acme/web/**", lim: { labels: { max: 2 } } },
    ];
    const response = await exchange([["authorization_details", JSON.stringify(details)]]);
    expect(claimsOf(response.access_token)[1]?.cap).toEqual([
      { act: "repo.issues.create", res: "repo:acme/web/**", lim: { labels: { max: 2 } } },
    ]);
  });

  test("is refused a wider scope with invalid_scope and baton_code scope_widening", async () => {
    expect(await refusal(exchange([["scope", "repo.*=repo:acme/**"]]))).toEqual({
      status: 400,
      error: "invalid_scope",
      baton_code: "scope_widening",
    });
  });

  test("is refused an audience the planner does not hold with invalid_target", async () => {
    expect(
      await refusal(
        exchange([
          ["scope", "repo.issues.read=repo:acme/web/**"],
          ["audience", "billing-tool"],
        ]),
      ),
    ).toEqual({ status: 400, error: "invalid_target", baton_code: "audience_widening" });
  });

  test("is refused with invalid_dpop_proof when the proof's key is not the one the chain is bound to", async () => {
    const stranger = await webCryptoKeyPair();
    expect(await refusal(exchange([["scope", "repo.issues.read=repo:acme/web/**"]], stranger))).toEqual({
      status: 400,
      error: "invalid_dpop_proof",
      baton_code: "pop_binding_mismatch",
    });
  });

  test("is refused another grant type with unsupported_grant_type", async () => {
    const request = genericGrantRequest(
      config,
      "client_credentials",
      {},
      { DPoP: getDPoPHandle(config, plannerKeys) },
    );
    expect(await refusal(request)).toMatchObject({ error: "unsupported_grant_type" });
  });

  test("is refused a revoked chain with invalid_request and baton_code revoked (RFC 8693 §2.2.2)", async () => {
    const [root] = claimsOf(plannerChain) as [TokenClaims];
    await operator.revoke({ did: root.did }, "interop test: the task was called off");
    expect(await refusal(exchange([["scope", "repo.issues.read=repo:acme/web/**"]]))).toEqual({
      status: 400,
      error: "invalid_request",
      baton_code: "revoked",
    });
  });
});
