/**
 * Hono middleware for tool servers: reads `Authorization: Baton <chain>` and `DPoP`, maps the
 * route to an action and a resource through a declarative table, re-authorizes the chain, and
 * either answers 401/403 with `application/problem+json` or puts the decision on the context.
 */
import { isAudience, parseAuthorization, parseCall, type ReasonCode } from "@baton/token";
import type { Context, MiddlewareHandler } from "hono";
import { argsDigest } from "./args-digest.ts";
import type { Verifier } from "./create-verifier.ts";
import { type Decision, NO_PRESENTATION, type Reason } from "./decision.ts";
import type { DecisionSink } from "./decision-sink.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The decision that let this request through, set by the Baton middleware. */
    baton: Decision;
  }
}

/** How one route maps to a capability check. Templates take `{param}` from `:param` segments. */
export interface RouteRule {
  /** HTTP method, or `*` for any. */
  readonly method: string;
  /** Path pattern with `:param` segments, e.g. `/repos/:owner/:repo/issues`. */
  readonly path: string;
  /** Action template, e.g. `repo.issues.create`. */
  readonly action: string;
  /** Resource template, e.g. `repo:{owner}/{repo}/issues`. */
  readonly resource: string;
  /** Call arguments the capability limits apply to, read from the request. */
  readonly args?: (c: Context) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Declared facts for policy: how sensitive the action is, whether it can be undone. */
  readonly sensitivity?: "low" | "medium" | "high";
  readonly reversible?: boolean;
}

/** What a `publicUrl` function is told about a request: never its Host header. */
export interface PublicUrlTarget {
  /** `publicOrigin`, normalized (`https://tools.example.com`). */
  readonly origin: string;
  /** The request path as received, still percent-encoded (`/repos/acme/web/issues`). */
  readonly path: string;
  /** The query with its `?`, or "". */
  readonly search: string;
}

export interface BatonMiddlewareOptions {
  readonly verifier: Verifier;
  readonly routes: readonly RouteRule[];
  /** Audience name reported with decisions. */
  readonly audience: string;
  /**
   * The origin clients address this tool server at, e.g. `https://tools.example.com`. Required:
   * a DPoP proof's `htu` is checked against this origin plus the request's path and query, never
   * against a URL built from the `Host` header, which the caller chooses (issue 14).
   */
  readonly publicOrigin: string;
  readonly sink?: DecisionSink;
  /**
   * For a proxy that rewrites paths: the URL the client addressed, built from the configured
   * origin and the path as received. Default `origin + path + search`.
   */
  readonly publicUrl?: (target: PublicUrlTarget) => string;
}

interface CompiledRule {
  readonly rule: RouteRule;
  readonly method: string;
  readonly segments: readonly string[];
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
 * A decision the middleware makes on its own, before the verifier is consulted. One place, so a
 * field added to `Decision` is added here once.
 */
function refusal(code: ReasonCode, message: string): Decision {
  return {
    decision: "deny",
    reasons: [{ hop: null, code, message }],
    chain: [],
    task: null,
    ...NO_PRESENTATION,
  };
}

function compile(rule: RouteRule): CompiledRule {
  if (!rule.path.startsWith("/")) throw new TypeError(`route path ${rule.path} must start with /`);
  for (const template of [rule.action, rule.resource]) {
    for (const [, name] of template.matchAll(/\{([^}]*)\}/g)) {
      if (!rule.path.split("/").includes(`:${name}`)) {
        throw new TypeError(`template ${template} uses {${name}}, which ${rule.path} does not capture`);
      }
    }
  }
  return { rule, method: rule.method.toUpperCase(), segments: rule.path.split("/") };
}

