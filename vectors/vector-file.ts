/**
 * Assembles the whole vector file: keys, the verifier configuration every case assumes, the
 * cases, and which reason codes they reach. Returns the exact text to write.
 */
import { REASON_CODES } from "@baton/token";
import { CALL_BOUNDS } from "@baton/verifier";
import { buildCases } from "./cases.ts";
import { loadProofTemplate, PUBLIC_ORIGIN } from "./dpop-proofs.ts";
import { AGENTS, activeKey, type FixedKey, retiredKey, type ServiceKey } from "./fixed-keys.ts";
import { headerOf, ISSUER, mintRoot, NOW } from "./mint-chain.ts";
import type { KeyRecord, VectorFile, VerifierEnvironment } from "./vector-format.ts";

/** The reason codes no case can produce, and why. */
export const OUT_OF_REACH: Readonly<Record<string, string>> = {
  unmapped_route:
    "A tool server's gate answers it when no gated route names the request, before there is an action and resource to verify: a property of the server's route table, not of a chain, a request and a proof.",
};

export const AUDIENCE = "repo-tool";

/** The verifier configuration every case assumes unless it says otherwise. */
export const VERIFIER: VerifierEnvironment = {
  issuer: ISSUER,
  audience: AUDIENCE,
  public_origin: PUBLIC_ORIGIN,
  now: NOW,
  clock_skew_seconds: 30,
  max_chain_length: 16,
  max_token_bytes: 8192,
  proof_max_age_seconds: 60,
  call_bounds: {
    max_depth: CALL_BOUNDS.maxDepth,
    max_members: CALL_BOUNDS.maxMembers,
    max_json_length: CALL_BOUNDS.maxJsonLength,
  },
  max_staleness_seconds: 60,
  revocation: { synced_at: NOW, revoked: [] },
  policy: null,
  seen_proof_jtis: [],
};

function keyRecord(key: FixedKey): KeyRecord {
  return { seed_hex: key.seedHex, public_jwk: { ...key.jwk }, thumbprint: key.thumbprint };
}

export async function buildVectorFile(): Promise<string> {
  await loadProofTemplate(activeKey);
  // The JWKS says the alg the code base's tokens carry: read from a real token, not restated here.
  const sample = await mintRoot("jwks-sample", { holder: AGENTS[0] as FixedKey & { id: string } });
  const alg = String(headerOf(sample.compact).alg);
  const published = (key: ServiceKey) => ({ ...key.jwk, kid: key.kid, alg, use: "sig" });
  const cases = await buildCases();
  const covered = [...new Set(cases.flatMap((c) => c.expected.reasons.map((reason) => reason.code)))].sort(
    (a, b) => REASON_CODES.indexOf(a as never) - REASON_CODES.indexOf(b as never),
  );
  const file: VectorFile = {
    format: "baton-conformance-vectors",
    version: 1,
    description:
      "Delegation chains, requests and the decisions a Baton verifier must reach. See vectors/README.md.",
    authorization: "DPoP <chain>",
    dpop_header: "<proof>",
    jwks: { keys: [published(activeKey), published(retiredKey)] },
    service_keys: { [activeKey.kid]: keyRecord(activeKey), [retiredKey.kid]: keyRecord(retiredKey) },
    agents: Object.fromEntries(AGENTS.map((agent) => [agent.id, keyRecord(agent)])),
    verifier: VERIFIER,
    reason_codes: { covered, out_of_reach: OUT_OF_REACH },
    cases,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
