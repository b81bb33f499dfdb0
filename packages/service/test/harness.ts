/**
 * Test harness: a token service app over a real SQLite file in a temp directory, with a clock the
 * test controls, called in-process with `app.request` (issuer `http://localhost`, which is the
 * origin `app.request` uses, so DPoP `htu` values line up).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKeyPair, createDpopProof } from "@baton/client";
import type { SigningKeyStore, Store } from "@baton/store";
import { openSqliteStore } from "@baton/store-sqlite";
import type { Capability } from "@baton/token";
import type { PolicyHook } from "@baton/verifier";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { loadConfig, type ServiceConfig } from "../src/config.ts";
import type { ServiceApp } from "../src/openapi.ts";
import { generateAudienceSecret, hashSecret } from "../src/secrets.ts";
import { prepareStore } from "../src/server.ts";

export const OPERATOR_TOKEN = "test-operator-token-0123456789abcdef";
export const ORIGIN = "http://localhost";
/** A fixed start time (2026-01-01), so tests never depend on the wall clock. */
export const T0 = 1_767_225_600;

export interface Harness {
  app: ServiceApp;
  readonly store: Store;
  readonly config: ServiceConfig;
  /** Seconds since the epoch, as the service sees it. */
  now: number;
  /** Secrets of the audiences registered so far, by audience. */
  readonly audienceSecrets: Map<string, string>;
  /** Operator call: JSON body in, the response out. */
  op(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly env?: Record<string, string>;
  readonly policy?: PolicyHook;
  /** Puts a decorator between the service and the real store (what the service then sees). */
  readonly wrapStore?: (store: Store & SigningKeyStore) => Store & SigningKeyStore;
}

/** A fresh service over a fresh database file. */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "baton-service-"));
  const config = loadConfig({
    BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
    BATON_DB: join(dir, "baton.db"),
    ...options.env,
  });
  const opened = openSqliteStore({ path: config.db });
  const store = options.wrapStore?.(opened) ?? opened;
  const harness: Harness = {
    now: T0,
    store,
    audienceSecrets: new Map(),
    config,
    app: undefined as unknown as ServiceApp,
    op: async (method, path, body, headers = {}) =>
      await harness.app.request(`${ORIGIN}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${OPERATOR_TOKEN}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const { signingKeys } = await prepareStore(store, config, harness.now);
  harness.app = createApp({
    store,
    config: { ...config, issuer: ORIGIN },
    clock: () => harness.now,
    signingKeys,
    logger: pino({ level: "silent" }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  return harness;
}

/** An agent under test: its id, key and (once granted) chain. */
export interface TestAgent {
  readonly id: string;
  readonly key: AgentKeyPair;
  chain: string;
  did: string;
}

/** Registers an agent with a fresh key. */
export async function registerAgent(h: Harness, id: string): Promise<TestAgent> {
  const key = await AgentKeyPair.generate();
  const response = await h.op("POST", "/v1/agents", { id, jwk: key.publicJwk });
  if (response.status !== 201)
    throw new Error(`registering ${id}: ${response.status} ${await response.text()}`);
  return { id, key, chain: "", did: "" };
}

/** Grants `agent` a root delegation for a new task. */
export async function grant(
  h: Harness,
  agent: TestAgent,
  body: { cap: Capability[]; aud: string[]; ttl?: number; rvi?: number; mdp?: number; task?: string },
): Promise<{ did: string; task: string }> {
  for (const aud of body.aud) await ensureAudience(h, aud);
  const response = await h.op("POST", "/v1/grants", {
    agent: agent.id,
    task: { intent: "test task", ...(body.task === undefined ? {} : { id: body.task }) },
    cap: body.cap,
    aud: body.aud,
    ...(body.ttl === undefined ? {} : { ttl: body.ttl }),
    ...(body.rvi === undefined ? {} : { rvi: body.rvi }),
    ...(body.mdp === undefined ? {} : { mdp: body.mdp }),
  });
  if (response.status !== 201) throw new Error(`grant: ${response.status} ${await response.text()}`);
  const issued = (await response.json()) as { did: string; chain: string; task: string };
  agent.chain = issued.chain;
  agent.did = issued.did;
  return { did: issued.did, task: issued.task };
}

/** A call by an agent with its chain and a fresh DPoP proof. */
export async function agentCall(
  h: Harness,
  agent: TestAgent,
  method: string,
  path: string,
  body?: unknown,
  overrides: { chain?: string; proof?: string | null; proofUrl?: string; scheme?: string } = {},
): Promise<Response> {
  const chain = overrides.chain ?? agent.chain;
  const proof =
    overrides.proof === undefined
      ? await createDpopProof(agent.key, {
          method,
          url: overrides.proofUrl ?? `${ORIGIN}${path}`,
          chain,
          now: h.now,
        })
      : overrides.proof;
  return h.app.request(`${ORIGIN}${path}`, {
    method,
    headers: {
      authorization: `${overrides.scheme ?? "DPoP"} ${chain}`,
      ...(proof === null ? {} : { dpop: proof }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Delegates from `from` to `to`; on success `to` adopts the returned chain. */
export async function delegate(
  h: Harness,
  from: TestAgent,
  to: TestAgent,
  body: Record<string, unknown>,
): Promise<Response> {
  const response = await agentCall(h, from, "POST", "/v1/delegations", { to: to.id, ...body });
  if (response.status === 201) {
    const issued = (await response.clone().json()) as { did: string; chain: string };
    to.chain = issued.chain;
    to.did = issued.did;
  }
  return response;
}

/**
 * Registers an audience over HTTP and returns its secret; an audience the harness already
 * registered (see {@link ensureAudience}) keeps its secret.
 */
export async function registerAudience(h: Harness, id: string): Promise<string> {
  const known = h.audienceSecrets.get(id);
  if (known !== undefined) return known;
  const response = await h.op("POST", "/v1/audiences", { id });
  if (response.status !== 201) throw new Error(`audience: ${response.status} ${await response.text()}`);
  const { secret } = (await response.json()) as { secret: string };
  h.audienceSecrets.set(id, secret);
  return secret;
}

/**
 * Makes sure a grant may name `id` (the service refuses audiences nobody registered), writing the
 * audience straight to the store so that the decision log holds only what the test did.
 */
export async function ensureAudience(h: Harness, id: string): Promise<void> {
  if (id === "*" || h.audienceSecrets.has(id)) return;
  const secret = generateAudienceSecret(id);
  await h.store.registerAudience({ id, secretHash: hashSecret(secret), at: h.now });
  h.audienceSecrets.set(id, secret);
}

/** The JSON body of a response, typed loosely for assertions. */
export async function json(response: Response): Promise<Record<string, unknown> & { code?: string }> {
  return (await response.json()) as Record<string, unknown> & { code?: string };
}
