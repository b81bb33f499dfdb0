/**
 * Peers on the same 5-hop work, each verified from its serialized form on every call (cold):
 * jose `jwtVerify` of five JWTs with hand-written link checks, Biscuit (authority block + four
 * attenuation blocks + an authorizer), and ucanto (five delegations and the invocation).
 */
import { createHash, randomBytes } from "node:crypto";
import * as Ucanto from "@ucanto/core";
import { ed25519, Verifier as UcantoVerifier } from "@ucanto/principal";
import { access, capability, Schema } from "@ucanto/validator";
import { exportJWK, generateKeyPair, importJWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { loadBiscuit } from "../lib/biscuit.ts";
import type { Section } from "../lib/report.ts";
import {
  formatTime,
  measureAsync,
  measureSync,
  type Summary,
  TIMING_HEADERS,
  timingCells,
} from "../lib/stats.ts";

export interface PeerFigure {
  readonly name: string;
  readonly work: string;
  readonly signatures: number;
  readonly summary: Summary | undefined;
  readonly error?: string;
}

const ISSUER = "https://baton.bench";
const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

/** jose: five JWTs signed by one service key, verified one by one, links checked by hand. */
async function joseFigure(samples: number): Promise<PeerFigure> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const verifyKey = await importJWK(await exportJWK(publicKey), "EdDSA");
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  let parent: { did: string; sub: string; compact: string } | undefined;
  for (let hop = 0; hop < 5; hop++) {
    const did = randomBytes(16).toString("base64url");
    const sub = `agent:peer-${hop}`;
    const claims: JWTPayload = {
      did,
      dpt: hop,
      tsk: "task-1",
      cap: [{ act: "repo.issues.create", res: "repo:acme/web/issues" }],
      aud: ["repo-tool"],
      ...(parent === undefined ? {} : { par: parent.did, dlg: parent.sub, prf: sha256(parent.compact) }),
    };
    const compact = await new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", typ: "baton+jwt" })
      .setIssuer(ISSUER)
      .setSubject(sub)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + 3600)
      .setJti(randomBytes(16).toString("base64url"))
      .sign(privateKey);
    tokens.push(compact);
    parent = { did, sub, compact };
  }
  const covered = (parentCaps: unknown, childCaps: unknown): boolean =>
    Array.isArray(parentCaps) &&
    Array.isArray(childCaps) &&
    childCaps.every((c: { act: string; res: string }) =>
      parentCaps.some((p: { act: string; res: string }) => p.act === c.act && p.res === c.res),
    );
  const summary = await measureAsync(
    async () => {
      let previous: { payload: JWTPayload; compact: string } | undefined;
      for (const compact of tokens) {
        const { payload } = await jwtVerify(compact, verifyKey, {
          issuer: ISSUER,
          algorithms: ["EdDSA"],
          typ: "baton+jwt",
        });
        if (previous !== undefined) {
          const ok =
            payload.par === previous.payload.did &&
            payload.dlg === previous.payload.sub &&
            payload.prf === sha256(previous.compact) &&
            payload.tsk === previous.payload.tsk &&
            payload.dpt === (previous.payload.dpt as number) + 1 &&
            (payload.exp ?? 0) <= (previous.payload.exp ?? 0) &&
            covered(previous.payload.cap, payload.cap);
          if (!ok) throw new Error("jose peer: a link check failed");
        }
        previous = { payload, compact };
      }
    },
    { samples },
  );
  return {
    name: "jose 6 `jwtVerify` × 5 + link checks",
    work: "5 EdDSA JWTs (WebCrypto); par/dlg/prf/tsk/dpt/exp/cap checked by hand; no proof",
    signatures: 5,
    summary,
  };
}

