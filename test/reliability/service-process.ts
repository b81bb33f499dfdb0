/**
 * The token service as a child process, the way an operator runs it:
 * `node --conditions=source --import tsx apps/token-service/src/main.ts` with `BATON_PORT=0`, its URL read from the
 * first line of stdout. Used by the crash and load suites; every child is killed by its own pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeKey, makeProof, type TestKey } from "../../packages/verifier/test/fixtures.ts";

export const OPERATOR_TOKEN = "reliability-operator-token-0123456789abcdef";
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves when the child has exited. */
  readonly exited: Promise<void>;
  /** SIGKILL: no shutdown, no flush. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<void>;
}

/** Starts the service on `db`; resolves once it printed its URL. */
export async function startServiceProcess(
  db: string,
  options: { env?: Record<string, string>; nodeArgs?: string[]; script?: string } = {},
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--conditions=source",
      "--import",
      "tsx",
      options.script ?? "apps/token-service/src/main.ts",
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        BATON_PORT: "0",
        BATON_DB: db,
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BATON_LOG_LEVEL: "silent",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe", ...(options.script === undefined ? [] : ["ipc" as const])],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`service did not start: ${stderr}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line !== undefined) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before printing its URL: ${stderr}`));
    });
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { url, child, exited, kill: () => signal("SIGKILL"), stop: () => signal("SIGTERM") };
}

/** Seconds since the epoch: the child runs on the real clock. */
export function wallClock(): number {
  return Math.floor(Date.now() / 1000);
}

/** A small deterministic PRNG (mulberry32) so kill points and operation mixes follow the seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An agent with a node key, registered with a service process. */
export interface ProcessAgent {
  readonly id: string;
  readonly key: TestKey;
  chain: string;
}

/** A small client for one service process. */
export class ServiceClient {
  constructor(public url: string) {}

  op(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async registerAgent(name: string): Promise<ProcessAgent> {
    const key = makeKey();
    const id = `agent:${name}`;
    const response = await this.op("POST", "/v1/agents", { id, jwk: key.jwk });
    if (response.status !== 201) throw new Error(`register ${id}: ${response.status}`);
    return { id, key, chain: "" };
  }

  agentCall(agent: ProcessAgent, path: string, body: unknown): Promise<Response> {
    const proof = makeProof({
      key: agent.key,
      chain: agent.chain,
      method: "POST",
      url: `${this.url}${path}`,
      iat: wallClock(),
    });
    return fetch(`${this.url}${path}`, {
      method: "POST",
      headers: { authorization: `DPoP ${agent.chain}`, dpop: proof, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  verify(secret: string, agent: ProcessAgent, audience: string): Promise<Response> {
    const htu = "https://tools.test/repos/acme/web/issues";
    const proof = makeProof({
      key: agent.key,
      chain: agent.chain,
      method: "POST",
      url: htu,
      iat: wallClock(),
    });
    return fetch(`${this.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({
        chain: agent.chain,
        proof,
        htm: "POST",
        htu,
        audience,
        action: "repo.issues.read",
        resource: "repo:acme/web/issues/1",
      }),
    });
  }
}
