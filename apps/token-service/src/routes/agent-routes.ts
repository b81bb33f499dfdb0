/**
 * Routes an agent calls with its chain and a DPoP proof: issue one hop, revalidate, revoke below
 * itself, complete its task. Revocation and completion also accept the operator token. Every
 * decision (allowed or refused) is appended to the decision log.
 */

import type { DecisionInput } from "@baton/store";
import { type ChainToken, signToken, type TokenError } from "@baton/token";
import { approvalsFor, newApprovalId, policyReason, type Reason } from "@baton/verifier";
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentPresentation, hasBearer, requireOperator } from "../auth.ts";
import { hopClaims, reissuedClaims } from "../issuance.ts";
import {
  conflict,
  errorResponses,
  forbidden,
  jsonBody,
  jsonResponse,
  notFound,
  type ServiceApp,
  type ServiceEnv,
} from "../openapi.ts";
import { ProblemError, problems } from "../problem.ts";
import {
  ChainSchema,
  DelegationBody,
  IssuedSchema,
  RevocationBody,
  RevokedCountSchema,
  RevokedListSchema,
  TaskParam,
} from "../schemas.ts";
import {
  attribution,
  type ChainCheck,
  jsonDetail,
  type ServiceContext,
  storeReasons,
} from "../service-context.ts";
import { canonicalCaps } from "./operator-routes.ts";

const agentSecurity = [{ batonChain: [] }];

const delegationRoute = createRoute({
  method: "post",
  path: "/v1/delegations",
  tags: ["agent"],
  summary: "Issue one hop below the presented chain",
  security: agentSecurity,
  request: { body: jsonBody(DelegationBody) },
  responses: {
    201: jsonResponse(IssuedSchema, "issued; chain is the delegate's whole chain"),
    403: forbidden,
    404: notFound,
    ...errorResponses,
  },
});

const revalidateRoute = createRoute({
  method: "post",
  path: "/v1/revalidate",
  tags: ["agent"],
  summary: "Re-authorize the presented chain now and re-issue the tokens that are due",
  security: agentSecurity,
  responses: {
    200: jsonResponse(ChainSchema, "the chain, re-issued where due"),
    403: forbidden,
    ...errorResponses,
  },
});

const revocationRoute = createRoute({
  method: "post",
  path: "/v1/revocations",
  tags: ["agent", "operator"],
  summary: "Revoke a delegation (with its subtree), an agent's delegations, or a task",
  security: [{ operator: [] }, { batonChain: [] }],
  request: { body: jsonBody(RevocationBody) },
  responses: {
    200: jsonResponse(RevokedListSchema, "revoked"),
    403: forbidden,
    404: notFound,
    ...errorResponses,
  },
});

const completeRoute = createRoute({
  method: "post",
  path: "/v1/tasks/{id}/complete",
  tags: ["agent", "operator"],
  summary: "Close a task and revoke its whole tree",
  security: [{ operator: [] }, { batonChain: [] }],
  request: { params: TaskParam },
  responses: {
    200: jsonResponse(RevokedCountSchema, "completed"),
    403: forbidden,
    404: notFound,
    409: conflict,
    ...errorResponses,
  },
});

function reasonsOf(errors: readonly TokenError[], fallbackHop: number): Reason[] {
  return errors.map((error) => ({ hop: error.hop ?? fallbackHop, code: error.code, message: error.message }));
}

/** A refused chain as a 401 (credential problems) or 403 (the chain is sound but not enough). */
function chainRefusal(reasons: readonly Reason[], status: 401 | 403 = 401): ProblemError {
  const first = reasons[0];
  return new ProblemError({
    status,
    code: first?.code ?? "unauthorized",
    detail:
      first === undefined
        ? "the chain was refused"
        : `${first.hop === null ? "" : `hop ${first.hop}: `}${first.message}`,
    reasons,
  });
}

/** An authenticated presentation: the chain text, its verified hops, and who presented it. */
interface Authenticated {
  readonly chain: string;
  readonly hops: readonly ChainToken[];
  /** The decision-log fields naming the proven presenter and the chain. */
  readonly by: ReturnType<typeof attribution>;
}

