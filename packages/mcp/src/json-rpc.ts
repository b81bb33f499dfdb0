/**
 * What one MCP HTTP request asks for, read from its JSON-RPC body, and the JSON-RPC answers the
 * gate gives itself. Pure.
 */

/** The one JSON-RPC request a POST carries, or what else it is. */
export type McpMessage =
  | {
      readonly kind: "request";
      readonly id: string | number;
      readonly method: string;
      readonly params: Readonly<Record<string, unknown>>;
    }
  /** Notifications, responses, or nothing at all (a GET stream, a DELETE): they name no call. */
  | { readonly kind: "other" }
  /** Several requests in one POST: removed from MCP in 2025-06-18, and one proof cannot cover them. */
  | { readonly kind: "batch" };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asRequest(value: unknown): McpMessage {
  if (!isRecord(value) || typeof value.method !== "string") return { kind: "other" };
  const { id } = value;
  if (typeof id !== "string" && typeof id !== "number") return { kind: "other" };
  return { kind: "request", id, method: value.method, params: isRecord(value.params) ? value.params : {} };
}

/** Reads a parsed POST body (or undefined for a request without one). */
export function readMessage(body: unknown): McpMessage {
  if (!Array.isArray(body)) return asRequest(body);
  const requests = body.map(asRequest).filter((message) => message.kind === "request");
  if (requests.length === 0) return { kind: "other" };
  return body.length === 1 ? (requests[0] as McpMessage) : { kind: "batch" };
}

/** A JSON-RPC response body with the given result. */
export function resultMessage(id: string | number, result: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, result });
}

/** A JSON-RPC error body. */
export function errorMessage(
  id: string | number | null,
  code: number,
  message: string,
  data?: unknown,
): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    error: { code, message, ...(data === undefined ? {} : { data }) },
  });
}

/**
 * Rewrites the `tools/list` result for request `id` in a response body, JSON or SSE, keeping only
 * the tools `visible` names. Everything else passes unchanged.
 */
export function filterToolsList(
  text: string,
  id: string | number,
  visible: (name: string) => boolean,
): string {
  const rewrite = (json: string): string => {
    let message: unknown;
    try {
      message = JSON.parse(json);
    } catch {
      return json;
    }
    if (!isRecord(message) || message.id !== id || !isRecord(message.result)) return json;
    const { tools } = message.result;
    if (!Array.isArray(tools)) return json;
    const shown = tools.filter(
      (tool) => isRecord(tool) && typeof tool.name === "string" && visible(tool.name),
    );
    return JSON.stringify({ ...message, result: { ...message.result, tools: shown } });
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return rewrite(text);
  // Server-sent events: one JSON-RPC message per `data:` line in the SDKs' streams.
  return text
    .split("\n")
    .map((line) => (line.startsWith("data:") ? `data: ${rewrite(line.slice(5).trimStart())}` : line))
    .join("\n");
}
