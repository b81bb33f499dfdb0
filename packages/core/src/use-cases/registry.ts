/**
 * The operator's registry: register an agent and its key, disable an agent (revoking everything
 * it holds or made), register a tool server's audience. Each write is logged as the operator's.
 */
import type { AgentRecord } from "@baton/store/contract";
import { parseAgentJwk } from "@baton/token";
import { recorded, type UseCaseContext } from "../context.ts";
import { refusals } from "../use-case-error.ts";
import type { Revoked } from "./revoke.ts";

/** An agent to register (validated shape; the key is checked here). */
export interface AgentRegistration {
  readonly id: string;
  readonly jwk: unknown;
  readonly name?: string | undefined;
  readonly owner?: string | undefined;
}

/** Registers an agent and its Ed25519 public key; a 409 when the id is taken. */
export function registerAgent(ctx: UseCaseContext, registration: AgentRegistration): Promise<AgentRecord> {
  return recorded(ctx, async () => {
    const key = parseAgentJwk(registration.jwk);
    if (!key.ok) throw refusals.invalid(key.error.message);
    if ((await ctx.store.getAgent(registration.id)) !== undefined)
      throw refusals.conflict(`agent ${registration.id} is already registered`);
    const now = ctx.now();
    return await ctx.store.registerAgent({
      id: registration.id,
      jwk: key.value.jwk,
      jkt: key.value.thumbprint,
      ...(registration.name === undefined ? {} : { name: registration.name }),
      ...(registration.owner === undefined ? {} : { owner: registration.owner }),
      at: now,
      audit: {
        at: now,
        kind: "register",
        decision: "allow",
        reasons: [],
        // The actor is the operator; the agent is what was acted on.
        detail: { by: "operator", agent: registration.id, jkt: key.value.thumbprint },
      },
    });
  });
}

/** Disables agent `id` and revokes every delegation it holds or made. */
export function disableAgent(ctx: UseCaseContext, id: string, reason?: string): Promise<Revoked> {
  return recorded(ctx, async () => {
    if ((await ctx.store.getAgent(id)) === undefined)
      throw refusals.notFound(`agent ${id} is not registered`);
    const now = ctx.now();
    const why = reason ?? "disabled by an operator";
    const result = await ctx.store.disableAgent(id, {
      reason: why,
      at: now,
      audit: {
        at: now,
        kind: "disable",
        decision: "allow",
        reasons: [],
        detail: { by: "operator", agent: id, reason: why },
      },
    });
    return { revoked: [...result.revoked] };
  });
}

/** A tool server's audience, with the hash of the bearer secret the adapter generated for it. */
export interface AudienceRegistration {
  readonly id: string;
  readonly name?: string | undefined;
  readonly secretHash: string;
}

/** Registers an audience; a 409 when it exists. */
export function registerAudience(ctx: UseCaseContext, registration: AudienceRegistration): Promise<void> {
  return recorded(ctx, async () => {
    const { id, name, secretHash } = registration;
    if ((await ctx.store.getAudience(id)) !== undefined)
      throw refusals.conflict(`audience ${id} is already registered`);
    const now = ctx.now();
    await ctx.store.registerAudience({ id, secretHash, ...(name === undefined ? {} : { name }), at: now });
    await ctx.audit({
      at: now,
      kind: "register",
      decision: "allow",
      audience: id,
      reasons: [],
      detail: { by: "operator", audience: id },
    });
  });
}
