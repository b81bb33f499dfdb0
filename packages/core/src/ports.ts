/**
 * What the use cases run over. Adapters provide these: the store (today the synchronous SQLite
 * store; a later step makes the port asynchronous, and the use cases only gain `await`s), the
 * signing keys, the runtime policy, the clock and a diagnostic logger.
 */
import type { AccessAnswer, AccessQuestion } from "@baton/policy";
import type { Store } from "@baton/store/contract";
import type { SigningKey } from "@baton/token";
import type { ChainEnvironment, PolicyHook } from "@baton/verifier";

/** The service's signing keys: the active one signs, any published one verifies. */
export interface TokenKeys {
  /** The key new tokens are signed with. */
  active(): SigningKey;
  /** The public key for `kid` while it is published at `now`; undefined otherwise. */
  resolve(kid: string, now: number): ReturnType<ChainEnvironment["resolveKey"]>;
}

/** Where failures that are not decisions go (pino's `Logger` fits). */
export interface DiagnosticLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The bounds and defaults the use cases apply (the service's configuration fits). */
export interface UseCaseSettings {
  /** The `iss` of every token this service issues. */
  readonly issuer: string;
  /** Seconds a grant or hop lives when it asks for no ttl. */
  readonly defaultTtl: number;
  readonly maxTtl: number;
  readonly maxDepth: number;
  /** Seconds between revalidations when none is asked for. */
  readonly revalidationInterval: number;
  readonly clockSkew: number;
  readonly proofMaxAge: number;
  /** How long an approval request stays open and an approval usable (default 3600 s). */
  readonly approvalTtl?: number | undefined;
  /** Most pending approval requests one delegation may have open (default 20). */
  readonly maxPendingApprovals?: number | undefined;
  /**
   * Whether issued tokens carry a Token Status List `status` claim (draft-ietf-oauth-status-list).
   * Default true.
   */
  readonly statusLists?: boolean | undefined;
  /** Seconds a relying party may cache a status list (its `ttl`; default 30). */
  readonly statusListTtl?: number | undefined;
}

/** Everything a {@link UseCaseContext} is built from. */
export interface UseCasePorts {
  readonly store: Store;
  readonly keys: TokenKeys;
  /** Runtime policy consulted at delegation and use time; allow-all when absent. */
  readonly policy?: PolicyHook | undefined;
  /**
   * The access policy for OpenID AuthZEN questions that carry no chain; denies them all when
   * absent (no set configured).
   */
  readonly accessPolicy?: ((question: AccessQuestion) => AccessAnswer) | undefined;
  /** Seconds since the epoch. */
  readonly clock: () => number;
  readonly logger: DiagnosticLogger;
  readonly settings: UseCaseSettings;
}