/** An error as text: biscuit-wasm throws plain objects, which String() prints as [object Object]. */
function describeError(error: unknown): string {
  if (error instanceof Error || typeof error !== "object" || error === null) return String(error);
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** Biscuit: an authority block and four attenuation blocks, parsed from bytes and authorized. */
async function biscuitFigure(samples: number): Promise<PeerFigure> {
  const name = "Biscuit (biscuit-wasm 0.5.0), 1 + 4 blocks + authorizer";
  const work = "Biscuit.fromBytes (5 block signatures) + Datalog authorizer; no proof of possession";
  try {
    const biscuit = await loadBiscuit();
    const root = new biscuit.KeyPair();
    const builder = biscuit.Biscuit.builder();
    builder.addCode(
      'right("repo:acme/web/issues", "repo.issues.create"); right("repo:acme/web/issues", "repo.issues.read"); user("agent:planner");',
    );
    let token = builder.build(root.getPrivateKey());
    const attenuations = [
      'check if resource($r), $r.starts_with("repo:acme/");',
      'check if operation($op), ["repo.issues.create", "repo.issues.read"].contains($op);',
      "check if time($t), $t < 2099-01-01T00:00:00Z;",
      'check if resource("repo:acme/web/issues");',
    ];
    for (const code of attenuations) {
      const block = biscuit.Biscuit.block_builder();
      block.addCode(code);
      token = token.appendBlock(block);
    }
    if (token.countBlocks() !== 5) throw new Error("expected five blocks");
    const bytes = token.toBytes();
    const publicKey = root.getPublicKey();
    const authorizerCode = `time(${new Date().toISOString().replace(/\.\d+Z$/, "Z")}); resource("repo:acme/web/issues"); operation("repo.issues.create"); allow if right($r, $op), resource($r), operation($op);`;
    // The default run limit is 1 ms of wall time, which a busy machine overruns. It only aborts a
    // run (it never shortens one), and 100 ms still timed out on a noisy virtual machine: allow 10 s.
    const limits = { max_facts: 1000, max_iterations: 100, max_time_micro: 10_000_000 };
    const summary = measureSync(
      () => {
        const parsed = biscuit.Biscuit.fromBytes(bytes, publicKey);
        const authorizer = parsed.getAuthorizer();
        authorizer.addCode(authorizerCode);
        authorizer.authorizeWithLimits(limits);
        authorizer.free();
        parsed.free();
      },
      { samples },
    );
    return { name, work, signatures: 5, summary };
  } catch (error) {
    return { name, work, signatures: 5, summary: undefined, error: describeError(error) };
  }
}

/** ucanto: five delegations from the service down, then an invocation by the last delegate. */
async function ucantoFigure(samples: number): Promise<PeerFigure> {
  const name = "UCAN: ucanto (@ucanto/core 10, validator 10), 5 delegations + invocation";
  const work = "CAR decode + `access()`: 5 delegation signatures + the invocation's (JS Ed25519)";
  try {
    const service = await ed25519.generate();
    const agents = await Promise.all(Array.from({ length: 5 }, () => ed25519.generate()));
    const Create = capability({
      can: "repo/issues/create",
      with: Schema.did(),
      derives: (claimed, delegated) =>
        claimed.with === delegated.with ? { ok: {} } : { error: new Error("resource mismatch") },
    });
    let proofs: Awaited<ReturnType<typeof Ucanto.delegate>>[] = [];
    let issuer: ed25519.EdSigner = service;
    const expiration = Math.floor(Date.now() / 1000) + 3600;
    for (const audience of agents) {
      const delegation = await Ucanto.delegate({
        issuer,
        audience,
        capabilities: [{ can: "repo/issues/create", with: service.did() }],
        proofs,
        expiration,
      });
      proofs = [delegation];
      issuer = audience;
    }
    const invocation = await Ucanto.invoke({
      issuer,
      audience: service,
      capability: { can: "repo/issues/create", with: service.did() },
      proofs,
    }).buildIPLDView();
    const archived = await invocation.archive();
    if (archived.error) throw archived.error;
    const bytes = archived.ok;
    const summary = await measureAsync(
      async () => {
        const extracted = await Ucanto.Delegation.extract(bytes);
        if (extracted.error) throw extracted.error;
        const result = await access(extracted.ok as never, {
          capability: Create,
          authority: service,
          principal: UcantoVerifier,
          validateAuthorization: () => ({ ok: {} }),
        });
        if (result.error) throw result.error;
      },
      { samples },
    );
    return { name, work, signatures: 6, summary };
  } catch (error) {
    return { name, work, signatures: 6, summary: undefined, error: describeError(error) };
  }
}

export async function measurePeers(quick: boolean): Promise<PeerFigure[]> {
  return [
    await joseFigure(quick ? 100 : 1_000),
    await biscuitFigure(quick ? 100 : 1_000),
    await ucantoFigure(quick ? 15 : 150),
  ];
}

/** Baton's own 5-hop figures to print beside the peers. */
export interface BatonReference {
  readonly label: string;
  readonly summary: Summary;
  readonly signatures: number;
}

export function peersSection(
  peers: readonly PeerFigure[],
  baton: readonly BatonReference[],
  limitUs: number,
): Section {
  const rows: string[][] = [];
  for (const ref of baton) {
    rows.push([
      ref.label,
      ...timingCells(ref.summary),
      `${(ref.summary.medianUs / (ref.signatures * limitUs)).toFixed(2)}×`,
    ]);
  }
  const notes: string[] = [];
  for (const peer of peers) {
    if (peer.summary === undefined) {
      rows.push([peer.name, "could not run", "", "", "", "", "", ""]);
      notes.push(`${peer.name}: could not run: ${peer.error ?? "unknown error"}`);
      continue;
    }
    rows.push([
      peer.name,
      ...timingCells(peer.summary),
      `${(peer.summary.medianUs / (peer.signatures * limitUs)).toFixed(2)}×`,
    ]);
    notes.push(`${peer.name}: ${peer.work}.`);
  }
  notes.push(
    `ratio = median ÷ (signatures × the limit, ${formatTime(limitUs)}); Baton and jose verify 5 signatures (+1 for Baton's DPoP proof), Biscuit 5, ucanto 6.`,
    "Biscuit-wasm 0.5 is loaded by instantiating its .wasm by hand (bench/lib/biscuit.ts), because its entry point needs `--experimental-wasm-modules` on Node 20; 0.6 requires Node 22. Its authorizer's default 1 ms time limit is raised to 10 s so that a busy machine does not turn slowness into a failure.",
    "ucanto verifies with @noble/ed25519 in JavaScript, not node:crypto, which is most of its cost.",
  );
  return {
    id: "peers",
    title: "Peers on the same 5-hop work",
    intro:
      "Each call starts from the serialized form (no cache): Baton's depth-5 chain cold, jose verifying five JWTs with the link checks written by hand, a Biscuit with four attenuation blocks and an authorizer, and a ucanto invocation with a five-delegation proof chain.",
    headers: ["system", ...TIMING_HEADERS, "ratio to limit"],
    rows,
    notes,
    targets: [],
    data: { peers, baton },
  };
}
