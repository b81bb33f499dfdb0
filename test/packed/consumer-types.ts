/**
 * A TypeScript consumer of the published packages. scripts/packed-install.sh type-checks it with
 * `tsc --noEmit` (consumer.tsconfig.json: NodeNext resolution, strict, library files checked too)
 * in a scratch project where the packed tarballs are npm-installed, so it sees exactly the `.d.ts`
 * files and `exports` maps a user gets. The workspace's own typecheck also covers it, against the
 * sources. It is never run: every line is about what the types accept and refuse.
 */
import { type AgentKeyPair, BatonAgent, BatonError, BatonOperator, createDpopProof } from "@baton/client";
import { type ActingParty, UseCaseError } from "@baton/core";
import { createCedarPolicy, loadPolicySet, type PolicyFunction } from "@baton/policy";
import { GENESIS_HASH, type Store } from "@baton/store";
import { isStoreError, type StoreErrorCode } from "@baton/store/contract";
import { openSqliteStore, type SqliteStore } from "@baton/store-sqlite";
import { isReasonCode, type ReasonCode, type TokenClaims, TokenError } from "@baton/token";
import type { Reason, TaskHours } from "@baton/token/contract";
import {
  createVerifier,
  type Decision,
  type DecisionKind,
  memoryRevocations,
  type PolicyHook,
  remoteJwks,
  type Verifier,
  type VerifierOptions,
} from "@baton/verifier";
import { createFetchGate, type FetchGate } from "@baton/verifier/fetch";
import { createHonoGate, type HonoGate } from "@baton/verifier/hono";
import { toNodeListener } from "@baton/verifier/node";

export async function toolServer(): Promise<Verifier> {
  const loaded = loadPolicySet();
  if (!loaded.ok) throw loaded.error;
  // The policy package's hook is the verifier's hook: one type across two packages.
  const policy: PolicyHook = createCedarPolicy(loaded.value) satisfies PolicyFunction;
  const keys = remoteJwks({ url: "http://127.0.0.1:8787/.well-known/jwks.json" });
  await keys.ready();
  const options: VerifierOptions = {
    issuer: "http://127.0.0.1:8787",
    audience: "repo-tool",
    keys,
    revocations: memoryRevocations(),
    policy,
  };
  return createVerifier(options);
}

/** The gates on each entry point take the one verifier (hono is installed beside them). */
export function gates(verifier: Verifier): { fetch: FetchGate; hono: HonoGate; node: typeof toNodeListener } {
  const options = { verifier, audience: "repo-tool", publicOrigin: "https://repo-tool.example" };
  return { fetch: createFetchGate(options), hono: createHonoGate(options), node: toNodeListener };
}

export async function decide(verifier: Verifier, chain: string, key: AgentKeyPair): Promise<string> {
  const url = "https://tools.example/repos/acme/web/issues/7";
  const proof: string = await createDpopProof(key, { method: "GET", url, chain });
  const decision: Decision = await verifier.verify({
    chain,
    proof,
    method: "GET",
    url,
    action: "github.issues.read",
    resource: "repo:acme/web/issues/7",
  });
  const kind: DecisionKind = decision.decision;
  const codes: ReasonCode[] = decision.reasons.map((reason: Reason) => reason.code);
  return `${kind}: ${codes.join(", ")}`;
}

export function agentOf(key: AgentKeyPair, chain: string): BatonAgent {
  return new BatonAgent({ serviceUrl: "http://127.0.0.1:8787", id: "agent:fetcher", key, chain });
}

export function operator(): BatonOperator {
  return new BatonOperator({ serviceUrl: "http://127.0.0.1:8787", token: "operator-token" });
}

export function describeFailure(error: unknown): string {
  if (error instanceof BatonError || error instanceof TokenError || error instanceof UseCaseError) {
    return `${error.code}: ${error.message}`;
  }
  return String(error);
}

export function storeFor(path: string): Store {
  const store: SqliteStore = openSqliteStore({ path, synchronous: "FULL" });
  return store;
}

export function storeErrorCode(error: unknown): StoreErrorCode | undefined {
  return isStoreError(error) ? error.code : undefined;
}

export function typesAreReal(claims: TokenClaims, party: ActingParty): void {
  const hours: TaskHours | undefined = undefined;
  const genesis: string = GENESIS_HASH;
  const depth: number = claims.dpt;
  void [hours, genesis, depth, party, isReasonCode("revoked")];
  // Each line below must be refused; were the declarations `any`, tsc would report the unused
  // directive instead.
  // @ts-expect-error: "maybe" is not a decision
  const wrongKind: DecisionKind = "maybe";
  // @ts-expect-error: the audience is required
  const noAudience: VerifierOptions = {
    issuer: "x",
    keys: remoteJwks({ url: "x" }),
    revocations: memoryRevocations(),
  };
  // @ts-expect-error: depth is a number
  const wrongDepth: string = claims.dpt;
  void [wrongKind, noAudience, wrongDepth];
}
