/**
 * Who is calling (DESIGN.md, "Token service HTTP API"): operators with `Authorization: Bearer
 * <operator token>`, tool servers with `Authorization: Bearer <audience secret>`, agents with
 * `Authorization: DPoP <chain>` and a `DPoP` proof (RFC 9449). Secrets are compared by hash in
 * constant time. A malformed header is a 400; a missing or wrong credential is a 401; a chain sent
 * as a bearer token is a 401 `pop_missing`, never accepted without its proof.
 */
import { CHAIN_SCHEME, isChainScheme, parseAuthorization } from "@baton/token";
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
    const record = await ctx.registeredAudience(audience);
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

// Compact JWS tokens (a JSON header, so `eyJ`) joined by `~`: no operator token or audience
// secret has this shape (secrets.ts), so a Bearer credential of this shape is a chain.
const CHAIN_SHAPE =
  /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:~eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)*$/;

/**
 * True when the request carries a Bearer credential that is not a chain: where an endpoint takes
 * the operator token or an agent's chain, this is the operator's claim. A chain sent as Bearer is
 * the agent's, and {@link agentPresentation} refuses it.
 */
export function hasOperatorBearer(c: Context): boolean {
  const auth = authorization(c);
  return auth?.scheme === "bearer" && !CHAIN_SHAPE.test(auth.credential);
}

/**
 * A chain sent as a bearer token: a 401 `pop_missing` with the DPoP challenge. A chain is bound
 * to its holder's key and only counts with a proof by it (RFC 9449 §7.1; issue 17).
 */
function bearerChainRefused(scheme: "agent" | "bearer_or_agent"): ProblemError {
  const message = `a chain is DPoP-bound: send it as Authorization: ${CHAIN_SCHEME} <chain> with a DPoP proof, never as a bearer token`;
  return unauthorizedProblem(
    { code: "pop_missing", detail: message, reasons: [{ hop: null, code: "pop_missing", message }] },
    challenge(scheme, "invalid_dpop_proof", "agent"),
  );
}

/** A chain and proof presented by an agent. */
export interface AgentPresentation {
  readonly chain: string;
  readonly proof: string | undefined;
}

/**
 * Reads `Authorization: DPoP <chain>` and the `DPoP` proof; a 401 when absent or sent as Bearer, a
 * 400 when malformed. `scheme` is what the endpoint takes, for the challenge: `bearer_or_agent`
 * where the operator token is accepted too (callers check {@link hasOperatorBearer} first).
 */
export function agentPresentation(
  c: Context,
  scheme: "agent" | "bearer_or_agent" = "agent",
): AgentPresentation {
  const auth = authorization(c);
  const missing = (detail: string) => unauthorizedProblem({ detail }, challenge(scheme, "missing", "agent"));
  if (auth === undefined) throw missing(`send Authorization: ${CHAIN_SCHEME} <chain> and a DPoP proof`);
  if (auth.scheme === "bearer" && CHAIN_SHAPE.test(auth.credential)) throw bearerChainRefused(scheme);
  if (!isChainScheme(auth.scheme))
    throw missing(`this endpoint takes Authorization: ${CHAIN_SCHEME} <chain>`);
  if (!/^[A-Za-z0-9_.~-]+$/.test(auth.credential))
    throw problems.invalid("the chain holds characters a chain cannot");
  const proofHeader = c.req.header("dpop");
  if (proofHeader !== undefined && !/^[A-Za-z0-9_.-]{1,4096}$/.test(proofHeader.trim())) {
    throw problems.invalid("the DPoP header is not a compact JWS");
  }
  return { chain: auth.credential, proof: proofHeader?.trim() };
}
