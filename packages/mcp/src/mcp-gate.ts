/**
 * The gate in front of an MCP server's Streamable HTTP endpoint. Every HTTP request presents the
 * chain (`Authorization: DPoP <t0~…~tn>`) and a fresh DPoP proof whose `htu` is the endpoint's
 * configured public URL. A request that names a call (`tools/call`, `resources/read`,
 * `prompts/get`) is re-authorized as that call, on its own: action and resource mapped from the
 * tool and its arguments, `lim` checked against the arguments, policy told the tool's declared
 * sensitivity and reversibility. Anything else (`initialize`, `tools/list`, notifications, the GET
 * stream) authenticates the presenter only. So a revocation or a due revalidation stops the next
 * request of an open session, whatever it is.
 *
 * Faces: `fetch` for web-standard servers (the v2 SDK's `createMcpHandler(...).fetch(request,
 * {authInfo})`), `node` for `node:http` servers (the v1 SDK's `transport.handleRequest(req, res,
 * body)` with `req.auth`). Both serve RFC 9728 Protected Resource Metadata.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  allowsAction,
  DEFAULT_MAX_TOKEN_BYTES,
  DPOP_PROOF_ALGS,
  decodeChain,
  decodeToken,
  isAudience,
  parseTokenPayload,
  type TokenClaims,
} from "@baton/token";
import {
  argsDigest,
  callFieldProblem,
  type Decision,
  type DecisionSink,
  type Verifier,
} from "@baton/verifier";
import { chainFrom, problem, refusal } from "@baton/verifier/fetch";
import { errorMessage, filterToolsList, type McpMessage, readMessage, resultMessage } from "./json-rpc.ts";

/** How one tool, prompt or resource maps to a Baton call. Unset fields take the defaults. */
export interface McpCallRule {
  /** The Baton action, e.g. `repo.issues.create`. Default `mcp.tools.<name>` (`mcp.prompts.<name>`). */
  readonly action?: string;
  /**
   * The resource, a template over the call's arguments: `repo:{owner}/{repo}`. A `{name}` whose
   * argument is missing, or not a string or number, refuses the call (`malformed`). Default
   * `mcp:tools/<name>` (`mcp:prompts/<name>`).
   */
  readonly resource?: string;
  /** Declared facts for policy. */
  readonly sensitivity?: "low" | "medium" | "high";
  readonly reversible?: boolean;
}

/** What the gate needs once per MCP endpoint. */
export interface McpGateOptions {
  readonly verifier: Verifier;
  /** This MCP server's audience, as registered: a leaf's `aud` must name it. */
  readonly audience: string;
  /**
   * The URL clients address the MCP endpoint at, e.g. `https://tools.example.com/mcp`: every
   * proof's `htu` is compared with it, never with a URL built from the request's `Host` header.
   * It is also the `resource` of the Protected Resource Metadata.
   */
  readonly resourceUrl: string;
  /** The Baton token service's issuer URL(s), published as `authorization_servers`. */
  readonly authorizationServers: readonly string[];
  /** Tool name → call rule. A tool not listed gets the defaults. */
  readonly tools?: Readonly<Record<string, McpCallRule>>;
  /** Prompt name → call rule. */
  readonly prompts?: Readonly<Record<string, McpCallRule>>;
  /**
   * The call a `resources/read` of `uri` makes. Default: action `mcp.resources.read` on the URI
   * itself (which must then be a canonical Baton resource, `scheme:path`).
   */
  readonly resources?: (uri: string) => McpCallRule;
  /** Where every call (and every refused request) is reported. */
  readonly sink?: DecisionSink;
  /** Upper bound on a POST body, in bytes. Default 4 MiB, as the SDKs. */
  readonly maxBodyBytes?: number;
}

/** The SDKs' `AuthInfo` (v1 `@modelcontextprotocol/sdk`, v2 `@modelcontextprotocol/server`). */
export interface BatonAuthInfo {
  readonly token: string;
  /** The leaf holder: who presented the chain with its proof. */
  readonly clientId: string;
  readonly scopes: string[];
  /** The earliest `exp` in the chain, seconds. */
  readonly expiresAt: number;
  readonly resource: URL;
  readonly extra: { readonly baton: { readonly decision: Decision; readonly chain: readonly TokenClaims[] } };
}

