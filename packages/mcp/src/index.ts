export {
  BATON_DENIED,
  type BatonAuthInfo,
  createMcpGate,
  type McpCallRule,
  type McpFetchHandler,
  type McpGate,
  type McpGateOptions,
  type McpNodeHandler,
} from "./mcp-gate.ts";
