/**
 * What a new user of the published packages runs, in plain JavaScript under plain Node (no tsx, no
 * TypeScript): scripts/packed-install.sh copies this file into a scratch project outside the
 * workspace, where the packed tarballs are npm-installed, and runs it. It mints a real chain (a
 * root grant and two delegation hops, as the token service would), presents it from the leaf
 * agent with the client SDK's DPoP proof, and verifies it with the verifier a tool server embeds:
 * allowed as presented, and denied with the right reason once tampered with, revoked, replayed or
 * used beyond its scope. Exits non-zero on the first surprise.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { AgentKeyPair, BatonAgent, createDpopProof } from "@baton/client";
import {
  decodeBase64url,
  encodeBase64url,
  encodeChain,
  randomId,
  sha256Base64url,
  signToken,
} from "@baton/token";
import { createVerifier, memoryRevocations, staticKeys } from "@baton/verifier";

const issuer = "https://baton.example";
const audience = "repo-tool";
const now = Math.floor(Date.now() / 1000);

// The token service's signing key. A tool server only ever holds the public half, from the JWKS.
const service = { kid: "svc-1", ...generateKeyPairSync("ed25519") };
const jwks = {
  keys: [{ ...service.publicKey.export({ format: "jwk" }), kid: service.kid, alg: "Ed25519", use: "sig" }],
};

/** Signs one token of the chain the way the service does: a root grant, or a hop below `parent`. */
async function mint(holder, key, parent, narrowing) {
  const base = parent
    ? {
        ...parent.claims,
        dlg: parent.claims.sub,
        par: parent.claims.did,
        prf: sha256Base64url(parent.compact),
        dpt: parent.claims.dpt + 1,
        mdp: parent.claims.mdp - 1,
      }
    : { iss: issuer, dpt: 0, mdp: 2, tsk: "task-triage", aud: [audience], iat: now - 5, nbf: now - 5 };
  const claims = {
    exp: now + 600,
    rvl: now + 300,
    ...base,
    ...narrowing,
    sub: holder,
    jti: randomId(),
    did: randomId(),
    cnf: { jkt: key.thumbprint },
  };
  return { claims, compact: await signToken(claims, { kid: service.kid, privateKey: service.privateKey }) };
}

function chainOf(tokens) {
  const encoded = encodeChain(tokens.map((token) => token.compact));
  if (!encoded.ok) throw encoded.error;
  return encoded.value;
}

function firstReason(decision) {
  const [reason] = decision.reasons;
  return reason && { hop: reason.hop, code: reason.code };
}

const planner = await AgentKeyPair.generate();
const researcher = await AgentKeyPair.generate();
const fetcher = await AgentKeyPair.generate();

const root = await mint("agent:planner", planner, undefined, {
  cap: [{ act: "github.issues.*", res: "repo:acme/**" }],
});
const hop1 = await mint("agent:researcher", researcher, root, {
  cap: [{ act: "github.issues.*", res: "repo:acme/web/**" }],
});
const hop2 = await mint("agent:fetcher", fetcher, hop1, {
  cap: [{ act: "github.issues.read", res: "repo:acme/web/**" }],
});
const chain = chainOf([root, hop1, hop2]);

const revocations = memoryRevocations();
const verifier = createVerifier({ issuer, audience, keys: staticKeys(jwks), revocations });
const url = "https://tools.example/repos/acme/web/issues/7";
const call = { method: "GET", url, action: "github.issues.read", resource: "repo:acme/web/issues/7" };

// 1. The leaf agent presents its chain with the SDK: the Authorization header and a DPoP proof.
const agent = new BatonAgent({ serviceUrl: "http://127.0.0.1:1", id: "agent:fetcher", key: fetcher, chain });
const presentation = await agent.present("GET", url);
assert.equal(presentation.authorization, `DPoP ${chain}`);
const allowed = await verifier.verify({ ...call, chain, proof: presentation.dpop });
assert.equal(allowed.decision, "allow", JSON.stringify(allowed.reasons));
assert.deepEqual(
  allowed.chain.map((hop) => hop.sub),
  ["agent:planner", "agent:researcher", "agent:fetcher"],
);
assert.deepEqual(allowed.actor, { agent: "agent:fetcher", proven: true });
console.log(`allow: a ${allowed.chain.length}-token chain, presented by ${allowed.actor.agent}`);

// 2. The same proof again: a replay.
const replayed = await verifier.verify({ ...call, chain, proof: presentation.dpop });
assert.deepEqual(firstReason(replayed), { hop: 2, code: "pop_replayed" });
console.log("deny: the same DPoP proof twice is pop_replayed");

// 3. The middle hop's payload rewritten to widen its scope, its signature kept.
const [header, payload, signature] = hop1.compact.split(".");
const widened = JSON.parse(new TextDecoder().decode(decodeBase64url(payload)));
widened.cap = [{ act: "*", res: "repo:acme/**" }];
const forged = `${header}.${encodeBase64url(new TextEncoder().encode(JSON.stringify(widened)))}.${signature}`;
const tamperedChain = chainOf([root, { compact: forged }, hop2]);
const tampered = await verifier.verify({
  ...call,
  chain: tamperedChain,
  proof: await createDpopProof(fetcher, { method: "GET", url, chain: tamperedChain }),
});
assert.equal(tampered.decision, "deny");
assert.deepEqual(firstReason(tampered), { hop: 1, code: "bad_signature" });
console.log("deny: a hop whose payload was rewritten is bad_signature at hop 1");

// 4. An action the leaf was never given.
const beyond = await verifier.verify({
  ...call,
  action: "github.issues.delete",
  chain,
  proof: await createDpopProof(fetcher, { method: "GET", url, chain }),
});
assert.deepEqual(firstReason(beyond), { hop: 2, code: "action_not_permitted" });
console.log("deny: an action outside the leaf's scope is action_not_permitted");

// 5. The middle delegation revoked: everything below it stops working.
revocations.revoke(hop1.claims.did);
const revoked = await verifier.verify({
  ...call,
  chain,
  proof: await createDpopProof(fetcher, { method: "GET", url, chain }),
});
assert.deepEqual(firstReason(revoked), { hop: 1, code: "revoked" });
console.log("deny: a revoked hop is revoked at hop 1");
console.log("packed packages: every verification scenario decided as expected");
