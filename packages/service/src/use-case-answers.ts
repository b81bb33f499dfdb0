/**
 * How a use case's refusal reads over HTTP: its status hint and code as a problem response, and a
 * refused chain or proof (a 401) with the challenge of the endpoint's scheme.
 */
import { type PresentedChain, UseCaseError } from "@baton/core";
import type { Context } from "hono";
import { agentPresentation } from "./auth.ts";
import { challenge, isProofProblem } from "./challenges.ts";
import { ProblemError } from "./problem.ts";
import type { ServiceContext } from "./service-context.ts";

/** The schemes an agent endpoint takes, for its challenge. */
export type AgentScheme = "agent" | "bearer_or_agent";

/** A use-case error as the problem response it answers with. */
export function problemOf(error: UseCaseError, scheme: AgentScheme = "agent"): ProblemError {
  const first = error.reasons?.[0];
  const problem = first !== undefined && isProofProblem(first.code) ? "invalid_dpop_proof" : "invalid_token";
  return new ProblemError({
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(error.reasons === undefined ? {} : { reasons: error.reasons }),
    ...(error.extra === undefined ? {} : { extra: error.extra }),
    ...(error.status === 401 ? { headers: { "www-authenticate": challenge(scheme, problem, "agent") } } : {}),
  });
}

/** Runs a use case at an endpoint taking `scheme`, its refusals carrying that scheme's challenge. */
export async function answering<T>(scheme: AgentScheme, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UseCaseError) throw problemOf(error, scheme);
    throw error;
  }
}

/** The chain, proof and request an agent presented: what the use case authenticates. */
export function presentation(c: Context, ctx: ServiceContext, scheme: AgentScheme = "agent"): PresentedChain {
  const { chain, proof } = agentPresentation(c, scheme);
  return { chain, proof, method: c.req.method, url: ctx.publicUrl(c.req.path) };
}
