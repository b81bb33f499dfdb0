/**
 * Black-box harness for the security suites: the real token service (`createApp`) over a real
 * SQLite file in a temp directory, served over real HTTP on 127.0.0.1 port 0, with a clock the
 * test controls. The harness keeps the store and the signing keys, so an attack can be signed with
 * the service's own private key: every forged token below is "correctly signed", and the service
 * must refuse it for what it says, not for who signed it.
 */
import { KeyObject, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AppDeps,
  createApp,
  loadConfig,
  prepareStore,
  SERVICE_ERROR_CODES,
  type SigningKeys,
} from "@baton/service";
import { openSqliteStore, type SqliteStore } from "@baton/store-sqlite";
import { REASON_CODES, sha256Base64url } from "@baton/token";
import type { PolicyHook } from "@baton/verifier";
import { type ServerType, serve } from "@hono/node-server";
import { makeKey, makeProof, type TestKey } from "../../packages/verifier/test/fixtures.ts";

export const OPERATOR_TOKEN = "security-operator-token-0123456789abcdef";
/** 2026-01-01T00:00:00Z: the service's clock starts here and moves only when a test moves it. */
export const T0 = 1_767_225_600;
/** The tool server whose calls the verify tests ask about. */
export const TOOL_AUDIENCE = "repo-tool";
export const TOOL_URL = "https://tools.test/repos/acme/web/issues";
export const ROOT_CAP = [{ act: "repo.issues.*", res: "repo:acme/web/**" }] as const;
export const CALL = { action: "repo.issues.create", resource: "repo:acme/web/issues/42" } as const;

/**
 * Every reason code the verifier may give, plus the service's own HTTP problem codes, except
 * `internal`: a fuzzed request must never reach an unexpected error.
 */
export const KNOWN_CODES: ReadonlySet<string> = new Set<string>([
  ...REASON_CODES,
  ...SERVICE_ERROR_CODES.filter((code) => code !== "internal"),
]);

/** A silent stand-in for the service's pino logger (test/ does not depend on pino). */
function silentLogger(): AppDeps["logger"] {
  const logger: Record<string, unknown> = {};
  for (const level of ["trace", "debug", "info", "warn", "error", "fatal"]) logger[level] = () => {};
  logger.child = () => logger;
  logger.level = "silent";
  return logger as unknown as AppDeps["logger"];
}

/** An agent under test: its id, its key, and the chain it holds (once granted). */
export interface Agent {
  readonly id: string;
  readonly key: TestKey;
  chain: string;
  did: string;
}

/** The decision `/v1/verify` answers with. */
export interface Decision {
  decision: "allow" | "deny" | "step_up";
  reasons: { hop: number | null; code: string; message: string }[];
  chain: { did: string; jti: string; sub: string; dlg: string | null; dpt: number }[];
  task: string | null;
}

export interface VerifyOptions {
  readonly chain: string;
  /** Who signs the proof; default: none unless `proof` is given. */
  readonly proofBy?: TestKey;
  /** An exact proof (overrides `proofBy`); `null` sends none. */
  readonly proof?: string | null;
  readonly htm?: string;
  readonly htu?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly args?: Record<string, unknown>;
}