/** Authenticates the presented chain and proof for this request, logging a refusal as `kind`. */
function authenticate(
  c: Context<ServiceEnv>,
  ctx: ServiceContext,
  kind: string,
  now: number,
  acceptRevalidationDue = false,
): Authenticated {
  const presented = agentPresentation(c);
  const check: ChainCheck = ctx.authenticatePresented(
    { chain: presented.chain, proof: presented.proof, method: c.req.method, url: ctx.publicUrl(c.req.path) },
    now,
    acceptRevalidationDue,
  );
  if (!check.ok) {
    // The refusal is about the presented leaf (as it claims to be), not the last hop that verified.
    const leafIndex = check.presented.length - 1;
    const leaf = check.hops.length === check.presented.length ? check.hops[leafIndex]?.claims : undefined;
    ctx.audit({
      at: now,
      kind,
      decision: "deny",
      ...(check.hops[0] === undefined ? {} : { task: check.hops[0].claims.tsk }),
      ...(leaf === undefined ? {} : { did: leaf.did, jti: leaf.jti }),
      ...attribution(check),
      reasons: storeReasons(check.reasons),
    });
    throw chainRefusal(check.reasons);
  }
  return { chain: presented.chain, hops: check.hops, by: attribution(check) };
}

/** What a step-up is about: the hop or call, who asks, and the policy's reason. */
export interface ApprovalRequest {
  readonly now: number;
  /** The decision-log kind of the refused request (`delegate`, `verify`). */
  readonly kind: string;
  /** The claims of the token whose `did` the approval is for (the presenting leaf). */
  readonly leaf: { readonly did: string; readonly sub: string; readonly tsk: string; readonly jti: string };
  readonly action: string;
  readonly resource: string;
  readonly reason: Reason;
  readonly detail?: Record<string, unknown>;
  readonly audience?: string;
  /** Who presented the chain, and the chain as presented. */
  readonly by: ReturnType<typeof attribution>;
  readonly argsDigest?: string;
}

/**
 * Records a step-up: a pending approval for this `did`, action and resource, and the `step_up`
 * decision in the same transaction. Returns the approval id.
 */
export function recordApprovalRequest(ctx: ServiceContext, request: ApprovalRequest): string {
  const { now, leaf } = request;
  const action = request.action.slice(0, 512);
  const resource = request.resource.slice(0, 512);
  // A retry before the operator decides reuses the pending request: one call, one request, so an
  // agent cannot flood the approvals queue by repeating a refused call.
  const pending = ctx.store.pendingApproval({ did: leaf.did, action, resource }, now);
  const id =
    pending?.id ?? newApprovalId({ did: leaf.did, action: request.action, resource: request.resource });
  const audit: DecisionInput = {
    at: now,
    kind: request.kind,
    decision: "step_up",
    task: leaf.tsk,
    did: leaf.did,
    jti: leaf.jti,
    ...request.by,
    ...(request.audience === undefined ? {} : { audience: request.audience }),
    action,
    resource,
    ...(request.argsDigest === undefined ? {} : { argsDigest: request.argsDigest }),
    reasons: storeReasons([request.reason]),
    detail: jsonDetail({
      ...request.detail,
      approval: id,
      ...(pending === undefined ? {} : { reused: true }),
    }),
  };
  if (pending !== undefined) {
    ctx.audit(audit);
    return id;
  }
  ctx.store.createApproval({
    id,
    did: leaf.did,
    agent: leaf.sub,
    task: leaf.tsk,
    action,
    resource,
    reason: request.reason.message.slice(0, 1024),
    at: now,
    expiresAt: now + ctx.approvalTtl,
    audit,
  });
  return id;
}

/** A step-up at an agent endpoint: the approval is recorded and the 403 names it. */
function requestApproval(ctx: ServiceContext, request: ApprovalRequest): ProblemError {
  const approval = recordApprovalRequest(ctx, request);
  return new ProblemError({
    status: 403,
    code: "step_up_required",
    detail: `${request.reason.message}; approval ${approval} is pending`,
    reasons: [request.reason],
    extra: { decision: "step_up", approval },
  });
}

