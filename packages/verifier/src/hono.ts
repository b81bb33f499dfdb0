/**
 * Baton gates for Hono (`@baton/verifier/hono`; `hono` is a peer dependency). Built on the fetch
 * gate, so parsing, verifying, reporting and refusing live in one place: this file only reads the
 * call from the Hono context and puts the decision on it.
 */
import type { Context, Env, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Decision } from "./decision.ts";
import { createFetchGate, type FetchGate, type FetchGateOptions } from "./fetch.ts";
import { fillTemplate, pathParams, templateParams } from "./path-params.ts";

export type { FetchGateOptions as HonoGateOptions, PublicUrlTarget } from "./fetch.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The decision that let this request through, set by the Baton gate. */
    baton: Decision;
  }
}

/** Raw path parameters: as they appear in the URL, still percent-encoded. */
export type RawParams = Readonly<Record<string, string>>;

/** How one route (or group of routes) maps to a capability check. */
export interface HonoGateRoute<E extends Env = Env> {
  /**
   * `repo.issues.create`, a template such as `repo.{kind}.read`, or a function of the context and
   * the route's raw parameters.
   */
  readonly action: string | ((c: Context<E>, params: RawParams) => string);
  /**
   * A template such as `repo:{owner}/{repo}/issues`, filled from the route's parameters as they
   * appear in the URL (never decoded), or a function of the context and those raw parameters.
   * Prefer the template or `params` to `c.req.param()`, which decodes `%2F` into `/`.
   */
  readonly resource: string | ((c: Context<E>, params: RawParams) => string);
  /** Call arguments the capability limits apply to, read from the request. */
  readonly args?: (c: Context<E>) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Declared facts for policy: how sensitive the action is, whether it can be undone. */
  readonly sensitivity?: "low" | "medium" | "high";
  readonly reversible?: boolean;
}

/** `baton(route)` builds the middleware for one route; the options were given once, at build. */
export interface HonoGate {
  <E extends Env = Env>(route: HonoGateRoute<E>): MiddlewareHandler<E>;
  /**
   * For `app.notFound(baton.unmapped)`: a request no route handles is refused with 403
   * `unmapped_route` and reported, instead of a bare 404.
   */
  readonly unmapped: (c: Context) => Response;
  /** The fetch gate underneath, for handlers that decide their call themselves. */
  readonly fetchGate: FetchGate;
}

function checkTemplate(name: "action" | "resource", value: unknown): void {
  if (typeof value === "function") return;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `${name} is required: a template such as "repo:{owner}/{repo}", or a function of (c, params)`,
    );
  }
  if (templateParams(value).some((param) => param === "")) {
    throw new TypeError(`${name} template ${value} has an empty {}; name the route parameter, e.g. {owner}`);
  }
}

/**
 * Builds the Hono gate once per tool server. Throws a TypeError at build time on a missing or
 * malformed `publicOrigin`, `audience` or verifier; `baton(route)` throws on a missing action or
 * resource. A template naming a parameter its route does not capture throws when the route is
 * first called (Hono answers 500): the route is only known then.
 *
 * @example
 * const baton = createHonoGate({ verifier, audience: "repo-tool", publicOrigin: "https://tools.example.com" });
 * app.get("/repos/:owner/:repo/issues", baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" }),
 *   (c) => c.json({ by: c.get("baton").actor.agent }));
 * app.notFound(baton.unmapped);
 */
export function createHonoGate(options: FetchGateOptions): HonoGate {
  const fetchGate = createFetchGate(options);
  const baton = <E extends Env = Env>(route: HonoGateRoute<E>): MiddlewareHandler<E> => {
    checkTemplate("action", route?.action);
    checkTemplate("resource", route.resource);
    const { args } = route;
    if (args !== undefined && typeof args !== "function") {
      throw new TypeError("args must be a function of the context returning the call's arguments");
    }
    const read = (value: HonoGateRoute<E>["action"], c: Context<E>, pattern: string, params: RawParams) =>
      typeof value === "function" ? value(c, params) : fillTemplate(value, params, pattern);
    return async (c, next) => {
      const pattern = routePath(c);
      const params = pathParams(pattern, new URL(c.req.url).pathname) ?? {};
      const result = await fetchGate(c.req.raw, {
        action: read(route.action, c, pattern, params),
        resource: read(route.resource, c, pattern, params),
        ...(args === undefined ? {} : { args: () => args(c) }),
        ...(route.sensitivity === undefined ? {} : { sensitivity: route.sensitivity }),
        ...(route.reversible === undefined ? {} : { reversible: route.reversible }),
      });
      if (result instanceof Response) return result;
      c.set("baton", result);
      await next();
    };
  };
  return Object.assign(baton, { unmapped: (c: Context) => fetchGate.unmapped(c.req.raw), fetchGate });
}
