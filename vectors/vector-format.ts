/**
 * The shape of `baton-vectors.json`, as README.md describes it. Implementation-neutral: plain
 * JSON values only, nothing that names a Baton function.
 */

/** `null` for a reason that belongs to no single hop (the chain as a whole, the call, the verifier). */
export type Hop = number | null;

/** One expected reason: the hop it is attributed to (0 = root grant) and its stable code. */
export interface ExpectedReason {
  readonly hop: Hop;
  readonly code: string;
}

export interface ExpectedDecision {
  readonly decision: "allow" | "deny" | "step_up";
  /** The set of distinct (hop, code) pairs; order and repetitions carry no meaning. */
  readonly reasons: readonly ExpectedReason[];
}

/** What the verifier's revocation source says: when it was last complete, and what it holds. */
export interface RevocationView {
  /** Seconds since the epoch; `null` when the view was never loaded. */
  readonly synced_at: number | null;
  /** Revoked delegation ids (`did`); the service puts closed tasks and disabled agents here too. */
  readonly revoked: readonly string[];
}

/** The runtime policy's answer for a call that passed every other check; `null`: no policy. */
export type PolicyAnswer =
  | null
  | { readonly decision: "allow" | "deny" | "step_up"; readonly policies?: readonly string[] }
  /** The policy engine failed: the call must be refused (`internal`), never allowed. */
  | { readonly decision: "error" };

/** Everything a verifier needs besides the keys and the request. */
export interface VerifierEnvironment {
  readonly issuer: string;
  /** This tool server's audience; the leaf's `aud` must include it (or `*`). */
  readonly audience: string;
  /** The origin the tool server is reached at; a proof's `htu` is compared with `request.url`, which is under it. */
  readonly public_origin: string;
  /** The verifier's clock, seconds since the epoch. */
  readonly now: number;
  readonly clock_skew_seconds: number;
  readonly max_chain_length: number;
  readonly max_token_bytes: number;
  readonly proof_max_age_seconds: number;
  /** Bounds on the call's arguments; beyond them a call is `malformed` before the chain is read. */
  readonly call_bounds: {
    /** Nesting levels of arrays and objects, `args` itself being level 1. */
    readonly max_depth: number;
    /** Object members and array elements, over the whole value. */
    readonly max_members: number;
    /** Size as JSON, in UTF-16 code units. */
    readonly max_json_length: number;
  };
  /** A revocation view older than this (now − synced_at) is stale: `revocation_unknown`. */
  readonly max_staleness_seconds: number;
  readonly revocation: RevocationView;
  readonly policy: PolicyAnswer;
  /** DPoP proof `jti`s this verifier already accepted inside the replay window. */
  readonly seen_proof_jtis: readonly string[];
}

export interface VectorRequest {
  readonly method: string;
  /** Absolute URL under `public_origin`: what the proof's `htu` must match. */
  readonly url: string;
  readonly action: string;
  readonly resource: string;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface VectorCase {
  /** Stable, unique, `group/what` (kebab-case). */
  readonly name: string;
  readonly description: string;
  /** The attack family or `valid`. */
  readonly group: string;
  /** The presented chain, exactly as it travels in `Authorization: DPoP <chain>`. */
  readonly chain: string;
  readonly request: VectorRequest;
  /** The `DPoP` header value, or `null` when the request carries none. */
  readonly proof: string | null;
  /** Members that replace those of the file's `verifier` for this case only. */
  readonly environment?: Partial<VerifierEnvironment>;
  readonly expected: ExpectedDecision;
}

/** A public key as the service publishes it, and its private half (test keys: published on purpose). */
export interface KeyRecord {
  readonly seed_hex: string;
  readonly public_jwk: Readonly<Record<string, string>>;
  readonly thumbprint: string;
}

export interface VectorFile {
  readonly format: "baton-conformance-vectors";
  readonly version: 1;
  readonly description: string;
  /** How the chain and proof travel (DESIGN.md "Presenting a chain"). */
  readonly authorization: string;
  readonly dpop_header: string;
  /** The service's JWKS, as served at /.well-known/jwks.json. */
  readonly jwks: { readonly keys: readonly Readonly<Record<string, string>>[] };
  readonly service_keys: Readonly<Record<string, KeyRecord>>;
  readonly agents: Readonly<Record<string, KeyRecord>>;
  readonly verifier: VerifierEnvironment;
  readonly reason_codes: {
    readonly covered: readonly string[];
    readonly out_of_reach: Readonly<Record<string, string>>;
  };
  readonly cases: readonly VectorCase[];
}
