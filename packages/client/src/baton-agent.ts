/**
 * `BatonAgent`: what a planner or sub-agent holds: its key, its chain, and the calls that use
 * them. Every call to the service and to tool servers presents the whole chain with a fresh DPoP
 * proof; nothing is cached on trust.
 */
import { type Capability, chainAuthorization } from "@baton/token";
import type { AgentKeyPair } from "./agent-key.ts";
import { BatonError, callService, readResponse } from "./baton-error.ts";
import { createDpopProof } from "./dpop-proof.ts";

export interface BatonAgentOptions {
  /** Base URL of the token service, e.g. `http://127.0.0.1:8787`. */
  readonly serviceUrl: string;
  /** The agent's id (`agent:name` or a SPIFFE ID). */
  readonly id: string;
  readonly key: AgentKeyPair;
  /** The agent's chain, root first, joined by `~`, as the service returned it. */
  readonly chain: string;
  readonly fetch?: typeof fetch;
  /** Seconds since the epoch, for DPoP proof `iat`; default the system clock. */
  readonly clock?: () => number;
}

/** One hop to issue: who receives it and what it may do. Unset fields default narrowly. */
export interface DelegationRequest {
  readonly to: string;
  readonly cap: readonly Capability[];
  readonly aud?: readonly string[];
  /** Lifetime in seconds. */
  readonly ttl?: number;
  /** Revalidation interval in seconds. */
  readonly rvi?: number;
  /** Hops the delegate may still make below itself. */
  readonly mdp?: number;
  readonly intent?: string;
}

/** An issued hop: the delegate's whole chain is what it needs to act. */
export interface IssuedDelegation {
  readonly did: string;
  readonly jti: string;
  readonly token: string;
  readonly chain: string;
}

/** The two headers that present a chain for one request. */
export interface Presentation {
  readonly authorization: string;
  readonly dpop: string;
}

export class BatonAgent {
  readonly id: string;
  readonly key: AgentKeyPair;
  private currentChain: string;
  private readonly serviceUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly clock: (() => number) | undefined;

  constructor(options: BatonAgentOptions) {
    this.id = options.id;
    this.key = options.key;
    this.currentChain = options.chain;
    this.serviceUrl = options.serviceUrl.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? fetch;
    this.clock = options.clock;
  }

  /** The chain this agent presents now (it changes when revalidated). */
  get chain(): string {
    return this.currentChain;
  }

  /** The `Authorization: DPoP <chain>` and `DPoP` proof headers for one request (RFC 9449). */
  async present(method: string, url: string): Promise<Presentation> {
    return {
      authorization: chainAuthorization(this.currentChain),
      dpop: await createDpopProof(this.key, {
        method,
        url,
        chain: this.currentChain,
        ...(this.clock === undefined ? {} : { now: this.clock() }),
      }),
    };
  }

  private async callService<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.serviceUrl}${path}`;
    const presentation = await this.present(method, url);
    const response = await callService(this.fetchImpl, url, {
      method,
      headers: {
        authorization: presentation.authorization,
        dpop: presentation.dpop,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return readResponse<T>(response);
  }

  /** Asks the service for one attenuated hop to another agent. Refusals carry the reason code. */
  delegate(request: DelegationRequest): Promise<IssuedDelegation> {
    return this.callService<IssuedDelegation>("POST", "/v1/delegations", request);
  }

  /** Re-authorizes this agent's chain now and adopts the re-issued tokens. */
  async revalidate(): Promise<string> {
    const { chain } = await this.callService<{ chain: string }>("POST", "/v1/revalidate");
    this.currentChain = chain;
    return chain;
  }

  /** Closes this agent's task (root holders only), revoking everything issued under it. */
  complete(taskId: string): Promise<{ revoked: number }> {
    return this.callService("POST", `/v1/tasks/${encodeURIComponent(taskId)}/complete`);
  }

  /** Revokes a delegation below this agent (its own or a descendant), with its whole subtree. */
  revoke(did: string, reason: string): Promise<{ revoked: string[] }> {
    return this.callService("POST", "/v1/revocations", { did, reason });
  }

  /**
   * Calls a tool server with the chain presented. When the tool answers that revalidation is due,
   * revalidates once and retries with a fresh proof.
   */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const send = async () => {
      const method = (init.method ?? "GET").toUpperCase();
      const presentation = await this.present(method, url);
      const headers = new Headers(init.headers);
      headers.set("authorization", presentation.authorization);
      headers.set("dpop", presentation.dpop);
      return this.fetchImpl(url, { ...init, method, headers });
    };
    const response = await send();
    if (response.status !== 401) return response;
    const code = await response
      .clone()
      .json()
      .then((body: unknown) => (body as { code?: unknown } | null)?.code)
      .catch(() => undefined);
    if (code !== "revalidation_due") return response;
    try {
      await this.revalidate();
    } catch (error) {
      if (error instanceof BatonError) return response;
      throw error;
    }
    return send();
  }
}