export interface SecurityService {
  readonly url: string;
  /** Equal to `url`: tokens carry it as `iss`, proofs name it in `htu`. */
  readonly issuer: string;
  readonly dir: string;
  readonly store: SqliteStore;
  readonly signingKeys: SigningKeys;
  /** The service clock, seconds since the epoch. */
  now: number;
  /** The audience secret of {@link TOOL_AUDIENCE}. */
  readonly toolSecret: string;
  /** The service's active signing key (kid and private key). */
  serviceKey(): { kid: string; privateKey: KeyObject };
  /** An operator call. A string body is sent as is. */
  op(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  registerAgent(name: string): Promise<Agent>;
  /** Grants `agent` a root for a new task; the agent adopts the chain. */
  grant(agent: Agent, body?: Record<string, unknown>): Promise<{ did: string; task: string; chain: string }>;
  /** An agent call with its chain and a fresh proof (unless overridden). */
  agentCall(
    agent: Agent,
    method: string,
    path: string,
    body?: unknown,
    overrides?: { chain?: string; proof?: string | null; proofKey?: TestKey },
  ): Promise<Response>;
  /** Delegates from `from` to `to`; on 201 `to` adopts the returned chain. */
  delegate(from: Agent, to: Agent, body?: Record<string, unknown>): Promise<Response>;
  /** `POST /v1/verify` as the tool server. */
  verify(options: VerifyOptions): Promise<{ status: number; body: Decision }>;
  /** The same request, answered as the raw response (for refusals that are problems, not decisions). */
  verifyResponse(options: VerifyOptions): Promise<Response>;
  close(): Promise<void>;
}

/** A proof by `key` for a tool call at `now`. */
export function toolProof(key: TestKey, chain: string, now: number, htm = "POST", htu = TOOL_URL): string {
  return makeProof({ key, chain, method: htm, url: htu, iat: now });
}

/** The codes of a decision's or problem's reasons, in order. */
export function codesOf(body: { reasons?: { code: string }[] }): string[] {
  return (body.reasons ?? []).map((reason) => reason.code);
}

/**
 * Starts a fresh service over a fresh database file. `env` adds or overrides settings; `policy`
 * replaces the default allow-all runtime policy.
 */
export async function startSecurityService(
  env: Record<string, string> = {},
  options: { readonly policy?: PolicyHook } = {},
): Promise<SecurityService> {
  const dir = mkdtempSync(join(tmpdir(), "baton-security-"));
  const config = loadConfig(
    {
      BATON_DB: join(dir, "baton.db"),
      BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
      BATON_LOG_LEVEL: "silent",
      ...env,
    },
    ["--port", "0"],
  );
  const store = openSqliteStore({ path: config.db });
  const { signingKeys } = await prepareStore(store, config, T0);
  let handler: ((request: Request) => Response | Promise<Response>) | undefined;
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve(
      {
        fetch: (request) =>
          handler === undefined ? new Response("starting", { status: 503 }) : handler(request),
        hostname: "127.0.0.1",
        port: 0,
      },
      (info: AddressInfo) => resolve(info.port),
    );
  });
  const url = `http://127.0.0.1:${port}`;
  const svc = {
    url,
    issuer: url,
    dir,
    store,
    signingKeys,
    now: T0,
    toolSecret: "",
  } as SecurityService & { toolSecret: string };
  const app = createApp({
    store,
    config: { ...config, issuer: url },
    clock: () => svc.now,
    signingKeys,
    logger: silentLogger(),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  handler = (request) => app.fetch(request);

  // The key is sealed in the store (issue 14); the loaded key set holds it opened.
  svc.serviceKey = () => {
    const { kid, privateKey } = signingKeys.active();
    if (!(privateKey instanceof KeyObject)) throw new Error("the service key is not a node:crypto KeyObject");
    return { kid, privateKey };
  };
  svc.op = (method, path, body, headers = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  svc.registerAgent = async (name) => {
    const key = makeKey();
    const id = `agent:${name}`;
    const response = await svc.op("POST", "/v1/agents", { id, jwk: key.jwk });
    if (response.status !== 201)
      throw new Error(`register ${id}: ${response.status} ${await response.text()}`);
    return { id, key, chain: "", did: "" };
  };
  svc.grant = async (agent, body = {}) => {
    const response = await svc.op("POST", "/v1/grants", {
      agent: agent.id,
      task: { intent: "security test task" },
      cap: ROOT_CAP,
      aud: [TOOL_AUDIENCE],
      mdp: 4,
      ...body,
    });
    if (response.status !== 201) throw new Error(`grant: ${response.status} ${await response.text()}`);
    const issued = (await response.json()) as { did: string; task: string; chain: string };
    agent.chain = issued.chain;
    agent.did = issued.did;
    return issued;
  };
  svc.agentCall = (agent, method, path, body, overrides = {}) => {
    const chain = overrides.chain ?? agent.chain;
    const proof =
      overrides.proof === undefined
        ? makeProof({
            key: overrides.proofKey ?? agent.key,
            chain,
            method,
            url: `${url}${path}`,
            iat: svc.now,
          })
        : overrides.proof;
    return fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `DPoP ${chain}`,
        ...(proof === null ? {} : { dpop: proof }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  };
  svc.delegate = async (from, to, body = {}) => {
    const response = await svc.agentCall(from, "POST", "/v1/delegations", {
      to: to.id,
      cap: ROOT_CAP,
      ...body,
    });
    if (response.status === 201) {
      const issued = (await response.clone().json()) as { did: string; chain: string };
      to.chain = issued.chain;
      to.did = issued.did;
    }
    return response;
  };
  svc.verifyResponse = async (options) => {
    const htm = options.htm ?? "POST";
    const htu = options.htu ?? TOOL_URL;
    const proof =
      options.proof !== undefined
        ? options.proof
        : options.proofBy === undefined
          ? null
          : toolProof(options.proofBy, options.chain, svc.now, htm, htu);
    return fetch(`${url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${svc.toolSecret}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain: options.chain,
        ...(proof === null ? {} : { proof }),
        htm,
        htu,
        audience: TOOL_AUDIENCE,
        action: options.action ?? CALL.action,
        resource: options.resource ?? CALL.resource,
        ...(options.args === undefined ? {} : { args: options.args }),
      }),
    });
  };
  svc.verify = async (options) => {
    const response = await svc.verifyResponse(options);
    return { status: response.status, body: (await response.json()) as Decision };
  };
  svc.close = async () => {
    await new Promise<void>((resolve) => {
      const s = server as ServerType;
      (s as { closeAllConnections?: () => void }).closeAllConnections?.();
      s.close(() => resolve());
    });
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };

  const audience = await svc.op("POST", "/v1/audiences", { id: TOOL_AUDIENCE });
  if (audience.status !== 201) throw new Error(`audience: ${audience.status}`);
  svc.toolSecret = ((await audience.json()) as { secret: string }).secret;
  return svc;
}

/** A fresh 128-bit id, base64url, as `jti` and `did` are. */
export function freshId(): string {
  return randomBytes(16).toString("base64url");
}

/** Claims of a root grant to `holder` that the service would have issued at `now`. */
export function rootClaims(svc: SecurityService, holder: Agent, now = svc.now): Record<string, unknown> {
  return {
    iss: svc.issuer,
    sub: holder.id,
    jti: freshId(),
    did: freshId(),
    dpt: 0,
    mdp: 4,
    tsk: "task-forged",
    cap: ROOT_CAP,
    aud: [TOOL_AUDIENCE],
    iat: now,
    nbf: now,
    exp: now + 3600,
    rvl: now + 300,
    cnf: { jkt: holder.key.thumbprint },
  };
}

/** Claims of a hop below `parent` (its compact token) to `holder`, linked correctly. */
export function hopClaims(
  parentCompact: string,
  parent: Record<string, unknown>,
  holder: Agent,
): Record<string, unknown> {
  return {
    iss: parent.iss,
    sub: holder.id,
    dlg: parent.sub,
    jti: freshId(),
    did: freshId(),
    par: parent.did,
    prf: sha256Base64url(parentCompact),
    dpt: (parent.dpt as number) + 1,
    mdp: Math.max(0, (parent.mdp as number) - 1),
    tsk: parent.tsk,
    cap: parent.cap,
    aud: parent.aud,
    iat: parent.iat,
    nbf: parent.nbf,
    exp: parent.exp,
    rvl: parent.rvl,
    cnf: { jkt: holder.key.thumbprint },
  };
}

/** The claims of a compact token, read without any check (for building attacks from real tokens). */
export function peekClaims(compact: string): Record<string, unknown> {
  const payload = compact.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}
