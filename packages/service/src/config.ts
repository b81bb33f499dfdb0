/**
 * Service configuration from environment variables and command-line flags (issue 5). Flags win
 * over the environment, the environment wins over the defaults. Every value is checked here, at
 * start, so a bad setting stops the service with a message naming it instead of surfacing later
 * as a strange refusal.
 */
import { isKnownZone } from "@baton/policy";
import { isPostgresUrl } from "@baton/store-postgres";
import { CLAIM_LIMITS, DEFAULT_MAX_CHAIN_LENGTH } from "@baton/token";
import type { KekSource } from "./key-encryption.ts";

/** Log levels pino understands. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The service's settings, checked. Durations are integer seconds. */
export interface ServiceConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * SQLite file (`:memory:` for a throw-away store), or a `postgres://` URL: several instances may
   * share one PostgreSQL database.
   */
  readonly db: string;
  /**
   * The issuer URL put in every token's `iss`, and the public base URL DPoP proofs must name.
   * Undefined until the listen address is known (the server then uses `http://host:port`).
   */
  readonly issuer: string | undefined;
  /** The operator bearer token given in the environment; only its hash is kept. */
  readonly operatorToken: string | undefined;
  /**
   * Where the key-encryption key that seals the signing keys comes from: `BATON_KEK`,
   * `BATON_KEK_FILE`, or by default `<db>.kek` (see key-encryption.ts). Absent: the default.
   */
  readonly kek?: KekSource;
  /** Lifetime of a grant or hop when the request names none (capped by the parent). */
  readonly defaultTtl: number;
  /** Longest lifetime any token may have. */
  readonly maxTtl: number;
  /** Default revalidation interval: how long a token may be used before it must be re-issued. */
  readonly revalidationInterval: number;
  /** Most hops a root grant may allow below it (`mdp`). */
  readonly maxDepth: number;
  /** Allowed clock difference with agents and tool servers. */
  readonly clockSkew: number;
  /** Oldest DPoP proof accepted. */
  readonly proofMaxAge: number;
  readonly logLevel: LogLevel;
  /** Directory of `*.cedar` runtime policies; undefined means the shipped default set. */
  readonly policyDir?: string | undefined;
  /** IANA zone for policy's local time and business hours. Default `UTC`. */
  readonly policyZone?: string;
  /**
   * Directory of `*.cedar` access policies (and an optional `entities.json`) deciding OpenID
   * AuthZEN questions that carry no delegation chain; undefined: such questions are denied.
   */
  readonly authzenPolicyDir?: string | undefined;
  /** How long a step-up approval request stays open, and an approval stays usable, in seconds. */
  readonly approvalTtl?: number;
  /** Most pending step-up approval requests one delegation may have open at once. Default 20. */
  readonly maxPendingApprovals?: number;
  /**
   * Whether issued tokens carry a Token Status List `status` claim pointing at
   * `<issuer>/v1/status-lists/<n>` (`BATON_STATUS_LISTS=on|off`). Default on.
   */
  readonly statusLists?: boolean;
  /** The `ttl` of a served status list, in seconds: how long a relying party may cache it. Default 30. */
  readonly statusListTtl?: number;
}