/** A web-standard MCP handler, as the v2 SDK's `createMcpHandler(...).fetch`. */
export type McpFetchHandler = (
  request: Request,
  options: { authInfo: BatonAuthInfo; parsedBody?: unknown },
) => Promise<Response>;

/** A `node:http` MCP handler, as the v1 SDK's `transport.handleRequest(req, res, parsedBody)`. */
export type McpNodeHandler = (
  req: IncomingMessage & { auth: BatonAuthInfo },
  res: ServerResponse,
  parsedBody: unknown,
) => Promise<void>;

export interface McpGate {
  /** Serves the metadata, refuses, or hands the request on with its `authInfo`. */
  fetch(request: Request, next: McpFetchHandler): Promise<Response>;
  /** The same for `node:http`: `req.auth` is set before `next` runs. */
  node(req: IncomingMessage, res: ServerResponse, next: McpNodeHandler): Promise<void>;
  /** RFC 9728 Protected Resource Metadata. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Its path: `/.well-known/oauth-protected-resource` + the endpoint's path. */
  readonly metadataPath: string;
}

/** What the gate concluded about one request. */
type Outcome =
  | {
      readonly pass: true;
      readonly authInfo: BatonAuthInfo;
      /** For `tools/list`: the names of the tools this chain could call. */
      readonly listFilter?: { readonly id: string | number; readonly visible: (name: string) => boolean };
    }
  | { readonly pass: false; readonly response: Response };

/** A JSON-RPC error code for a call Baton refused (in the implementation-defined range). */
export const BATON_DENIED = -32003;

const TEMPLATE_PARAM = /\{([^{}]*)\}/g;

/** The resource a template names for these arguments, or the name of the argument it lacks. */
function fillResource(
  template: string,
  args: Readonly<Record<string, unknown>>,
): string | { missing: string } {
  let missing: string | undefined;
  const filled = template.replace(TEMPLATE_PARAM, (_, name: string) => {
    const value = args[name];
    if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value)))
      return String(value);
    missing ??= name;
    return "";
  });
  return missing === undefined ? filled : { missing };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The call a JSON-RPC request names, or undefined for one that names none. */
interface NamedCall {
  readonly label: string;
  readonly action: string;
  readonly template: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly rule: McpCallRule;
}

function checkResourceUrl(value: unknown): URL {
  const problemText =
    'resourceUrl is required: the URL clients address the MCP endpoint at, such as "https://tools.example.com/mcp" (http or https; no query or fragment)';
  if (typeof value !== "string") throw new TypeError(problemText);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(problemText);
  }
  if (!/^https?:$/.test(url.protocol) || url.search !== "" || url.hash !== "" || url.username !== "") {
    throw new TypeError(problemText);
  }
  return url;
}

/**
 * Builds the gate. Throws a TypeError at build time on a missing verifier, audience, resource URL
 * or authorization server.
 *
 * @example
 * const gate = createMcpGate({ verifier, audience: "repo-tool", resourceUrl: "https://tools.example.com/mcp",
 *   authorizationServers: ["https://baton.example.com"], tools: { create_issue: { action: "repo.issues.create", resource: "repo:{owner}/{repo}" } } });
 * Bun.serve({ fetch: (request) => gate.fetch(request, (request, { authInfo }) => mcp.fetch(request, { authInfo })) });
 */
