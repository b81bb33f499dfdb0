/**
 * The fetch-style gate for tool servers (`@baton/verifier/fetch`): given a standard `Request` and
 * the call it makes, reads `Authorization: DPoP <chain>` and the `DPoP` proof (RFC 9449), re-authorizes
 * the chain and reports the decision, then either hands the allowing decision back or answers
 * 400/401/403 with `application/problem+json` and a `DPoP` challenge (RFC 9449 §7.1). Any Request-based server can use it
 * (Bun.serve, Deno.serve, workerd, itty, Hono through `@baton/verifier/hono`, `node:http` through
 * `@baton/verifier/node`); it imports no framework.
 */
import {
  CHAIN_SCHEME,
  DPOP_CHALLENGE_ALGS,
  isAudience,
  isChainScheme,
  parseAuthorization,
  parseCall,
  type ReasonCode,
} from "@baton/token";
import { argsDigest } from "./args-digest.ts";
import { callFieldProblem } from "./call-bounds.ts";
import type { Verifier } from "./create-verifier.ts";
import { type Decision, NO_PRESENTATION, type Reason } from "./decision.ts";
import type { DecisionSink } from "./decision-sink.ts";

export { fillTemplate, pathParams } from "./path-params.ts";

/** What a `publicUrl` function is told about a request: never its Host header. */
export interface PublicUrlTarget {
  /** `publicOrigin`, normalized (`https://tools.example.com`). */
  readonly origin: string;
  /** The request path as received, still percent-encoded (`/repos/acme/web/issues`). */
  readonly path: string;
  /** The query with its `?`, or "". */
  readonly search: string;
}

/** What the gate needs once per tool server. */
export interface FetchGateOptions {
  readonly verifier: Verifier;
  /** This tool server's audience, as registered: reported with every decision. */
  readonly audience: string;
  /**
   * The origin clients address this tool server at, e.g. `https://tools.example.com`. Required:
   * a DPoP proof's `htu` is checked against this origin plus the request's path and query, never
   * against a URL built from the `Host` header, which the caller chooses (issue 14).
   */
  readonly publicOrigin: string;
  /** Where every decision is reported, e.g. `httpDecisionSink(…)` for `POST /v1/decisions`. */
  readonly sink?: DecisionSink;
  /**
   * For a proxy that rewrites paths: the URL the client addressed, built from the configured
   * origin and the path as received. Default `origin + path + search`.
   */
  readonly publicUrl?: (target: PublicUrlTarget) => string;
}

/** The call one request makes, as the tool server names it. */
export interface GateCall {
  /** e.g. `repo.issues.create`. */
  readonly action: string;
  /**
   * e.g. `repo:acme/web/issues`. Build it from path segments as received (see `pathParams`),
   * never from decoded ones: a decoded `%2F` would name another resource.
   */
  readonly resource: string;
  /**
   * The arguments the capability's limits apply to (a plain JSON object within `CALL_BOUNDS`), or
   * a function giving them, called only once the action and resource are known to be canonical
   * (so a body is not parsed for a call that is refused anyway).
   */
  readonly args?:
    | Record<string, unknown>
    | (() => Record<string, unknown> | Promise<Record<string, unknown>>);
  /** Declared facts for policy: how sensitive the action is, whether it can be undone. */
  readonly sensitivity?: "low" | "medium" | "high";
  readonly reversible?: boolean;
}

/**
 * Decides one request. Resolves to the allowing `Decision`, or to the `Response` to send instead
 * (never rejects for a refused call). Throws a TypeError when the same `Request` is gated twice:
 * mount one gate per route.
 */
export interface FetchGate {
  (request: Request, call: GateCall): Promise<Decision | Response>;
  /**
   * The answer for a request no gated route names: 403 `unmapped_route` (fail closed), reported.
   * Call it where your router finds no route.
   */
  unmapped(request: Request): Response;
  /** The audience given at build, for adapters. */
  readonly audience: string;
}

/** Codes that mean "you may not do this" (403) rather than "your credentials are bad" (401). */
const FORBIDDEN_CODES: ReadonlySet<string> = new Set([
  "unmapped_route",
  "audience_mismatch",
  "action_not_permitted",
  "policy_denied",
  "step_up_required",
]);

/**
 * Checks `publicOrigin` once, at build: an absolute http(s) origin with no user info, path, query
 * or fragment. Returns it normalized (lowercase host, default port dropped).
 */
