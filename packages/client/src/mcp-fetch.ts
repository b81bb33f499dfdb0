/**
 * The agent side of an MCP server behind a Baton gate: a `fetch` for the MCP SDK's
 * `StreamableHTTPClientTransport` (its `fetch` option), v1 and v2 alike.
 */
import type { BatonAgent } from "./baton-agent.ts";

/** The `fetch` shape the MCP SDKs' transports accept. */
export type McpFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Sends every MCP request with the agent's chain (`Authorization: DPoP <chain>`) and a fresh DPoP
 * proof for it. When the answer is a 401 `revalidation_due`, revalidates once through the token
 * service and sends the request again, with the re-issued chain and a new proof.
 *
 * @example
 * const transport = new StreamableHTTPClientTransport(new URL("https://tools.example.com/mcp"), { fetch: mcpFetch(agent) });
 * await new Client({ name: "planner", version: "1.0.0" }).connect(transport);
 */
export function mcpFetch(agent: BatonAgent): McpFetch {
  return async (input, init = {}) => {
    if (input instanceof Request) {
      // The SDKs pass a URL and an init; a Request is read once into the same shape.
      const body = input.body === null ? undefined : await input.text();
      return agent.fetch(input.url, {
        method: input.method,
        headers: input.headers,
        signal: input.signal,
        ...(body === undefined ? {} : { body }),
        ...init,
      });
    }
    return agent.fetch(typeof input === "string" ? input : input.href, init);
  };
}
