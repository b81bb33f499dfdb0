/**
 * Who is calling (DESIGN.md, "Token service HTTP API"): operators with `Authorization: Bearer
 * <operator token>`, tool servers with `Authorization: Bearer <audience secret>`, agents with
 * `Authorization: Baton <chain>` and a `DPoP` proof. Secrets are compared by hash in constant time.
 * A malformed header is a 400; a missing or wrong credential is a 401.
 */
import { parseAuthorization } from "@baton/token";
import type { Context } from "hono";
import { type CallerScheme, challenge, unauthorizedProblem } from "./challenges.ts";
import type { ServiceApp } from "./openapi.ts";
import { type ProblemError, problems } from "./problem.ts";
import { audienceOfSecret, secretMatches } from "./secrets.ts";
import type { ServiceContext } from "./service-context.ts";

/** Setting key under which the operator token's hash is stored. */
export const OPERATOR_TOKEN_SETTING = "operator_token_hash";

/** Who a bearer credential belongs to. */
export type Caller = { readonly kind: "operator" } | { readonly kind: "audience"; readonly audience: string };

function authorization(c: Context): { scheme: string; credential: string } | undefined {
  const parsed = parseAuthorization(c.req.header("authorization"));
  if (parsed.ok) return { scheme: parsed.value.scheme, credential: parsed.value.credentials };
  if (parsed.error.code === "missing") return undefined;
  throw problems.invalid(parsed.error.message);
}

/**
 * A 401 for a bearer credential: the bare challenge when none was sent. `scheme` is what the
 * endpoint takes (`bearer_or_agent` where an agent's chain is accepted too).
 */
function unauthorized(
  detail: string,
  problem: "missing" | "invalid_token",
  scheme: CallerScheme = "bearer",
): ProblemError {
  return unauthorizedProblem({ detail }, challenge(scheme, problem, "bearer"));
}

/** The bearer credential, or a 401 when there is none. */
function bearer(c: Context, scheme: CallerScheme = "bearer"): string {
  const auth = authorization(c);
  if (auth === undefined)
    throw unauthorized("send Authorization: Bearer <operator token or audience secret>", "missing", scheme);
  if (auth.scheme !== "bearer")
    throw unauthorized("this endpoint takes a Bearer credential", "missing", scheme);
  if (auth.credential.length > 1024) throw problems.invalid("the bearer credential is too long");
  return auth.credential;
}

async function isOperatorToken(ctx: ServiceContext, credential: string): Promise<boolean> {
  const stored = await ctx.store.getSetting(OPERATOR_TOKEN_SETTING);
  return stored !== undefined && secretMatches(credential, stored);
}

/** Requires the operator token; `scheme` is what the endpoint takes, for the challenge. */
export async function requireOperator(
  c: Context,
  ctx: ServiceContext,
  scheme: CallerScheme = "bearer",
): Promise<void> {
  if (!(await isOperatorToken(ctx, bearer(c, scheme))))
    throw unauthorized("the operator token is not valid", "invalid_token", scheme);
}

/** Registers a guard that requires the operator token on `paths`, ahead of the route handlers. */
export function operatorOnly(
  app: ServiceApp,
  ctx: ServiceContext,
  method: "GET" | "POST",
  paths: readonly string[],
): void {
  for (const path of paths) {
    app.on(method, path, async (c, next) => {
      await requireOperator(c, ctx);
      await next();
    });
  }
}

/** Requires the operator token or a tool server's audience secret. */
export async function requireToolServerOrOperator(c: Context, ctx: ServiceContext): Promise<Caller> {
  const credential = bearer(c);
  const audience = audienceOfSecret(credential);
  if (audience !== undefined) {
    const record = await ctx.store.getAudience(audience);
    if (record !== undefined && secretMatches(credential, record.secretHash))
      return { kind: "audience", audience };
    throw unauthorized("the audience secret is not valid", "invalid_token");
  }
  if (await isOperatorToken(ctx, credential)) return { kind: "operator" };
  throw unauthorized("the credential is not valid", "invalid_token");
}

/** True when the request carries a Bearer credential (so the caller claims to be an operator). */
export function hasBearer(c: Context): boolean {
  return authorization(c)?.scheme === "bearer";
}

/** A chain and proof presented by an agent. */
export interface AgentPresentation {
  readonly chain: string;
  readonly proof: string | undefined;
}

/**
 * Reads `Authorization: Baton <chain>` and `DPoP`; a 401 when absent, a 400 when malformed.
 * `scheme` is what the endpoint takes, for the challenge: `bearer_or_agent` where the operator
 * token is accepted too.
 */
export function agentPresentation(
  c: Context,
  scheme: "agent" | "bearer_or_agent" = "agent",
): AgentPresentation {
  const auth = authorization(c);
  const missing = (detail: string) => unauthorizedProblem({ detail }, challenge(scheme, "missing", "agent"));
  if (auth === undefined) throw missing("send Authorization: Baton <chain> and a DPoP proof");
  if (auth.scheme !== "baton") throw missing("this endpoint takes Authorization: Baton <chain>");
  if (!/^[A-Za-z0-9_.~-]+$/.test(auth.credential))
    throw problems.invalid("the Baton chain holds characters a chain cannot");
  const proofHeader = c.req.header("dpop");
  if (proofHeader !== undefined && !/^[A-Za-z0-9_.-]{1,4096}$/.test(proofHeader.trim())) {
    throw problems.invalid("the DPoP header is not a compact JWS");
  }
  return { chain: auth.credential, proof: proofHeader?.trim() };
}