function checkPublicOrigin(value: unknown): string {
  const problem = new TypeError(
    "publicOrigin is required: the origin clients address this tool server at, such as " +
      '"https://tools.example.com" (http or https; no path, query or fragment)',
  );
  // Scheme, authority, at most a bare trailing slash: nothing a URL parser could reinterpret.
  if (typeof value !== "string" || !/^https?:\/\/[^/?#\\@\s]+\/?$/i.test(value)) throw problem;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw problem;
  }
  return url.origin;
}

/**
 * A decision the gate makes on its own, before the verifier is consulted. One place, so a field
 * added to `Decision` is added here once.
 */
export function refusal(code: ReasonCode, message: string): Decision {
  return {
    decision: "deny",
    reasons: [{ hop: null, code, message }],
    chain: [],
    task: null,
    ...NO_PRESENTATION,
  };
}

/**
 * The `WWW-Authenticate` value of a refusal: the `DPoP` scheme a chain rides in, with the RFC 6750
 * error (`invalid_dpop_proof` when the proof is what failed, RFC 9449 §7.1), the reason code as
 * its description, and the proof algorithms accepted. A request with no credentials at all gets
 * the bare challenge (RFC 6750 §3.1).
 */
function dpopChallenge(error: string | undefined, code: string, resourceMetadata?: string): string {
  const algs = `algs="${DPOP_CHALLENGE_ALGS}"`;
  // RFC 9728 §5.1: where a client finds this resource's metadata (the MCP servers' discovery).
  const metadata = resourceMetadata === undefined ? "" : `, resource_metadata="${resourceMetadata}"`;
  if (error === undefined) return `${CHAIN_SCHEME} ${algs}${metadata}`;
  return `${CHAIN_SCHEME} error="${error}", error_description="${code}", ${algs}${metadata}`;
}

/** How `problem` answers: what the request lacked, and where the resource's metadata is. */
export interface ProblemOptions {
  /** The request carried no credentials at all: the bare challenge (RFC 6750 §3.1). */
  readonly noCredentials?: boolean;
  /** The call itself is malformed: 400 `invalid_request`. */
  readonly badRequest?: boolean;
  /** The RFC 9728 Protected Resource Metadata URL, named in the challenge. */
  readonly resourceMetadata?: string;
  /** Members added to the problem body (an MCP step-up names the approval it needs). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * RFC 9457 problem+json with a `DPoP` challenge, for a decision that is not an allow: 401 when
 * the credentials fail, 403 `insufficient_scope` when they are good but do not reach the call
 * (a step-up included), 400 for a malformed call.
 */
export function problem(
  decision: Decision,
  { noCredentials = false, badRequest = false, resourceMetadata, extra }: ProblemOptions = {},
): Response {
  const first: Reason | undefined = decision.reasons[0];
  const forbidden = decision.reasons.every((reason) => FORBIDDEN_CODES.has(reason.code));
  const status = badRequest ? 400 : forbidden ? 403 : 401;
  const proofRefused = first?.code.startsWith("pop_") === true;
  const error = badRequest
    ? "invalid_request"
    : forbidden
      ? "insufficient_scope"
      : proofRefused
        ? "invalid_dpop_proof"
        : "invalid_token";
  const challenge = dpopChallenge(
    noCredentials ? undefined : error,
    first?.code ?? "denied",
    resourceMetadata,
  );
  return new Response(
    JSON.stringify({
      type: `urn:baton:reason:${first?.code ?? "denied"}`,
      title: decision.decision === "step_up" ? "Approval required" : "Delegation chain refused",
      status,
      detail: first?.message ?? "the request was denied",
      code: first?.code ?? "denied",
      decision: decision.decision,
      reasons: decision.reasons,
      task: decision.task,
      ...extra,
    }),
    {
      status,
      headers: { "content-type": "application/problem+json", "www-authenticate": challenge },
    },
  );
}

/**
 * The chain an `Authorization` header value presents ("" for none: the verifier refuses that), or
 * the refusal of a chain sent as a bearer token: a chain is DPoP-bound, and without its proof's
 * binding it is refused before it is read (RFC 9449 §7.1; issue 17), however valid it is.
 */
export function chainFrom(authorization: string): string | Decision {
  const credentials = parseAuthorization(authorization === "" ? undefined : authorization);
  if (credentials.ok && credentials.value.scheme === "bearer") {
    return refusal(
      "pop_missing",
      `send the chain as Authorization: ${CHAIN_SCHEME} <chain> with a DPoP proof; a chain is never a bearer token`,
    );
  }
  // Anything but exactly one `DPoP <token68>` presents no chain.
  return credentials.ok && isChainScheme(credentials.value.scheme) ? credentials.value.credentials : "";
}

/**
 * Builds the gate. Throws a TypeError at build time on a missing verifier, a missing or
 * malformed `publicOrigin` or `audience`, or a `publicUrl` that is not a function.
 *
 * @example
 * const gate = createFetchGate({ verifier, audience: "repo-tool", publicOrigin: "https://tools.example.com" });
 * Bun.serve({ async fetch(request) {
 *   const params = pathParams("/repos/:owner/:repo/issues", new URL(request.url).pathname);
 *   if (params === undefined || request.method !== "GET") return gate.unmapped(request);
 *   const decision = await gate(request, { action: "repo.issues.read", resource: `repo:${params.owner}/${params.repo}/issues` });
 *   if (decision instanceof Response) return decision;
 *   return Response.json({ issues: [], for: decision.chain.at(-1)?.sub });
 * } });
 */
export function createFetchGate(options: FetchGateOptions): FetchGate {
  const origin = checkPublicOrigin(options.publicOrigin);
  const { verifier, audience, sink, publicUrl } = options;
  if (typeof verifier?.verify !== "function" || typeof verifier.now !== "function") {
    throw new TypeError("verifier is required: createVerifier({issuer, audience, keys, revocations})");
  }
  if (typeof audience !== "string" || audience === "*" || !isAudience(audience)) {
    throw new TypeError("audience is required: this tool server's audience name, as registered");
  }
  if (publicUrl !== undefined && typeof publicUrl !== "function") {
    throw new TypeError("publicUrl must be a function of {origin, path, search}");
  }
  // A second gate on one request would verify its proof twice, and the second time as a replay.
  const gated = new WeakSet<Request>();

  const unmapped = (request: Request): Response => {
    const method = request.method.toUpperCase();
    const { pathname: path } = new URL(request.url);
    const shown = path.length > 256 ? `${path.slice(0, 256)}…` : path;
    // Fail closed with a code of its own: no capability can cover a call nobody named.
    const decision = refusal(
      "unmapped_route",
      `no gated route names ${method} ${shown}; call a gated route, or gate this one`,
    );
    sink?.record({ at: verifier.now(), audience, method, path, decision });
    return problem(decision);
  };

  const gate = async (request: Request, call: GateCall): Promise<Decision | Response> => {
    if (gated.has(request)) {
      throw new TypeError(
        "this request already passed a Baton gate; mount one gate per route (a second one would see its proof as replayed)",
      );
    }
    gated.add(request);
    const method = request.method.toUpperCase();
    // Only the path and query are taken from the request; the origin is configuration.
    const { pathname: path, search } = new URL(request.url);
    const at = verifier.now();
    const { action, resource } = call;
    let digest: string | undefined;
    const report = (decision: Decision) =>
      sink?.record({
        at,
        audience,
        method,
        path,
        action,
        resource,
        ...(digest === undefined ? {} : { argsDigest: digest }),
        decision,
      });

    const parsed = parseCall({ action, resource });
    if (!parsed.ok) {
      // A path the tool cannot name canonically (`%2F`, `..`) is the caller's mistake, not a
      // credential problem: 400, and the chain is never consulted.
      const decision = refusal("malformed", parsed.error.message);
      report(decision);
      return problem(decision, { badRequest: true });
    }
    const args = (typeof call.args === "function" ? await call.args() : call.args) ?? {};
    // Out-of-bounds args are refused by the verifier; digesting them first could exhaust the stack.
    if (callFieldProblem("args", args) === undefined) digest = argsDigest(args);
    const authorization = request.headers.get("authorization") ?? "";
    const chain = chainFrom(authorization);
    if (typeof chain !== "string") {
      report(chain);
      return problem(chain);
    }
    const decision = await verifier.verify({
      chain,
      proof: request.headers.get("dpop") ?? undefined,
      method,
      url: publicUrl?.({ origin, path, search }) ?? `${origin}${path}${search}`,
      now: at,
      action,
      resource,
      args,
      context: {
        ...(call.sensitivity === undefined ? {} : { sensitivity: call.sensitivity }),
        ...(call.reversible === undefined ? {} : { reversible: call.reversible }),
      },
    });
    report(decision);
    return decision.decision === "allow"
      ? decision
      : problem(decision, { noCredentials: authorization === "" });
  };
  return Object.assign(gate, { unmapped, audience });
}
