/**
 * What the registries accept, written once for every adapter: agents, tool servers' audiences,
 * settings and the service's signing keys. An adapter calls the method's `check…Input` before its
 * transaction and, where there is one, the `…Fits` rule inside it on the facts it read.
 */
import { type Ed25519PublicJwk, parseAgentJwk, type ServicePublicJwk } from "@baton/token";
import {
  type CheckedDecision,
  checkAgentId,
  checkAudienceName,
  checkAudit,
  checkDigest,
  checkKeyId,
  checkObject,
  checkOptionalText,
  checkPrivateKeyMaterial,
  checkSecretHash,
  checkSettingKey,
  checkSettingValue,
  checkTime,
  invalidInput,
  MAX_NAME_LENGTH,
} from "./input-checks.ts";
import { conflict, notFound } from "./rule-errors.ts";
import { StoreError } from "./store-error.ts";

// agents ----------------------------------------------------------------------------------------

/** An agent registration, checked: its key parsed and its thumbprint matched. */
export interface CheckedAgent {
  readonly id: string;
  /** The public key as parsed (only the members a JWK thumbprint covers). */
  readonly jwk: Ed25519PublicJwk;
  readonly jkt: string;
  readonly name: string | null;
  readonly owner: string | null;
  readonly at: number;
  readonly audit: CheckedDecision | null;
}

export function checkRegisterAgentInput(input: unknown): CheckedAgent {
  const value = checkObject(input, "agent");
  const id = checkAgentId(value.id, "agent.id");
  const key = parseAgentJwk(value.jwk, "agent.jwk");
  if (!key.ok) throw invalidInput("agent.jwk", key.error.message);
  const jkt = checkDigest(value.jkt, "agent.jkt");
  if (jkt !== key.value.thumbprint)
    throw invalidInput("agent.jkt", "is not the RFC 7638 thumbprint of agent.jwk");
  return {
    id,
    jwk: key.value.jwk,
    jkt,
    name: checkOptionalText(value.name, "agent.name", MAX_NAME_LENGTH),
    owner: checkOptionalText(value.owner, "agent.owner", MAX_NAME_LENGTH),
    at: checkTime(value.at, "agent.at"),
    audit: checkAudit(value.audit, "agent.audit"),
  };
}

/** What a registration's transaction read about the agents already registered. */
export interface RegisterAgentFacts {
  readonly idTaken: boolean;
  /** A registered id equal to the new one ignoring ASCII case, if any. */
  readonly lookalike: string | undefined;
  /** The agent already registered with this key's thumbprint, if any. */
  readonly keyHolder: string | undefined;
}

/** An agent id names one agent (case aside), and a key belongs to one agent, so `cnf.jkt` names it. */
export function registerAgentFits(agent: CheckedAgent, facts: RegisterAgentFacts): void {
  if (facts.idTaken) throw conflict("agent.id", `agent ${agent.id} is already registered`);
  if (facts.lookalike !== undefined) {
    throw new StoreError(
      "agent_id_lookalike",
      `agent.id: ${agent.id} differs from the registered agent ${facts.lookalike} only in case; use ${facts.lookalike} or a distinct name`,
      { field: "agent.id" },
    );
  }
  if (facts.keyHolder !== undefined) {
    throw new StoreError(
      "agent_key_in_use",
      `agent.jwk: this key is already registered to ${facts.keyHolder}; give each agent a key of its own (a token's cnf.jkt must name one agent)`,
      { field: "agent.jwk" },
    );
  }
}

// audiences -------------------------------------------------------------------------------------

export interface CheckedAudience {
  readonly id: string;
  readonly secretHash: string;
  readonly name: string | null;
  readonly at: number;
}

export function checkRegisterAudienceInput(input: unknown): CheckedAudience {
  const value = checkObject(input, "audience");
  return {
    id: checkAudienceName(value.id, "audience.id"),
    secretHash: checkSecretHash(value.secretHash, "audience.secretHash"),
    name: checkOptionalText(value.name, "audience.name", MAX_NAME_LENGTH),
    at: checkTime(value.at, "audience.at"),
  };
}

/** An audience is registered once. */
export function registerAudienceFits(audience: CheckedAudience, facts: { readonly idTaken: boolean }): void {
  if (facts.idTaken) throw conflict("audience.id", `audience ${audience.id} is already registered`);
}

// settings --------------------------------------------------------------------------------------

export interface CheckedSetting {
  readonly key: string;
  readonly value: string;
  readonly at: number;
}

export function checkSetSettingInput(key: unknown, value: unknown, at: unknown): CheckedSetting {
  return {
    key: checkSettingKey(key, "key"),
    value: checkSettingValue(value, "value"),
    at: checkTime(at, "at"),
  };
}

// signing keys ----------------------------------------------------------------------------------