function match(compiled: CompiledRule, method: string, path: string): Record<string, string> | undefined {
  if (compiled.method !== "*" && compiled.method !== method) return undefined;
  const parts = path.split("/");
  if (parts.length !== compiled.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of compiled.segments.entries()) {
    const part = parts[i] ?? "";
    if (segment.startsWith(":")) {
      if (part.length === 0) return undefined;
      params[segment.slice(1)] = part;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}

function fill(template: string, params: Record<string, string>): string {
  // Raw (still percent-encoded) path segments go in as they are: the scope grammar refuses `%`,
  // so an encoded slash or dot can never be decoded into a different resource.
  return template.replace(/\{([^}]*)\}/g, (_, name: string) => params[name] ?? "");
}

function problem(
  c: Context,
  decision: Decision,
  sinkReport: () => void,
  { noCredentials = false, badRequest = false } = {},
): Response {
  sinkReport();
  const first: Reason | undefined = decision.reasons[0];
  const forbidden = decision.reasons.every((reason) => FORBIDDEN_CODES.has(reason.code));
  const status = badRequest ? 400 : forbidden ? 403 : 401;
  const error = badRequest ? "invalid_request" : forbidden ? "insufficient_scope" : "invalid_token";
  // RFC 6750 §3.1: a request with no credentials at all gets a bare challenge, no error code.
  const challenge = [
    noCredentials ? "Baton" : `Baton error="${error}", error_description="${first?.code ?? "denied"}"`,
  ];
  if (decision.reasons.some((reason) => reason.code.startsWith("pop_"))) challenge.push('DPoP algs="EdDSA"');
  c.header("WWW-Authenticate", challenge.join(", "));
  c.header("Content-Type", "application/problem+json");
  return c.body(
    JSON.stringify({
      type: `urn:baton:reason:${first?.code ?? "denied"}`,
      title: decision.decision === "step_up" ? "Approval required" : "Delegation chain refused",
      status,
      detail: first?.message ?? "the request was denied",
      code: first?.code ?? "denied",
      decision: decision.decision,
      reasons: decision.reasons,
      task: decision.task,
    }),
    status,
  );
}

/**
 * Builds the middleware. Throws a TypeError at build time on a missing or malformed
 * `publicOrigin` or `audience`, and on a route whose templates name a parameter its path does not
 * capture. A request that matches no route is refused with `unmapped_route` (fail closed).
 *
 * @example
 * app.use("*", batonMiddleware({ verifier, audience: "repo-tool", publicOrigin: "https://tools.example.com", routes: [
 *   { method: "POST", path: "/repos/:owner/:repo/issues", action: "repo.issues.create", resource: "repo:{owner}/{repo}/issues" },
 * ] }));
 */
export function batonMiddleware(options: BatonMiddlewareOptions): MiddlewareHandler {
  const origin = checkPublicOrigin(options.publicOrigin);
  if (typeof options.verifier?.verify !== "function" || typeof options.verifier.now !== "function") {
    throw new TypeError("verifier is required: createVerifier({issuer, audience, keys, revocations})");
  }
  if (typeof options.audience !== "string" || options.audience === "*" || !isAudience(options.audience)) {
    throw new TypeError("audience is required: this tool server's audience name, as registered");
  }
  if (options.publicUrl !== undefined && typeof options.publicUrl !== "function") {
    throw new TypeError("publicUrl must be a function of {origin, path, search}");
  }
  const rules = options.routes.map(compile);
  return async (c, next) => {
    const method = c.req.method.toUpperCase();
    // Only the path and query are taken from the request; the origin is configuration.
    const { pathname: path, search } = new URL(c.req.url);
    const at = options.verifier.now();
    let params: Record<string, string> | undefined;
    const found = rules.find((candidate) => {
      params = match(candidate, method, path);
      return params !== undefined;
    });
    const authorization = c.req.header("authorization") ?? "";
    const credentials = parseAuthorization(authorization === "" ? undefined : authorization);
    // Anything but exactly one `Baton <token68>` presents no chain, and the verifier refuses that.
    const chain = credentials.ok && credentials.value.scheme === "baton" ? credentials.value.credentials : "";
    const rule = found?.rule;
    const action = rule === undefined ? undefined : fill(rule.action, params ?? {});
    const resource = rule === undefined ? undefined : fill(rule.resource, params ?? {});
    let digest: string | undefined;
    const report = (decision: Decision) => () =>
      options.sink?.record({
        at,
        audience: options.audience,
        method,
        path,
        action,
        resource,
        ...(digest === undefined ? {} : { argsDigest: digest }),
        decision,
      });

    if (rule === undefined || action === undefined || resource === undefined) {
      // Fail closed with a code of its own: no capability can cover a call nobody named.
      const shown = path.length > 256 ? `${path.slice(0, 256)}…` : path;
      const decision = refusal(
        "unmapped_route",
        `the route table has no rule for ${method} ${shown}; call a mapped route, or add a rule for it`,
      );
      return problem(c, decision, report(decision));
    }
    const call = parseCall({ action, resource });
    if (!call.ok) {
      // A path the tool cannot name canonically (`%2F`, `..`) is the caller's mistake, not a
      // credential problem: 400, and the chain is never consulted.
      const decision = refusal("malformed", call.error.message);
      return problem(c, decision, report(decision), { badRequest: true });
    }
    const args = rule.args === undefined ? {} : await rule.args(c);
    digest = argsDigest(args);
    const decision = await options.verifier.verify({
      chain,
      proof: c.req.header("dpop"),
      method,
      url: options.publicUrl?.({ origin, path, search }) ?? `${origin}${path}${search}`,
      now: at,
      action,
      resource,
      args,
      context: {
        ...(rule.sensitivity === undefined ? {} : { sensitivity: rule.sensitivity }),
        ...(rule.reversible === undefined ? {} : { reversible: rule.reversible }),
      },
    });
    if (decision.decision !== "allow")
      return problem(c, decision, report(decision), { noCredentials: authorization === "" });
    report(decision)();
    c.set("baton", decision);
    await next();
  };
}
