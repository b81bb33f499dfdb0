/**
 * Runs one vector through Baton's verifier (`createVerifier`), set up exactly as the file's
 * `verifier` section and the case's `environment` say. What another implementation's runner does
 * with its own verifier.
 */
import {
  createVerifier,
  type Decision,
  type PolicyHook,
  type RevocationSource,
  staticKeys,
} from "@baton/verifier";
import type { PolicyAnswer, VectorCase, VectorFile, VerifierEnvironment } from "./vector-format.ts";

/** The file's verifier configuration with the case's replacements applied. */
export function environmentOf(file: VectorFile, vector: VectorCase): VerifierEnvironment {
  return { ...file.verifier, ...vector.environment };
}

function revocationView(env: VerifierEnvironment): RevocationSource {
  const revoked = new Set(env.revocation.revoked);
  const syncedAt = env.revocation.synced_at ?? undefined;
  return { isRevoked: (did) => revoked.has(did), syncedAt: () => syncedAt };
}

function policyHook(answer: PolicyAnswer): PolicyHook | undefined {
  if (answer === null) return undefined;
  if (answer.decision === "error") {
    return () => {
      throw new Error("the policy engine failed (a vector's declared failure)");
    };
  }
  const { decision, policies } = answer;
  return () => ({ decision, ...(policies === undefined ? {} : { policies }) });
}

/** Verifies one case's presentation with a fresh verifier (fresh caches) and returns the decision. */
export async function runVector(file: VectorFile, vector: VectorCase): Promise<Decision> {
  const env = environmentOf(file, vector);
  const policy = policyHook(env.policy);
  const verifier = createVerifier({
    issuer: env.issuer,
    audience: env.audience,
    keys: staticKeys(file.jwks),
    revocations: revocationView(env),
    maxStalenessSeconds: env.max_staleness_seconds,
    clockSkewSeconds: env.clock_skew_seconds,
    maxChain: env.max_chain_length,
    maxTokenBytes: env.max_token_bytes,
    proofMaxAgeSeconds: env.proof_max_age_seconds,
    clock: () => env.now,
    ...(policy === undefined ? {} : { policy }),
  });
  // Proofs this verifier already accepted: recorded as if they arrived just now.
  for (const jti of env.seen_proof_jtis) verifier.replayCache.check(jti, env.now, env.now);
  return verifier.verify({
    chain: vector.chain,
    proof: vector.proof ?? undefined,
    method: vector.request.method,
    url: vector.request.url,
    action: vector.request.action,
    resource: vector.request.resource,
    args: vector.request.args,
  });
}

/** The distinct (hop, code) pairs of a decision, in a stable order, for comparing as a set. */
export function reasonSet(reasons: readonly { hop: number | null; code: string }[]): string[] {
  return [...new Set(reasons.map(({ hop, code }) => `${hop ?? "-"}:${code}`))].sort();
}
