/**
 * One verification scenario, run unchanged on every runtime Baton supports (issue 16): Node 20, 22
 * and 24, Bun, Deno and Cloudflare's workerd. Plain JavaScript that imports the three packages by
 * name, so the same file can run against the workspace (bundled by run.sh) or installed tarballs.
 *
 * A service key signs a root grant to alice and a hop from alice to bob; bob proves possession
 * with a DPoP proof made by the client SDK; a verifier with a static JWKS decides. Then the
 * attacks: a hop the service signed although it widens its parent, a hop whose payload was widened
 * after signing, and a proof sent twice.
 */
import { AgentKeyPair, createDpopProof } from "@baton/client";
import {
  activeCryptoBackend,
  decodeBase64url,
  decompressStatusList,
  encodeBase64url,
  jwkThumbprint,
  packStatusBits,
  randomId,
  sha256Base64url,
  signStatusListToken,
  signToken,
} from "@baton/token";
import { createVerifier, followStatusLists, memoryRevocations, staticKeys } from "@baton/verifier";

const ISSUER = "https://baton.example";
const AUDIENCE = "repo-tool";
const URL_CALLED = "https://tools.example/repos/acme/web/issues";
const CALL = { action: "repo.issues.create", resource: "repo:acme/web/issues" };

/** What every runtime must decide, by case. */
export const EXPECTED_OUTCOMES = {
  allow: "allow",
  widened: "deny:scope_widening",
  tampered: "deny:bad_signature",
  replayed: "deny:pop_replayed",
  // Token Status List: the draft's 1-bit example decodes (DecompressionStream), and a verifier
  // whose revocation source is a signed list (CompressionStream, WebCrypto) refuses a set bit.
  draftList: "b9a3",
  statusRevoked: "deny:revoked",
};

/** A decision as one comparable word: `allow`, or `deny:` and its reason codes. */
function outcomeOf(decision) {
  if (decision.decision === "allow") return "allow";
  return `${decision.decision}:${decision.reasons.map((reason) => reason.code).join(",")}`;
}

/** Replaces a signed token's payload and keeps its signature: what an attacker can do. */
function withPayload(compact, change) {
  const [header, payload, signature] = compact.split(".");
  const claims = JSON.parse(new TextDecoder().decode(decodeBase64url(payload)));
  const changed = encodeBase64url(new TextEncoder().encode(JSON.stringify(change(claims))));
  return `${header}.${changed}.${signature}`;
}

/** Runs the scenario; resolves to the crypto backend used and the outcome of each case. */
export async function runScenario() {
  const now = Math.floor(Date.now() / 1000);
  // WebCrypto makes the service key on every runtime; jose signs with the CryptoKey.
  const service = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const { x } = await crypto.subtle.exportKey("jwk", service.publicKey);
  const kid = jwkThumbprint({ kty: "OKP", crv: "Ed25519", x }).slice(0, 16);
  const jwks = { keys: [{ kty: "OKP", crv: "Ed25519", x, kid, alg: "Ed25519", use: "sig" }] };
  const signingKey = { kid, privateKey: service.privateKey };

  const alice = await AgentKeyPair.generate();
  const bob = await AgentKeyPair.generate();
  const rootClaims = {
    iss: ISSUER,
    sub: "agent:alice",
    jti: randomId(),
    did: randomId(),
    dpt: 0,
    mdp: 2,
    tsk: "task-runtimes",
    cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
    aud: [AUDIENCE],
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3600,
    rvl: now + 600,
    cnf: { jkt: alice.thumbprint },
  };
  const root = await signToken(rootClaims, signingKey);
  const hopClaims = (cap) => ({
    ...rootClaims,
    sub: "agent:bob",
    dlg: rootClaims.sub,
    jti: randomId(),
    did: randomId(),
    par: rootClaims.did,
    prf: sha256Base64url(root),
    dpt: 1,
    mdp: 1,
    cap,
    cnf: { jkt: bob.thumbprint },
  });
  const hop = await signToken(
    hopClaims([{ act: "repo.issues.create", res: "repo:acme/web/issues" }]),
    signingKey,
  );
  const wider = [{ act: "repo.*", res: "repo:acme/**" }];

  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: staticKeys(jwks),
    revocations: memoryRevocations(),
    clock: () => now,
  });
  const request = async (tokens) => {
    const chain = tokens.join("~");
    const proof = await createDpopProof(bob, { method: "POST", url: URL_CALLED, chain, now });
    return { ...CALL, chain, proof, method: "POST", url: URL_CALLED, now };
  };
  const decide = async (presented) => outcomeOf(await verifier.verify(presented));

  const good = await request([root, hop]);
  const outcomes = {
    allow: await decide(good),
    widened: await decide(await request([root, await signToken(hopClaims(wider), signingKey)])),
    tampered: await decide(await request([root, withPayload(hop, (claims) => ({ ...claims, cap: wider }))])),
    replayed: await decide(good),
  };
  const draft = await decompressStatusList("eNrbuRgAAhcBXQ");
  outcomes.draftList = draft.ok ? Array.from(draft.value, (byte) => byte.toString(16)).join("") : "refused";

  const listUri = `${ISSUER}/v1/status-lists/0`;
  const listed = (claims, idx) => ({ ...claims, status: { status_list: { idx, uri: listUri } } });
  const listedRoot = await signToken(listed(rootClaims, 0), signingKey);
  const listedHop = await signToken(
    listed(
      {
        ...hopClaims([{ act: "repo.issues.create", res: "repo:acme/web/issues" }]),
        prf: sha256Base64url(listedRoot),
      },
      1,
    ),
    signingKey,
  );
  const listToken = await signStatusListToken(
    { uri: listUri, bytes: packStatusBits(16, [1]), iat: now, exp: now + 300, ttl: 30 },
    signingKey,
  );
  const statusVerifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: staticKeys(jwks),
    revocations: followStatusLists({
      keys: staticKeys(jwks),
      uriPrefix: `${ISSUER}/v1/status-lists/`,
      fetch: async () =>
        new Response(listToken, { headers: { "content-type": "application/statuslist+jwt" } }),
    }),
    clock: () => now,
  });
  outcomes.statusRevoked = outcomeOf(await statusVerifier.verify(await request([listedRoot, listedHop])));
  return { backend: activeCryptoBackend(), outcomes };
}