/** A setting that could not be accepted; `setting` names it as the operator wrote it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

interface SettingSpec {
  readonly env: string;
  readonly flag: string;
}

const SETTINGS = {
  host: { env: "BATON_HOST", flag: "--host" },
  port: { env: "BATON_PORT", flag: "--port" },
  db: { env: "BATON_DB", flag: "--db" },
  issuer: { env: "BATON_ISSUER", flag: "--issuer" },
  defaultTtl: { env: "BATON_DEFAULT_TTL", flag: "--default-ttl" },
  maxTtl: { env: "BATON_MAX_TTL", flag: "--max-ttl" },
  revalidationInterval: { env: "BATON_REVALIDATION_INTERVAL", flag: "--revalidation-interval" },
  maxDepth: { env: "BATON_MAX_DEPTH", flag: "--max-depth" },
  clockSkew: { env: "BATON_CLOCK_SKEW", flag: "--clock-skew" },
  proofMaxAge: { env: "BATON_PROOF_MAX_AGE", flag: "--proof-max-age" },
  logLevel: { env: "BATON_LOG_LEVEL", flag: "--log-level" },
  policyDir: { env: "BATON_POLICY_DIR", flag: "--policy-dir" },
  policyZone: { env: "BATON_POLICY_ZONE", flag: "--policy-zone" },
  authzenPolicyDir: { env: "BATON_AUTHZEN_POLICY_DIR", flag: "--authzen-policy-dir" },
  approvalTtl: { env: "BATON_APPROVAL_TTL", flag: "--approval-ttl" },
  maxPendingApprovals: { env: "BATON_MAX_PENDING_APPROVALS", flag: "--max-pending-approvals" },
  kekFile: { env: "BATON_KEK_FILE", flag: "--kek-file" },
  statusLists: { env: "BATON_STATUS_LISTS", flag: "--status-lists" },
  statusListTtl: { env: "BATON_STATUS_LIST_TTL", flag: "--status-list-ttl" },
} as const satisfies Record<string, SettingSpec>;

type SettingName = keyof typeof SETTINGS;

/** Defaults: safe for a local install (loopback only, short-lived tokens). */
export const CONFIG_DEFAULTS = {
  host: "127.0.0.1",
  port: 8787,
  db: "./baton.db",
  defaultTtl: 3600,
  maxTtl: 86_400,
  revalidationInterval: 300,
  maxDepth: 8,
  clockSkew: 30,
  proofMaxAge: 60,
  logLevel: "info",
  policyZone: "UTC",
  approvalTtl: 3600,
  maxPendingApprovals: 20,
  statusLists: true,
  statusListTtl: 30,
} as const;

const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

function parseFlags(argv: readonly string[]): Map<SettingName, { value: string; label: string }> {
  const byFlag = new Map<string, SettingName>(
    (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(([name, spec]) => [spec.flag, name]),
  );
  const values = new Map<SettingName, { value: string; label: string }>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (flag === "--operator-token") {
      // A secret on the command line is visible to every local user through ps.
      throw new ConfigError(flag, "pass the operator token in BATON_OPERATOR_TOKEN, never as a flag");
    }
    if (flag === "--kek") {
      throw new ConfigError(
        flag,
        "pass the key-encryption key in BATON_KEK or a file in --kek-file, never as a flag",
      );
    }
    const name = byFlag.get(flag);
    if (name === undefined) throw new ConfigError(arg.slice(0, 64), "unknown option");
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ConfigError(flag, "needs a value");
    values.set(name, { value, label: flag });
  }
  return values;
}

