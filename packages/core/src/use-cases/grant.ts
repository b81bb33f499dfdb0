/**
 * Grant: the operator opens a task and issues its root delegation to an agent. Bounds are the
 * service's (ttl, depth); every audience must be registered, so a typo cannot mint a token no
 * tool server accepts ("*" names every audience).
 */
import type { TaskHours } from "@baton/store/contract";
import { encodeBase64url } from "@baton/token";
import { canonicalCaps } from "../capabilities.ts";
import { recorded, type UseCaseContext } from "../context.ts";
import { jsonDetail } from "../decision-records.ts";
import { rootClaims } from "../issuance.ts";
import { refusals } from "../use-case-error.ts";

/** What the operator grants (validated shape; capabilities are canonicalized here). */
export interface GrantRequest {
  readonly agent: string;
  readonly task: {
    /** A new task id; one is generated when absent. */
    readonly id?: string | undefined;
    readonly intent: string;
    readonly hours?: TaskHours | undefined;
  };
  readonly cap: readonly unknown[];
  readonly aud: readonly string[];
  readonly ttl?: number | undefined;
  readonly rvi?: number | undefined;
  readonly mdp?: number | undefined;
}

/** The root delegation: its token is the whole chain. */
export interface Granted {
  readonly did: string;
  readonly jti: string;
  readonly token: string;
  readonly chain: string;
  readonly task: string;
}

/** 96 random bits as 16 base64url characters: the id rides in every token of the task. */
function newTaskId(): string {
  return `task-${encodeBase64url(crypto.getRandomValues(new Uint8Array(12)))}`;
}

/** Grants a root delegation for a new task; the grant decision is written with it. */
export function grant(ctx: UseCaseContext, request: GrantRequest): Promise<Granted> {
  return recorded(ctx, async () => {
    const { settings } = ctx;
    const agent = await ctx.store.getAgent(request.agent);
    if (agent === undefined) throw refusals.notFound(`agent ${request.agent} is not registered`);
    if (agent.status !== "active") throw refusals.forbidden(`agent ${request.agent} is disabled`);
    const ttl = request.ttl ?? settings.defaultTtl;
    if (ttl > settings.maxTtl)
      throw refusals.invalid(`ttl: must not exceed the service maximum of ${settings.maxTtl} s`);
    const mdp = request.mdp ?? settings.maxDepth;
    if (mdp > settings.maxDepth)
      throw refusals.invalid(`mdp: must not exceed the service maximum depth of ${settings.maxDepth}`);
    const rvi = request.rvi ?? settings.revalidationInterval;
    const taskId = request.task.id ?? newTaskId();
    if ((await ctx.store.getTask(taskId)) !== undefined)
      throw refusals.conflict(`task ${taskId} already exists`);
    const unknownAudiences: string[] = [];
    for (const aud of request.aud) {
      if (aud !== "*" && (await ctx.store.getAudience(aud)) === undefined) unknownAudiences.push(aud);
    }
    if (unknownAudiences.length > 0) throw refusals.unknownAudience(unknownAudiences);
    const now = ctx.now();
    const statusEntry = await ctx.nextStatusEntry();
    const unlisted = rootClaims({
      issuer: settings.issuer,
      agent: agent.id,
      jkt: agent.jkt,
      task: taskId,
      cap: canonicalCaps(request.cap),
      aud: request.aud,
      now,
      ttl,
      rvi,
      mdp,
    });
    const claims =
      statusEntry === undefined ? unlisted : { ...unlisted, status: ctx.statusClaim(statusEntry) };
    const token = await ctx.sign(claims);
    const { hours } = request.task;
    await ctx.store.recordGrant({
      delegation: {
        did: claims.did,
        // Business hours live on the task row, written in the grant's transaction: a refused grant
        // leaves no hours behind, and policy reads them with the task (UseCaseContext.taskFacts).
        task: { id: taskId, intent: request.task.intent, ...(hours === undefined ? {} : { hours }) },
        to: agent.id,
        cap: claims.cap,
        aud: claims.aud,
        mdp,
        exp: claims.exp,
        rvi,
        ...(statusEntry === undefined ? {} : { statusEntry }),
      },
      token: { jti: claims.jti, compact: token, iat: claims.iat, exp: claims.exp, rvl: claims.rvl },
      at: now,
      audit: {
        at: now,
        kind: "grant",
        decision: "allow",
        task: taskId,
        did: claims.did,
        jti: claims.jti,
        reasons: [],
        detail: jsonDetail({
          by: "operator",
          agent: agent.id,
          cap: claims.cap,
          aud: claims.aud,
          exp: claims.exp,
          mdp,
          hours,
        }),
      },
    });
    return { did: claims.did, jti: claims.jti, token, chain: token, task: taskId };
  });
}
