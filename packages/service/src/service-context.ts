/**
 * The service's wiring: the injected dependencies, and the use-case context built from them
 * (@baton/core holds the rules; routes parse, call a use case and map its answer).
 */
import { UseCaseContext } from "@baton/core";
import type { AccessAnswer, AccessQuestion } from "@baton/policy";
import type { AudienceRecord, Store } from "@baton/store";
import type { PolicyHook } from "@baton/verifier";
import type { Logger } from "pino";
import type { ServiceConfig } from "./config.ts";
import type { SigningKeys } from "./signing-keys.ts";

/** The configuration createApp needs: the service settings with the issuer known. */
export type AppConfig = ServiceConfig & { readonly issuer: string };

/** What createApp is built from. Tests pass a controllable clock and their own store. */
export interface AppDeps {
  readonly store: Store;
  readonly config: AppConfig;
  /** Seconds since the epoch. */
  readonly clock: () => number;
  readonly signingKeys: SigningKeys;
  readonly logger: Logger;
  /**
   * Runtime policy consulted at delegation and use time; allow-all when absent (`startServer`
   * passes the Cedar set from `BATON_POLICY_DIR`, or the shipped default set).
   */
  readonly policy?: PolicyHook;
  /**
   * The access policy for AuthZEN questions without a chain; they are all denied when absent
   * (`startServer` passes the set from `BATON_AUTHZEN_POLICY_DIR` when it is configured).
   */
  readonly accessPolicy?: (question: AccessQuestion) => AccessAnswer;
}

/** Registered audiences kept in memory at most; past it the oldest read is read again when needed. */
const MAX_REMEMBERED_AUDIENCES = 4096;

/** Per-app state shared by the routes. */
export class ServiceContext {
  readonly store: Store;
  readonly config: AppConfig;
  readonly signingKeys: SigningKeys;
  readonly logger: Logger;
  /** What every use case runs over: one per app, so its replay and signature caches are shared. */
  readonly useCases: UseCaseContext;

  constructor(deps: AppDeps) {
    this.store = deps.store;
    this.config = deps.config;
    this.signingKeys = deps.signingKeys;
    this.logger = deps.logger;
    this.useCases = new UseCaseContext({
      store: deps.store,
      keys: deps.signingKeys,
      policy: deps.policy,
      accessPolicy: deps.accessPolicy,
      clock: deps.clock,
      logger: deps.logger,
      settings: deps.config,
    });
  }

  /**
   * Registered audiences as read from the store. A registered audience never changes (the store
   * can register one and read it, nothing else), so a tool server's secret is checked against the
   * record read the first time, not against a store read per request. An audience not found is
   * not remembered: another instance may register it a moment later.
   */
  private readonly audiences = new Map<string, AudienceRecord>();

  /** The registered audience `id`, or undefined. */
  async registeredAudience(id: string): Promise<AudienceRecord | undefined> {
    const known = this.audiences.get(id);
    if (known !== undefined) return known;
    const record = await this.store.getAudience(id);
    if (record !== undefined) {
      if (this.audiences.size >= MAX_REMEMBERED_AUDIENCES) {
        this.audiences.delete(this.audiences.keys().next().value as string);
      }
      this.audiences.set(id, record);
    }
    return record;
  }

  /** Seconds since the epoch, as an integer. */
  now(): number {
    return this.useCases.now();
  }

  /** The public URL of a service path: what a DPoP proof's `htu` must name. */
  publicUrl(path: string): string {
    return `${this.config.issuer}${path}`;
  }
}
