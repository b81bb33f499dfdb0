/**
 * A world for use-case tests: a real SQLite store in a temp directory, an Ed25519 signing key, a
 * clock the test moves, and agents with real keys presenting chains with real DPoP proofs.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, createDpopProof } from "@baton/client";
import type { DecisionRecord } from "@baton/store";
import { openSqliteStore, type SqliteStore } from "@baton/store-sqlite";
import { type Capability, jwkThumbprint } from "@baton/token";
import type { PolicyHook } from "@baton/verifier";
import { type PresentedChain, type TokenKeys, UseCaseContext } from "../src/index.ts";

export const ISSUER = "https://baton.test";
/** 2026-01-01T00:00:00Z: tests never read the wall clock. */
export const T0 = 1_767_225_600;
export const CAP_REPO: Capability[] = [{ act: "repo.*", res: "repo:acme/**" }];
export const CAP_ISSUES: Capability[] = [{ act: "repo.issues.read", res: "repo:acme/web/**" }];

export interface World {
  readonly ctx: UseCaseContext;
  readonly store: SqliteStore;
  /** Seconds since the epoch, as the use cases see it. */
  now: number;
  /** The decision log, oldest first. */
  decisions(): Promise<DecisionRecord[]>;
  close(): Promise<void>;
}

/** A fresh world over a fresh database file; `policy` is allow-all unless given. */
export function createWorld(options: { policy?: PolicyHook; maxPendingApprovals?: number } = {}): World {
  const dir = mkdtempSync(join(tmpdir(), "baton-core-"));
  const store = openSqliteStore({ path: join(dir, "baton.db") });
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const keys: TokenKeys = {
    active: () => ({ kid: "test-key", privateKey }),
    resolve: (kid) => (kid === "test-key" ? publicKey : undefined),
  };
  const silent = { error: () => {}, warn: () => {} };
  const world: World = {
    now: T0,
    store,
    ctx: undefined as unknown as UseCaseContext,
    decisions: async () => [...(await store.queryDecisions({ limit: 1000, order: "oldest" })).items],
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  (world as { ctx: UseCaseContext }).ctx = new UseCaseContext({
    store,
    keys,
    policy: options.policy,
    clock: () => world.now,
    logger: silent,
    settings: {
      issuer: ISSUER,
      defaultTtl: 3600,
      maxTtl: 86_400,
      maxDepth: 5,
      revalidationInterval: 600,
      clockSkew: 30,
      proofMaxAge: 60,
      ...(options.maxPendingApprovals === undefined
        ? {}
        : { maxPendingApprovals: options.maxPendingApprovals }),
    },
  });
  return world;
}

/** An agent: its id, its key, and (once it holds one) its chain. */
export interface Agent {
  readonly id: string;
  readonly key: AgentKeyPair;
  chain: string;
}

/** Registers `agent:<name>` with a fresh key. */
export async function registerAgent(world: World, name: string): Promise<Agent> {
  const key = await AgentKeyPair.generate();
  const id = `agent:${name}`;
  await world.store.registerAgent({
    id,
    jwk: key.publicJwk,
    jkt: jwkThumbprint(key.publicJwk),
    at: world.now,
  });
  return { id, key, chain: "" };
}

/** `agent`'s chain and a fresh DPoP proof for `method path` on the service. */
export async function present(
  world: World,
  agent: Agent,
  path: string,
  method = "POST",
  chain = agent.chain,
): Promise<PresentedChain> {
  const url = `${ISSUER}${path}`;
  const proof = await createDpopProof(agent.key, { method, url, chain, now: world.now });
  return { chain, proof, method, url };
}

/** The error a promise rejects with (the test fails when it resolves). */
export async function refusalOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error("expected a refusal");
}