export function createMcpGate(options: McpGateOptions): McpGate {
  const { verifier, audience, sink } = options;
  if (typeof verifier?.verify !== "function" || typeof verifier.authenticate !== "function") {
    throw new TypeError("verifier is required: createVerifier({issuer, audience, keys, revocations})");
  }
  if (typeof audience !== "string" || audience === "*" || !isAudience(audience)) {
    throw new TypeError("audience is required: this MCP server's audience name, as registered");
  }
  const resourceUrl = checkResourceUrl(options.resourceUrl);
  const htu = resourceUrl.href;
  const servers = options.authorizationServers;
  if (
    !Array.isArray(servers) ||
    servers.length === 0 ||
    !servers.every((server) => typeof server === "string")
  ) {
    throw new TypeError("authorizationServers is required: the Baton token service's issuer URL(s)");
  }
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const endpointPath = resourceUrl.pathname === "/" ? "" : resourceUrl.pathname.replace(/\/$/, "");
  const metadataPath = `/.well-known/oauth-protected-resource${endpointPath}`;
  const metadataUrl = `${resourceUrl.origin}${metadataPath}`;
  const metadata = Object.freeze({
    resource: htu,
    authorization_servers: [...servers],
    bearer_methods_supported: ["header"],
    dpop_bound_access_tokens_required: true,
    dpop_signing_alg_values_supported: [...DPOP_PROOF_ALGS],
  });

  const callOf = (message: McpMessage & { kind: "request" }): NamedCall | undefined => {
    const { method, params } = message;
    const args = isRecord(params.arguments) ? params.arguments : {};
    if (method === "tools/call") {
      const name = typeof params.name === "string" ? params.name : "";
      const rule = (Object.hasOwn(options.tools ?? {}, name) ? options.tools?.[name] : undefined) ?? {};
      return {
        label: `tools/call/${name}`,
        action: rule.action ?? `mcp.tools.${name}`,
        template: rule.resource ?? `mcp:tools/${name}`,
        args,
        rule,
      };
    }
    if (method === "prompts/get") {
      const name = typeof params.name === "string" ? params.name : "";
      const rule = (Object.hasOwn(options.prompts ?? {}, name) ? options.prompts?.[name] : undefined) ?? {};
      return {
        label: `prompts/get/${name}`,
        action: rule.action ?? `mcp.prompts.${name}`,
        template: rule.resource ?? `mcp:prompts/${name}`,
        args,
        rule,
      };
    }
    if (method === "resources/read") {
      const uri = typeof params.uri === "string" ? params.uri : "";
      const rule = options.resources?.(uri) ?? {};
      // The URI is the template's only argument; braces in it are never a template.
      return {
        label: "resources/read",
        action: rule.action ?? "mcp.resources.read",
        template: rule.resource ?? uri.replace(/[{}]/g, "%"),
        args: {},
        rule,
      };
    }
    return undefined;
  };

  const authInfoOf = (chain: string, decision: Decision): BatonAuthInfo => {
    const claims: TokenClaims[] = [];
    // Every hop verified just now; these reads cannot fail, and are kept total anyway.
    const tokens = decodeChain(chain, { maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES, maxTokens: 64 });
    for (const token of tokens.ok ? tokens.value : []) {
      const decoded = decodeToken(token);
      const parsed = decoded.ok ? parseTokenPayload(decoded.value) : undefined;
      if (parsed?.ok === true) claims.push(parsed.value);
    }
    const leaf = claims.at(-1);
    return {
      token: chain,
      clientId: decision.actor.agent ?? leaf?.sub ?? "",
      scopes: (leaf?.cap ?? []).map((cap) => `${cap.act}=${cap.res}`),
      expiresAt: Math.min(...claims.map((hop) => hop.exp)),
      resource: new URL(htu),
      extra: { baton: { decision, chain: claims } },
    };
  };

  /** An MCP answer to a refused call: a tool error result, or a JSON-RPC error. */
  const deniedCall = (message: McpMessage & { kind: "request" }, decision: Decision): Response => {
    const first = decision.reasons[0];
    const code = first?.code ?? "denied";
    const text = `Baton refused this call (${code}): ${first?.message ?? "denied"}`;
    const baton = { decision: decision.decision, code, reasons: decision.reasons };
    const body =
      message.method === "tools/call"
        ? resultMessage(message.id, {
            content: [{ type: "text", text }],
            isError: true,
            structuredContent: { baton },
            _meta: { "baton/decision": baton },
          })
        : errorMessage(message.id, BATON_DENIED, text, { baton });
    return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  };

  const decide = async (request: Request, body: unknown): Promise<Outcome> => {
    const method = request.method.toUpperCase();
    const path = new URL(request.url).pathname;
    const at = verifier.now();
    const authorization = request.headers.get("authorization") ?? "";
    const proof = request.headers.get("dpop") ?? undefined;
    const message = readMessage(body);
    const refuse = (decision: Decision, extra?: Record<string, unknown>): Outcome => ({
      pass: false,
      response: problem(decision, {
        noCredentials: authorization === "",
        resourceMetadata: metadataUrl,
        ...(extra === undefined ? {} : { extra }),
      }),
    });
    if (message.kind === "batch") {
      const decision = refusal(
        "malformed",
        "send one JSON-RPC request per POST: a batch cannot be re-authorized call by call",
      );
      sink?.record({ at, audience, method, path, decision });
      return {
        pass: false,
        response: problem(decision, { badRequest: true, resourceMetadata: metadataUrl }),
      };
    }
    const chain = chainFrom(authorization);
    const named = message.kind === "request" ? callOf(message) : undefined;

    if (named === undefined || message.kind !== "request") {
      const decision =
        typeof chain === "string"
          ? await verifier.authenticate({ chain, proof, method, url: htu, now: at })
          : chain;
      if (decision.decision !== "allow") {
        sink?.record({ at, audience, method, path, decision });
        return refuse(decision);
      }
      const authInfo = authInfoOf(chain as string, decision);
      if (message.kind === "request" && message.method === "tools/list") {
        const caps = authInfo.extra.baton.chain.at(-1)?.cap ?? [];
        const visible = (name: string) => {
          const rule = Object.hasOwn(options.tools ?? {}, name) ? options.tools?.[name] : undefined;
          return allowsAction(caps, rule?.action ?? `mcp.tools.${name}`);
        };
        return { pass: true, authInfo, listFilter: { id: message.id, visible } };
      }
      return { pass: true, authInfo };
    }

    // A call the resource template cannot be filled for is the caller's mistake, told as the call's
    // own error once the presenter is known; an unknown presenter hears only about its credentials.
    const missingArgument = async (chain: string, template: string, missing: string): Promise<Decision> => {
      const presenter = await verifier.authenticate({ chain, proof, method, url: htu, now: at });
      if (presenter.decision !== "allow") return presenter;
      const { reasons } = refusal(
        "malformed",
        `the call has no string or number argument ${missing} for its resource ${template}; send it`,
      );
      return { ...presenter, decision: "deny", reasons };
    };

    // A call: re-authorized as its own event, and reported whatever the outcome.
    const filled = fillResource(named.template, named.args);
    const resource = typeof filled === "string" ? filled : named.template;
    const digest = callFieldProblem("args", named.args) === undefined ? argsDigest(named.args) : undefined;
    const report = (decision: Decision) =>
      sink?.record({
        at,
        audience,
        method,
        // The JSON-RPC method and tool ride as a fragment: no request path can carry one.
        path: `${path}#${named.label}`,
        action: named.action,
        resource,
        ...(digest === undefined ? {} : { argsDigest: digest }),
        decision,
      });
    if (typeof chain !== "string") {
      report(chain);
      return refuse(chain);
    }
    const decision =
      typeof filled === "string"
        ? await verifier.verify({
            chain,
            proof,
            method,
            url: htu,
            now: at,
            action: named.action,
            resource,
            args: named.args,
            context: {
              ...(named.rule.sensitivity === undefined ? {} : { sensitivity: named.rule.sensitivity }),
              ...(named.rule.reversible === undefined ? {} : { reversible: named.rule.reversible }),
              mcp: {
                method: message.method,
                ...(message.method === "resources/read" ? {} : { name: named.label.split("/")[2] }),
              },
            },
          })
        : await missingArgument(chain, named.template, filled.missing);
    report(decision);
    if (decision.decision === "allow") return { pass: true, authInfo: authInfoOf(chain, decision) };
    if (decision.decision === "step_up") {
      const leaf = decision.chain.at(-1);
      // The approval an operator must grant: this delegation, this action, this resource.
      return refuse(decision, { approval: { did: leaf?.did ?? null, action: named.action, resource } });
    }
    // Credentials that fail (revoked, expired, revalidation due, a bad proof) are the transport's
    // 401; a good chain that does not reach this call is the call's own error result.
    const callLevel =
      decision.actor.proven && decision.reasons.every((reason) => CALL_CODES.has(reason.code));
    return callLevel ? { pass: false, response: deniedCall(message, decision) } : refuse(decision);
  };

  const metadataResponse = () =>
    new Response(JSON.stringify(metadata), {
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "max-age=300" },
    });

  const tooLarge = () =>
    new Response(errorMessage(null, -32600, `the request body is over ${maxBodyBytes} bytes`), {
      status: 413,
      headers: { "content-type": "application/json" },
    });

  const parseBody = (text: string): unknown => {
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };

  return {
    metadata,
    metadataPath,
    async fetch(request, next) {
      const { pathname } = new URL(request.url);
      if (pathname === metadataPath && request.method.toUpperCase() === "GET") return metadataResponse();
      let text = "";
      if (request.method.toUpperCase() === "POST") {
        // A declared length over the bound is refused before a byte is read.
        if (Number(request.headers.get("content-length") ?? 0) > maxBodyBytes) return tooLarge();
        text = await request.text();
        if (new TextEncoder().encode(text).length > maxBodyBytes) return tooLarge();
      }
      const body = parseBody(text);
      const outcome = await decide(request, body);
      if (!outcome.pass) return outcome.response;
      const forwarded =
        request.method.toUpperCase() === "POST"
          ? new Request(request.url, { method: request.method, headers: request.headers, body: text })
          : request;
      const response = await next(forwarded, {
        authInfo: outcome.authInfo,
        ...(body === undefined ? {} : { parsedBody: body }),
      });
      const filter = outcome.listFilter;
      if (filter === undefined || response.body === null) return response;
      const filtered = filterToolsList(await response.text(), filter.id, filter.visible);
      const headers = new Headers(response.headers);
      headers.delete("content-length");
      return new Response(filtered, { status: response.status, headers });
    },
    async node(req, res, next) {
      const url = new URL(req.url ?? "/", resourceUrl.origin);
      const method = (req.method ?? "GET").toUpperCase();
      const send = async (response: Response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      };
      if (url.pathname === metadataPath && method === "GET") return send(metadataResponse());
      let text = "";
      // Behind a body parser (`express.json()`) the stream is drained and `req.body` holds it.
      const parsed = (req as IncomingMessage & { body?: unknown }).body;
      if (method === "POST" && parsed !== undefined) {
        text = typeof parsed === "string" ? parsed : JSON.stringify(parsed);
      } else if (method === "POST") {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
          size += (chunk as Buffer).length;
          if (size > maxBodyBytes) return send(tooLarge());
          chunks.push(chunk as Buffer);
        }
        text = Buffer.concat(chunks).toString("utf8");
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const one of value) headers.append(name, one);
      }
      const body = parseBody(text);
      const outcome = await decide(new Request(url, { method, headers }), body);
      if (!outcome.pass) return send(outcome.response);
      const filter = outcome.listFilter;
      if (filter !== undefined)
        bufferAndFilter(res, (all) => filterToolsList(all, filter.id, filter.visible));
      return next(Object.assign(req, { auth: outcome.authInfo }), res, body);
    },
  };
}

/** Denials about the call itself, once the chain and its proof are good: an MCP error result. */
const CALL_CODES: ReadonlySet<string> = new Set(["action_not_permitted", "policy_denied", "malformed"]);

/**
 * Holds a `node:http` response's body until it ends, then writes `transform(body)`: for the one
 * `tools/list` answer per request, which the SDK writes as JSON or as a short SSE stream.
 */
function bufferAndFilter(res: ServerResponse, transform: (body: string) => string): void {
  const chunks: string[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const writeHead = res.writeHead.bind(res);
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest.find((arg) => isRecord(arg)) as Record<string, unknown> | undefined;
    if (headers !== undefined) {
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === "content-length") delete headers[name];
    }
    res.removeHeader("content-length");
    return writeHead(status, ...(rest as []));
  }) as typeof res.writeHead;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && chunk !== null)
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    }
    const body = transform(chunks.join(""));
    if (!res.headersSent) res.removeHeader("content-length");
    write(body);
    return end(...(rest.filter((arg) => typeof arg === "function") as []));
  }) as typeof res.end;
}
