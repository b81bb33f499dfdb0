/**
 * `WWW-Authenticate` challenges: every 401 says which scheme the endpoint takes and, when a
 * credential was sent, what was wrong with it (RFC 9110 §11.6.1, RFC 6750 §3, RFC 9449 §7.1).
 * Operators and tool servers send `Bearer` secrets; agents send `DPoP <chain>` with a `DPoP`
 * proof (RFC 9449 §7.1). This is the one place the challenges are written; `auth.ts` and the agent routes build
 * their 401s through it. Issue 14 ("Challenges").
 */
import { CHAIN_SCHEME, DPOP_CHALLENGE_ALGS } from "@baton/token";
import { ProblemError, type ProblemInit } from "./problem.ts";

/** The realm every challenge names. */
export const REALM = "baton";

/** Who may call an endpoint: operator or audience secrets, agents, or both. */
export type CallerScheme = "bearer" | "agent" | "bearer_or_agent";

/**
 * What was wrong with the credential: nothing sent for this scheme (the bare challenge, RFC 6750
 * §3.1), a token refused (`invalid_token`), or a DPoP proof refused (`invalid_dpop_proof`).
 */
export type CredentialProblem = "missing" | "invalid_token" | "invalid_dpop_proof";

/**
 * The `WWW-Authenticate` value for a 401 at an endpoint taking `scheme`. The error parameter goes
 * on the scheme that was used: `Bearer` for a bad secret, `DPoP` for a refused chain or proof.
 *
 * @example
 * challenge("agent", "invalid_dpop_proof")
 * // 'DPoP realm="baton", error="invalid_dpop_proof", algs="Ed25519 EdDSA"'
 */
export function challenge(
  scheme: CallerScheme,
  problem: CredentialProblem,
  used: "bearer" | "agent" = scheme === "agent" ? "agent" : "bearer",
): string {
  const error = (on: "bearer" | "agent") =>
    problem !== "missing" && used === on ? `, error="${problem}"` : "";
  const bearer = `Bearer realm="${REALM}"${error("bearer")}`;
  const agent = `${CHAIN_SCHEME} realm="${REALM}"${error("agent")}, algs="${DPOP_CHALLENGE_ALGS}"`;
  if (scheme === "bearer") return bearer;
  if (scheme === "agent") return agent;
  return `${bearer}, ${agent}`;
}

/** A 401 problem carrying its challenge. */
export function unauthorizedProblem(
  init: Omit<ProblemInit, "status" | "code"> & { readonly code?: ProblemInit["code"] },
  wwwAuthenticate: string,
): ProblemError {
  return new ProblemError({
    ...init,
    status: 401,
    code: init.code ?? "unauthorized",
    headers: { "www-authenticate": wwwAuthenticate },
  });
}

/** Reason codes that mean the DPoP proof, not the chain, is what was refused. */
export function isProofProblem(code: string): boolean {
  return code.startsWith("pop_");
}