/** Registers the agent routes. */
export function registerAgentRoutes(app: ServiceApp, ctx: ServiceContext): void {
  app.openapi(delegationRoute, async (c) => {
    const body = c.req.valid("json");
    const now = ctx.now();
    const { chain, hops, by } = authenticate(c, ctx, "delegate", now);
    const parentIndex = hops.length - 1;
    const parent = hops[parentIndex] as ChainToken;
    const p = parent.claims;
    const refuse = (status: 401 | 403, reasons: readonly Reason[], detail: Record<string, unknown> = {}) => {
      ctx.audit({
        at: now,
        kind: "delegate",
        decision: "deny",
        task: p.tsk,
        did: p.did,
        jti: p.jti,
        ...by,
        reasons: storeReasons(reasons),
        detail: jsonDetail({ to: body.to, cap: body.cap, ...detail }),
      });
      return chainRefusal(reasons, status);
    };

    const delegate = ctx.store.getAgent(body.to);
    if (delegate === undefined) throw problems.notFound(`agent ${body.to} is not registered`);
    if (delegate.status !== "active") {
      throw refuse(403, [
        {
          hop: null,
          code: "revoked",
          message: `agent ${body.to} is disabled and cannot receive delegations`,
        },
      ]);
    }
    if (body.ttl !== undefined && body.ttl > ctx.config.maxTtl) {
      throw problems.invalid(`ttl: must not exceed the service maximum of ${ctx.config.maxTtl} s`);
    }
    const parentRecord = ctx.store.getDelegation(p.did);
    const parentRvi = parentRecord?.rvi ?? ctx.config.revalidationInterval;
    const candidate = hopClaims(
      parent,
      parentIndex + 1,
      {
        to: delegate.id,
        toJkt: delegate.jkt,
        cap: canonicalCaps(body.cap),
        aud: body.aud,
        ttl: body.ttl,
        rvi: body.rvi,
        mdp: body.mdp,
      },
      {
        now,
        defaultTtl: ctx.config.defaultTtl,
        defaultRvi: Math.min(ctx.config.revalidationInterval, parentRvi),
      },
    );
    if (!candidate.ok) throw refuse(403, reasonsOf(candidate.errors, parentIndex + 1));

    const resource = delegate.id;
    const policy = ctx.policy({
      kind: "delegate",
      now,
      hops: hops.map((hop) => hop.claims),
      audience: "",
      action: "baton.delegate",
      resource,
      args: {},
      context: {
        to: delegate.id,
        cap: candidate.claims.cap,
        aud: candidate.claims.aud,
        intent: body.intent ?? null,
        ...ctx.taskFacts(p.tsk),
      },
      approved: approvalsFor(p, "baton.delegate", resource),
    });
    if (policy.decision === "step_up") {
      throw requestApproval(ctx, {
        now,
        kind: "delegate",
        leaf: p,
        action: "baton.delegate",
        resource,
        reason: policyReason(policy, parentIndex + 1, "an operator must approve this delegation"),
        detail: { to: body.to, cap: body.cap },
        by,
      });
    }
    if (policy.decision !== "allow") {
      throw refuse(403, [policyReason(policy, parentIndex + 1, "policy refuses this delegation")]);
    }

    const { claims } = candidate;
    const token = await signToken(claims, ctx.signingKeys.active());
    const audit: DecisionInput = {
      at: now,
      kind: "delegate",
      decision: "allow",
      task: claims.tsk,
      did: claims.did,
      jti: claims.jti,
      ...by,
      reasons: [],
      detail: jsonDetail({
        to: delegate.id,
        parent: p.did,
        cap: claims.cap,
        aud: claims.aud,
        exp: claims.exp,
        mdp: claims.mdp,
      }),
    };
    ctx.store.recordHop({
      delegation: {
        did: claims.did,
        parent: p.did,
        from: p.sub,
        to: delegate.id,
        task: claims.tsk,
        cap: claims.cap,
        aud: claims.aud,
        mdp: claims.mdp,
        exp: claims.exp,
        depth: claims.dpt,
        rvi: candidate.rvi,
        ...(body.intent === undefined ? {} : { intent: body.intent }),
      },
      token: {
        jti: claims.jti,
        compact: token,
        iat: claims.iat,
        exp: claims.exp,
        rvl: claims.rvl,
        prf: claims.prf as string,
      },
      at: now,
      audit,
    });
    return c.json({ did: claims.did, jti: claims.jti, token, chain: `${chain}~${token}` }, 201);
  });

  app.openapi(revalidateRoute, async (c) => {
    const now = ctx.now();
    const { hops, by } = authenticate(c, ctx, "revalidate", now, true);
    const leaf = (hops[hops.length - 1] as ChainToken).claims;
    const policy = ctx.policy({
      kind: "delegate",
      now,
      hops: hops.map((hop) => hop.claims),
      audience: "",
      action: "baton.revalidate",
      resource: leaf.sub,
      args: {},
      context: ctx.taskFacts(leaf.tsk),
      approved: approvalsFor(leaf, "baton.revalidate", leaf.sub),
    });
    if (policy.decision !== "allow") {
      const reasons = [policyReason(policy, hops.length - 1, "policy refuses to revalidate this chain")];
      ctx.audit({
        at: now,
        kind: "revalidate",
        decision: "deny",
        task: leaf.tsk,
        did: leaf.did,
        ...by,
        reasons: storeReasons(reasons),
      });
      throw chainRefusal(reasons, 403);
    }

    // Root first: a hop is re-issued when it is due, or when its parent was (its prf must name
    // the parent's new bytes).
    const reissued: ChainToken[] = [];
    let changed = false;
    for (const [index, hop] of hops.entries()) {
      const parent = reissued[index - 1];
      // Approvals decided since this token was issued (or expired since) re-issue it too, so a
      // step-up takes effect on the next revalidation rather than the next due date.
      const active = ctx.store.activeApprovals(hop.claims.did, now).slice(0, 16);
      const approvals = active.map((approval) => approval.id);
      const held = hop.claims.apv ?? [];
      const approvalsChanged = approvals.length !== held.length || approvals.some((id) => !held.includes(id));
      if (!changed && !approvalsChanged && now < hop.claims.rvl) {
        reissued.push(hop);
        continue;
      }
      changed = true;
      const record = ctx.store.getDelegation(hop.claims.did);
      const rvi = record?.rvi ?? ctx.config.revalidationInterval;
      const claims = reissuedClaims(
        hop.claims,
        parent,
        now,
        rvi,
        approvals,
        Math.min(...active.map((approval) => approval.expiresAt)),
      );
      if (claims === undefined) {
        const reasons: Reason[] = [
          { hop: index, code: "expired", message: "the token expires now; ask for a new delegation" },
        ];
        ctx.audit({
          at: now,
          kind: "revalidate",
          decision: "deny",
          task: leaf.tsk,
          did: hop.claims.did,
          ...by,
          reasons: storeReasons(reasons),
        });
        throw chainRefusal(reasons, 401);
      }
      const compact = await signToken(claims, ctx.signingKeys.active());
      ctx.store.recordRevalidation({
        did: claims.did,
        token: {
          jti: claims.jti,
          compact,
          iat: claims.iat,
          exp: claims.exp,
          rvl: claims.rvl,
          ...(claims.prf === undefined ? {} : { prf: claims.prf }),
        },
        at: now,
        audit: {
          at: now,
          kind: "revalidate",
          decision: "allow",
          task: claims.tsk,
          did: claims.did,
          jti: claims.jti,
          ...by,
          reasons: [],
          detail: { supersedes: hop.claims.jti, rvl: claims.rvl, hop: index },
        },
      });
      reissued.push({ compact, claims });
    }
    return c.json({ chain: reissued.map((hop) => hop.compact).join("~") }, 200);
  });

  app.openapi(revocationRoute, (c) => {
    const body = c.req.valid("json");
    const now = ctx.now();
    let actor: string;
    let presenter: { task: string; did: string; by: Authenticated["by"] } | undefined;
    if (hasBearer(c)) {
      requireOperator(c, ctx);
      actor = "operator";
    } else {
      const { hops, by } = authenticate(c, ctx, "revoke", now);
      const leaf = (hops[hops.length - 1] as ChainToken).claims;
      presenter = { task: leaf.tsk, did: leaf.did, by };
      actor = leaf.sub;
      // An agent may revoke what it holds and anything below it (DESIGN.md: "a holder of an
      // ancestor"), never a hop above itself: a delegate must not be able to cut off its delegator.
      if (body.did === undefined) {
        throw problems.forbidden(
          "an agent may revoke delegations only by did; agents and tasks need the operator",
        );
      }
      const target = body.did;
      const allowed =
        target === leaf.did || ctx.store.ancestors(target).some((ancestor) => ancestor.did === leaf.did);
      if (!allowed) {
        const reasons: Reason[] = [
          {
            hop: null,
            code: "action_not_permitted",
            message: "the presented chain does not hold this delegation or an ancestor of it",
          },
        ];
        ctx.audit({
          at: now,
          kind: "revoke",
          decision: "deny",
          task: presenter.task,
          did: target,
          ...presenter.by,
          reasons: storeReasons(reasons),
        });
        throw new ProblemError({
          status: 403,
          code: "forbidden",
          detail: reasons[0]?.message ?? "forbidden",
          reasons,
        });
      }
    }
    const audit = (target: Record<string, string>, task?: string): DecisionInput => ({
      at: now,
      kind: "revoke",
      decision: "allow",
      ...(task === undefined ? {} : { task }),
      ...(body.did === undefined ? {} : { did: body.did }),
      // The actor is the presenting agent; an operator's revocation has no agent actor.
      ...(presenter === undefined ? {} : presenter.by),
      reasons: [],
      detail: { ...target, reason: body.reason, by: actor },
    });
    const options = { reason: body.reason, at: now };
    let revoked: readonly string[];
    if (body.did !== undefined) {
      const delegation = ctx.store.getDelegation(body.did);
      if (delegation === undefined) throw problems.notFound(`delegation ${body.did} does not exist`);
      revoked = ctx.store.revokeDelegation(body.did, {
        ...options,
        audit: audit({ did: body.did }, delegation.task),
      }).revoked;
    } else if (body.agent !== undefined) {
      if (ctx.store.getAgent(body.agent) === undefined)
        throw problems.notFound(`agent ${body.agent} is not registered`);
      revoked = ctx.store.revokeAgent(body.agent, {
        ...options,
        audit: audit({ agent: body.agent }),
      }).revoked;
    } else {
      const task = body.task as string;
      if (ctx.store.getTask(task) === undefined) throw problems.notFound(`task ${task} does not exist`);
      revoked = ctx.store.revokeTask(task, { ...options, audit: audit({ task }, task) }).revoked;
    }
    return c.json({ revoked: [...revoked] }, 200);
  });

  app.openapi(completeRoute, (c) => {
    const { id } = c.req.valid("param");
    const now = ctx.now();
    let actor = "operator";
    let by: Authenticated["by"] | undefined;
    if (hasBearer(c)) {
      requireOperator(c, ctx);
    } else {
      const authenticated = authenticate(c, ctx, "complete", now);
      const { hops } = authenticated;
      by = authenticated.by;
      const leaf = (hops[hops.length - 1] as ChainToken).claims;
      if (hops.length !== 1 || leaf.tsk !== id) {
        const reasons: Reason[] = [
          {
            hop: hops.length - 1,
            code: "action_not_permitted",
            message: "only the holder of the task's root grant may complete it",
          },
        ];
        ctx.audit({
          at: now,
          kind: "complete",
          decision: "deny",
          task: leaf.tsk,
          did: leaf.did,
          ...by,
          reasons: storeReasons(reasons),
        });
        throw new ProblemError({
          status: 403,
          code: "forbidden",
          detail: reasons[0]?.message ?? "forbidden",
          reasons,
        });
      }
      actor = leaf.sub;
    }
    const task = ctx.store.getTask(id);
    if (task === undefined) throw problems.notFound(`task ${id} does not exist`);
    if (task.status !== "open") throw problems.conflict(`task ${id} is already ${task.status}`);
    const result = ctx.store.completeTask(id, {
      at: now,
      reason: `completed by ${actor}`,
      audit: {
        at: now,
        kind: "complete",
        decision: "allow",
        task: id,
        did: task.rootDid,
        ...by,
        reasons: [],
        detail: { by: actor },
      },
    });
    return c.json({ revoked: result.revoked.length }, 200);
  });
}