/**
 * Reads the configuration from `env` and `argv` (the arguments after the command). Pure: it reads
 * nothing else. Throws a {@link ConfigError} naming the first bad setting.
 *
 * @example
 * const config = loadConfig(process.env, process.argv.slice(2));
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
): ServiceConfig {
  const flags = parseFlags(argv);
  const raw = (name: SettingName): { value: string; label: string } | undefined => {
    const flag = flags.get(name);
    if (flag !== undefined) return flag;
    const value = env[SETTINGS[name].env];
    return value === undefined || value === "" ? undefined : { value, label: SETTINGS[name].env };
  };
  const integer = (name: SettingName, fallback: number, min: number, max: number): number => {
    const setting = raw(name);
    if (setting === undefined) return fallback;
    if (!/^\d{1,12}$/.test(setting.value)) {
      throw new ConfigError(
        setting.label,
        `expected an integer from ${min} to ${max}, got ${JSON.stringify(setting.value.slice(0, 32))}`,
      );
    }
    const value = Number(setting.value);
    if (value < min || value > max)
      throw new ConfigError(setting.label, `must be from ${min} to ${max}, got ${value}`);
    return value;
  };
  const labelOf = (name: SettingName): string => raw(name)?.label ?? SETTINGS[name].env;

  const hostSetting = raw("host");
  const host = hostSetting?.value ?? CONFIG_DEFAULTS.host;
  if (!HOST.test(host))
    throw new ConfigError(hostSetting?.label ?? "BATON_HOST", "expected a host name or IP address");
  const port = integer("port", CONFIG_DEFAULTS.port, 0, 65_535);
  const dbSetting = raw("db");
  const db = dbSetting?.value ?? CONFIG_DEFAULTS.db;
  if (db.includes("\0")) throw new ConfigError(dbSetting?.label ?? "BATON_DB", "must be a file path");
  if (isPostgresUrl(db) && !URL.canParse(db)) {
    // The value is not echoed: it may carry a password.
    throw new ConfigError(
      dbSetting?.label ?? "BATON_DB",
      "expected a file path or a URL of the form postgres://user:password@host:5432/database",
    );
  }

  const issuerSetting = raw("issuer");
  let issuer: string | undefined;
  if (issuerSetting !== undefined) {
    issuer = checkIssuer(issuerSetting.value, issuerSetting.label);
  }

  const operatorToken = env.BATON_OPERATOR_TOKEN;
  if (operatorToken !== undefined && operatorToken !== "" && !/^[\x21-\x7e]{24,512}$/.test(operatorToken)) {
    throw new ConfigError(
      "BATON_OPERATOR_TOKEN",
      "must be 24 to 512 printable ASCII characters without spaces",
    );
  }

  const maxTtl = integer("maxTtl", CONFIG_DEFAULTS.maxTtl, 1, 366 * 86_400);
  const defaultTtl = integer("defaultTtl", Math.min(CONFIG_DEFAULTS.defaultTtl, maxTtl), 1, 366 * 86_400);
  if (defaultTtl > maxTtl)
    throw new ConfigError(labelOf("defaultTtl"), `must not exceed the maximum TTL (${maxTtl})`);
  const revalidationInterval = integer(
    "revalidationInterval",
    Math.min(CONFIG_DEFAULTS.revalidationInterval, maxTtl),
    1,
    366 * 86_400,
  );
  if (revalidationInterval > maxTtl) {
    throw new ConfigError(labelOf("revalidationInterval"), `must not exceed the maximum TTL (${maxTtl})`);
  }
  // A chain holds the root and one token per hop, and must fit the verifiers' chain limit.
  const maxDepth = integer(
    "maxDepth",
    CONFIG_DEFAULTS.maxDepth,
    0,
    Math.min(CLAIM_LIMITS.maxDepth, DEFAULT_MAX_CHAIN_LENGTH - 1),
  );
  const clockSkew = integer("clockSkew", CONFIG_DEFAULTS.clockSkew, 0, 600);
  const proofMaxAge = integer("proofMaxAge", CONFIG_DEFAULTS.proofMaxAge, 1, 3600);

  const levelSetting = raw("logLevel");
  const logLevel = levelSetting?.value ?? CONFIG_DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      levelSetting?.label ?? "BATON_LOG_LEVEL",
      `expected one of ${LOG_LEVELS.join(", ")}`,
    );
  }

  const policyDirSetting = raw("policyDir");
  if (policyDirSetting?.value.includes("\0"))
    throw new ConfigError(policyDirSetting.label, "must be a directory path");
  const authzenPolicyDirSetting = raw("authzenPolicyDir");
  if (authzenPolicyDirSetting?.value.includes("\0"))
    throw new ConfigError(authzenPolicyDirSetting.label, "must be a directory path");
  const zoneSetting = raw("policyZone");
  const policyZone = zoneSetting?.value ?? CONFIG_DEFAULTS.policyZone;
  if (!isKnownZone(policyZone)) {
    throw new ConfigError(
      zoneSetting?.label ?? "BATON_POLICY_ZONE",
      "expected an IANA time zone such as Europe/Paris",
    );
  }
  const approvalTtl = integer("approvalTtl", CONFIG_DEFAULTS.approvalTtl, 60, 30 * 86_400);
  const maxPendingApprovals = integer("maxPendingApprovals", CONFIG_DEFAULTS.maxPendingApprovals, 1, 10_000);
  const kek = kekSourceOf(env.BATON_KEK, raw("kekFile"), db);
  const statusListsSetting = raw("statusLists");
  if (statusListsSetting !== undefined && !["on", "off"].includes(statusListsSetting.value)) {
    throw new ConfigError(statusListsSetting.label, 'expected "on" or "off"');
  }
  const statusLists =
    statusListsSetting === undefined ? CONFIG_DEFAULTS.statusLists : statusListsSetting.value === "on";
  const statusListTtl = integer("statusListTtl", CONFIG_DEFAULTS.statusListTtl, 1, 86_400);

  return {
    host,
    port,
    db,
    issuer,
    operatorToken: operatorToken === "" ? undefined : operatorToken,
    kek,
    defaultTtl,
    maxTtl,
    revalidationInterval,
    maxDepth,
    clockSkew,
    proofMaxAge,
    logLevel: logLevel as LogLevel,
    policyDir: policyDirSetting?.value,
    policyZone,
    authzenPolicyDir: authzenPolicyDirSetting?.value,
    approvalTtl,
    maxPendingApprovals,
    statusLists,
    statusListTtl,
  };
}

/** Where the KEK comes from: the environment, a named file, or `<db>.kek` (nothing for `:memory:`). */
function kekSourceOf(
  value: string | undefined,
  file: { value: string; label: string } | undefined,
  db: string,
): KekSource {
  if (value !== undefined && value !== "") {
    if (file !== undefined)
      throw new ConfigError("BATON_KEK", `give the KEK in BATON_KEK or ${file.label}, not both`);
    // The value itself is never echoed: it is a secret.
    if (!/^[A-Za-z0-9_-]{43}$/.test(value))
      throw new ConfigError("BATON_KEK", "expected 32 bytes in base64url (43 characters)");
    return { kind: "env", value };
  }
  if (file !== undefined) {
    if (file.value.includes("\0")) throw new ConfigError(file.label, "must be a file path");
    return { kind: "file", path: file.value, setting: file.label };
  }
  return defaultKekSource(db);
}