export interface CheckedSigningKey {
  readonly kid: string;
  readonly publicJwk: ServicePublicJwk;
  readonly privateKeyPkcs8: string;
  readonly createdAt: number;
}

/**
 * The `alg` values a signing key's public JWK may name on write: the fully specified `Ed25519` of
 * RFC 9864, or the `EdDSA` that keys written before it carry. Either is stored as `Ed25519`.
 */
const SIGNING_KEY_ALGS: ReadonlySet<unknown> = new Set(["Ed25519", "EdDSA"]);

/**
 * A signing key's public JWK must name the same kid, alg `Ed25519` (or the deprecated `EdDSA`)
 * and use sig; it is stored saying `Ed25519`.
 */
export function checkAddSigningKeyInput(input: unknown): CheckedSigningKey {
  const value = checkObject(input, "key");
  const kid = checkKeyId(value.kid, "key.kid");
  const jwk = checkObject(value.publicJwk, "key.publicJwk");
  const key = parseAgentJwk(jwk, "key.publicJwk");
  if (!key.ok) throw invalidInput("key.publicJwk", key.error.message);
  if (jwk.kid !== kid || !SIGNING_KEY_ALGS.has(jwk.alg) || jwk.use !== "sig") {
    throw invalidInput("key.publicJwk", 'must carry kid equal to key.kid, alg "Ed25519" and use "sig"');
  }
  return {
    kid,
    publicJwk: { ...key.value.jwk, kid, alg: "Ed25519", use: "sig" },
    privateKeyPkcs8: checkPrivateKeyMaterial(value.privateKeyPkcs8, "key.privateKeyPkcs8"),
    createdAt: checkTime(value.createdAt, "key.createdAt"),
  };
}

/**
 * A signing key's public JWK as read back from its stored JSON text. A key stored before RFC 9864
 * says `alg: "EdDSA"`; it is read as `Ed25519`, the one `alg` the service publishes and signs with,
 * so an existing store keeps working without a migration.
 */
export function storedSigningKeyJwk(text: string): ServicePublicJwk {
  const jwk = JSON.parse(text) as Omit<ServicePublicJwk, "alg"> & { readonly alg: string };
  return { ...jwk, alg: "Ed25519" };
}

/** A kid names one key for good: tokens it signed are verified by it. */
export function addSigningKeyFits(key: CheckedSigningKey, facts: { readonly kidTaken: boolean }): void {
  if (facts.kidTaken) throw conflict("key.kid", `signing key ${key.kid} already exists`);
}

export interface CheckedRetirement {
  readonly kid: string;
  readonly at: number;
}

export function checkRetireSigningKeyInput(kid: unknown, at: unknown): CheckedRetirement {
  return { kid: checkKeyId(kid, "kid"), at: checkTime(at, "at") };
}

/** What a retirement's transaction read: the key, if it exists. */
export interface RetireSigningKeyFacts {
  readonly key: { readonly retiredAt: number | null } | undefined;
}

/** A key is retired once; a retired key is never re-activated or re-dated. */
export function retireSigningKeyFits(retirement: CheckedRetirement, facts: RetireSigningKeyFacts): void {
  if (facts.key === undefined) throw notFound("kid", `no signing key ${retirement.kid}`);
  if (facts.key.retiredAt !== null) throw conflict("kid", `signing key ${retirement.kid} is already retired`);
}

/** The most changes one `replaceSigningKeyMaterial` call takes. */
export const MAX_KEY_MATERIAL_CHANGES = 10_000;

export interface CheckedKeyMaterialChange {
  readonly kid: string;
  readonly from: string;
  readonly to: string;
}

export function checkReplaceSigningKeyMaterialInput(changes: unknown): CheckedKeyMaterialChange[] {
  if (!Array.isArray(changes) || changes.length > MAX_KEY_MATERIAL_CHANGES)
    throw invalidInput("changes", `must be an array of at most ${MAX_KEY_MATERIAL_CHANGES} changes`);
  return changes.map((change: unknown, i) => {
    const value = checkObject(change, `changes[${i}]`);
    return {
      kid: checkKeyId(value.kid, `changes[${i}].kid`),
      from: checkPrivateKeyMaterial(value.from, `changes[${i}].from`),
      to: checkPrivateKeyMaterial(value.to, `changes[${i}].to`),
    };
  });
}

/**
 * A change applies only to a key that still holds its `from` material, so a concurrent rotation
 * is refused instead of overwritten; the adapter reads whether it does (or tries a conditional update).
 */
export function keyMaterialChangeFits(
  change: CheckedKeyMaterialChange,
  facts: { readonly holdsFrom: boolean },
): void {
  if (!facts.holdsFrom) {
    throw new StoreError("conflict", `changes: signing key ${change.kid} is missing or changed meanwhile`, {
      field: "changes",
    });
  }
}
