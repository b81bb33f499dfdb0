export { AgentKeyPair, type Ed25519PrivateJwk } from "./agent-key.ts";
export {
  BatonAgent,
  type BatonAgentOptions,
  type DelegationRequest,
  type IssuedDelegation,
  type Presentation,
} from "./baton-agent.ts";
export { BatonError } from "./baton-error.ts";
export {
  BatonOperator,
  type BatonOperatorOptions,
  type GrantRequest,
  type IsoWeekday,
  type IssuedGrant,
  type RevocationTarget,
  type TaskHours,
} from "./baton-operator.ts";
export { createDpopProof, type DpopProofOptions } from "./dpop-proof.ts";
export { type McpFetch, mcpFetch } from "./mcp-fetch.ts";