/**
 * The KEK source when none is configured: `<db>.kek`, or a throw-away key for `:memory:`; a
 * PostgreSQL database has none (`ConfigError`).
 */
export function defaultKekSource(db: string): KekSource {
  // A throw-away database needs no lasting KEK: its keys vanish with it.
  if (db === ":memory:") return { kind: "ephemeral" };
  if (isPostgresUrl(db)) {
    // No file sits beside a server's database, and every instance must unseal the same keys.
    throw new ConfigError(
      "BATON_KEK_FILE",
      "with a PostgreSQL database, set BATON_KEK_FILE (created on the first start if missing) or BATON_KEK, and give every instance the same key-encryption key",
    );
  }
  return { kind: "file", path: `${db}.kek`, setting: "the KEK file beside the database" };
}

/** Checks an issuer URL: http(s), no query or fragment, no trailing slash; returns it normalized. */
export function checkIssuer(value: string, label = "BATON_ISSUER"): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(label, "expected an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ConfigError(label, "expected an http(s) URL");
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError(label, "must not carry credentials, a query or a fragment");
  }
  const normalized = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  if (normalized.length > CLAIM_LIMITS.maxIssuerLength) throw new ConfigError(label, "is too long");
  return normalized;
}

/** The usage text for `--help`. */
export function configUsage(): string {
  const lines = ["Options (flag / environment variable, default):"];
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    const fallback =
      name === "policyDir"
        ? "the shipped default set"
        : name === "authzenPolicyDir"
          ? "none: chain-less AuthZEN requests are denied"
          : name === "kekFile"
            ? "<db>.kek, created owner-only"
            : (CONFIG_DEFAULTS as Record<string, unknown>)[name];
    lines.push(
      `  ${spec.flag.padEnd(26)} ${spec.env.padEnd(30)} ${fallback === undefined ? "" : String(fallback)}`,
    );
  }
  lines.push(`  ${"".padEnd(26)} ${"BATON_OPERATOR_TOKEN".padEnd(30)} generated on first start`);
  lines.push(`  ${"".padEnd(26)} ${"BATON_KEK".padEnd(30)} instead of a KEK file: base64url, 32 bytes`);
  return lines.join("\n");
}
