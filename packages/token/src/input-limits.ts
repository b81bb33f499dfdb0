/**
 * The limits on what the service accepts and the store keeps, in one place. The service's zod
 * request schemas, the store's boundary checks and the verifier's report normalizer all read
 * these, so a value one layer accepts is never refused by the next with another limit (issue 15:
 * the decision batch was 500 at the HTTP boundary and 1,000 in the store, a reason's policy ids
 * 16 and 32).
 */
import { CLAIM_LIMITS } from "./claims.ts";

export const INPUT_LIMITS = {
  /** Free text: an intent, a reason, a decision reason's message. */
  maxTextLength: 1024,
  /** A short name: an agent's or audience's display name, its owner, an approver. */
  maxNameLength: 255,
  /** An action or a resource as called. */
  maxTargetLength: 512,
  /** A request path as reported by a tool server. */
  maxPathLength: 2048,
  /** An HTTP method. */
  maxMethodLength: 16,
  /** Reasons on one decision. */
  maxReasons: 64,
  /** A reason's hop index: a root and at most `maxDepth` hops. */
  maxReasonHop: CLAIM_LIMITS.maxDepth,
  /** A reason's `claim` (the claim or header parameter at fault). */
  maxReasonClaimLength: 64,
  /** Policy ids named by one reason. */
  maxReasonPolicies: 32,
  /** One policy id. */
  maxPolicyIdLength: 128,
  /** Serialized `evidence` of one reason, in bytes. */
  maxEvidenceBytes: 4096,
  /** Hops of a recorded (presented or verified) chain: a root and `maxDepth` hops. */
  maxChainEntries: CLAIM_LIMITS.maxDepth + 1,
  /** Decisions in one batch (`POST /v1/decisions`, `appendDecisions`, `appendEachDecision`). */
  maxDecisionBatch: 500,
  /** One page of decisions, approvals or tasks. */
  maxPageSize: 1000,
  /** One page of the revocation feed. */
  maxFeedPageSize: 10_000,
} as const;
