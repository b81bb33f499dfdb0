/**
 * The in-memory walkthrough: a root grant and a two-hop chain minted with a throwaway service
 * key, then checked hop by hop with the token package, printing what narrowed at each hop. No
 * service and no database; `baton demo` will grow into the full scenario.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  allows,
  type Capability,
  checkHopAgainstParent,
  checkRoot,
  checkTime,
  decodeChain,
  ed25519PublicJwk,
  encodeChain,
  jwkThumbprint,
  randomDelegationId,
  randomId,
  sha256Base64url,
  signToken,
  type TokenClaims,
  verifyToken,
} from "@baton/token";

interface DemoAgent {
  readonly id: string;
  readonly thumbprint: string;
}

function newAgent(id: string): DemoAgent {
  const { publicKey } = generateKeyPairSync("ed25519");
  const x = publicKey.export({ format: "jwk" }).x ?? "";
  return { id, thumbprint: jwkThumbprint({ kty: "OKP", crv: "Ed25519", x }) };
}

function describeCaps(caps: readonly Capability[]): string {
  return caps
    .map((c) => `${c.act} on ${c.res}${c.lim === undefined ? "" : ` limited by ${JSON.stringify(c.lim)}`}`)
    .join("; ");
}

/** Runs the walkthrough, writing lines to `print`. Returns the number of checks that failed. */
export async function runInMemoryDemo(
  print: (line: string) => void,
  now = Math.floor(Date.now() / 1000),
): Promise<number> {
  const issuer = "http://127.0.0.1:8787";
  const service = generateKeyPairSync("ed25519");
  const serviceJwk = ed25519PublicJwk(
    new Uint8Array(Buffer.from(service.publicKey.export({ format: "jwk" }).x ?? "", "base64url")),
  );
  // A short kid, as the service gives its keys: it rides in every hop's header.
  const kid = jwkThumbprint(serviceJwk).slice(0, 16);
  const keys = new Map<string, KeyObject>([[kid, service.publicKey]]);
  const signer = { kid, privateKey: service.privateKey };

  const planner = newAgent("agent:planner");
  const researcher = newAgent("agent:researcher");
  const summarizer = newAgent("agent:summarizer");
  const task = "task-quarterly-report";

  const rootClaims: TokenClaims = {
    iss: issuer,
    sub: planner.id,
    jti: randomId(),
    did: randomDelegationId(),
    dpt: 0,
    mdp: 2,
    tsk: task,
    cap: [
      { act: "repo.*", res: "repo:acme/**" },
      { act: "mail.send", res: "mailbox:acme/**", lim: { recipients: { max: 20 } } },
    ],
    aud: ["repo-tool", "mail-tool"],
    iat: now,
    nbf: now,
    exp: now + 3600,
    rvl: now + 600,
    cnf: { jkt: planner.thumbprint },
  };
  const root = await signToken(rootClaims, signer);

  const hop1Claims: TokenClaims = {
    ...rootClaims,
    sub: researcher.id,
    dlg: planner.id,
    jti: randomId(),
    did: randomDelegationId(),
    par: rootClaims.did,
    prf: sha256Base64url(root),
    dpt: 1,
    mdp: 1,
    cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
    aud: ["repo-tool"],
    exp: now + 1800,
    rvl: now + 300,
    cnf: { jkt: researcher.thumbprint },
  };
  const hop1 = await signToken(hop1Claims, signer);

  const hop2Claims: TokenClaims = {
    ...hop1Claims,
    sub: summarizer.id,
    dlg: researcher.id,
    jti: randomId(),
    did: randomDelegationId(),
    par: hop1Claims.did,
    prf: sha256Base64url(hop1),
    dpt: 2,
    mdp: 0,
    cap: [{ act: "repo.issues.read", res: "repo:acme/web/issues/**" }],
    exp: now + 900,
    rvl: now + 300,
    cnf: { jkt: summarizer.thumbprint },
  };
  const hop2 = await signToken(hop2Claims, signer);

  const encoded = encodeChain([root, hop1, hop2]);
  if (!encoded.ok) throw encoded.error;
  print(`Minted a chain of 3 tokens (${encoded.value.length} bytes as a header value) for task ${task}.`);

  let failures = 0;
  const split = decodeChain(encoded.value);
  if (!split.ok) throw split.error;
  const verified: { compact: string; claims: TokenClaims }[] = [];
  for (const [hop, compact] of split.value.entries()) {
    const token = verifyToken(compact, (k) => keys.get(k));
    if (!token.ok) throw token.error;
    const parent = verified[hop - 1];
    const errors = [
      ...(parent === undefined ? checkRoot(token.value) : checkHopAgainstParent(parent, token.value, hop)),
      ...checkTime(token.value.claims, now, 30, hop),
    ];
    failures += errors.length;
    const c = token.value.claims;
    const from = c.dlg === undefined ? "operator" : c.dlg;
    print(
      `  hop ${hop}: ${from} -> ${c.sub}  (${compact.length} bytes, expires in ${c.exp - now} s, may delegate ${c.mdp} more)`,
    );
    print(`         can: ${describeCaps(c.cap)}`);
    print(`         for: ${c.aud.join(", ")}`);
    print(
      `         ${errors.length === 0 ? "signature, link and attenuation checks pass" : errors.map((e) => e.describe()).join("; ")}`,
    );
    verified.push(token.value);
  }

  const leafCaps = hop2Claims.cap;
  const read = { action: "repo.issues.read", resource: "repo:acme/web/issues/42" };
  const close = { action: "repo.issues.close", resource: "repo:acme/web/issues/42" };
  print(`The summarizer may ${read.action} ${read.resource}: ${allows(leafCaps, read)}`);
  print(`The summarizer may ${close.action} ${close.resource}: ${allows(leafCaps, close)}`);

  // A hop that tries to hand on more than it holds is refused, not clamped.
  const widened: TokenClaims = {
    ...hop2Claims,
    cap: [{ act: "repo.*", res: "repo:acme/**" }],
    jti: randomId(),
  };
  const widenedToken = { compact: await signToken(widened, signer), claims: widened };
  const refusal = checkHopAgainstParent(verified[1] as (typeof verified)[number], widenedToken, 2);
  print(
    `A summarizer token asking for repo.* on repo:acme/** would be refused: ${refusal.map((e) => e.code).join(", ")}`,
  );
  if (refusal.length === 0) failures++;
  return failures;
}
