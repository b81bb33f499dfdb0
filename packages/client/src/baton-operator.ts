/**
 * `BatonOperator`: the operator's side of the service API: agents, audiences, grants,
 * revocations, approvals and investigation. Authenticated with the operator bearer token.
 */
import {
  type Capability,
  type Ed25519PublicJwk,
  formatAuthorization,
  type IsoWeekday,
  type TaskHours as SharedTaskHours,
} from "@baton/token";
import { callService, readResponse } from "./baton-error.ts";

export interface BatonOperatorOptions {
  readonly serviceUrl: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
}

/**
 * Business hours a task declares, read by runtime policy in the service's policy zone
 * (`BATON_POLICY_ZONE`): distinct weekdays, and a daily window from `start` (inclusive) to `end`
 * (exclusive), each `HH:MM` from `00:00` to `24:00`, `start` before `end`. The shipped policy set
 * refuses delegations outside them (`delegate-outside-business-hours`).
 *
 * @example
 * const hours: TaskHours = { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" };
 */
export type TaskHours = SharedTaskHours<IsoWeekday>;
export type { IsoWeekday };

/** `POST /v1/grants`: a root delegation to `agent` for a new task. */
export interface GrantRequest {
  readonly agent: string;
  /** The task the grant opens; `id` is generated when absent. */
  readonly task: { readonly id?: string; readonly intent: string; readonly hours?: TaskHours };
  readonly cap: readonly Capability[];
  readonly aud: readonly string[];
  readonly ttl?: number;
  readonly rvi?: number;
  readonly mdp?: number;
}

export interface IssuedGrant {
  readonly did: string;
  readonly jti: string;
  readonly token: string;
  readonly chain: string;
  readonly task: string;
}

export type RevocationTarget =
  | { readonly did: string }
  | { readonly agent: string }
  | { readonly task: string };

export class BatonOperator {
  private readonly serviceUrl: string;
  private readonly token: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: BatonOperatorOptions) {
    this.serviceUrl = options.serviceUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Calls any operator endpoint; used by the methods below and by the CLI. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await callService(this.fetchImpl, `${this.serviceUrl}${path}`, {
      method,
      headers: {
        authorization: formatAuthorization("Bearer", this.token),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return readResponse<T>(response);
  }

  registerAgent(agent: {
    id: string;
    jwk: Ed25519PublicJwk;
    name?: string;
    owner?: string;
  }): Promise<{ id: string; jkt: string }> {
    return this.request("POST", "/v1/agents", agent);
  }

  disableAgent(id: string, reason: string): Promise<{ revoked: string[] }> {
    return this.request("POST", `/v1/agents/${encodeURIComponent(id)}/disable`, { reason });
  }

  registerAudience(audience: { id: string; name?: string }): Promise<{ id: string; secret: string }> {
    return this.request("POST", "/v1/audiences", audience);
  }

  grant(request: GrantRequest): Promise<IssuedGrant> {
    return this.request("POST", "/v1/grants", request);
  }

  revoke(target: RevocationTarget, reason: string): Promise<{ revoked: string[] }> {
    return this.request("POST", "/v1/revocations", { ...target, reason });
  }

  completeTask(id: string): Promise<{ revoked: number }> {
    return this.request("POST", `/v1/tasks/${encodeURIComponent(id)}/complete`);
  }

  trace(did: string): Promise<unknown> {
    return this.request("GET", `/v1/delegations/${encodeURIComponent(did)}`);
  }

  decisions(
    filter: { task?: string; agent?: string; did?: string; limit?: number; cursor?: string } = {},
  ): Promise<unknown> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filter))
      if (value !== undefined) query.set(name, String(value));
    return this.request("GET", `/v1/decisions${query.size === 0 ? "" : `?${query}`}`);
  }

  approvals(status?: "pending" | "approved" | "denied"): Promise<unknown> {
    return this.request("GET", `/v1/approvals${status === undefined ? "" : `?status=${status}`}`);
  }

  decideApproval(id: string, decision: "approve" | "deny"): Promise<unknown> {
    return this.request("POST", `/v1/approvals/${encodeURIComponent(id)}/${decision}`);
  }
}
