export { type ApprovalSubject, approvalCovers, approvalsFor, newApprovalId } from "./approvals.ts";
export { CALL_BOUNDS, type CallBoundsField, callBoundsReason, callFieldProblem } from "./call-bounds.ts";
export {
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifyRequest,
} from "./create-verifier.ts";
export type { ChainEntry, Decision, DecisionKind, Reason } from "./decision.ts";
export {
  createDecisionSink,
  type DecisionReport,
  type DecisionSink,
  type DecisionSinkOptions,
  httpDecisionSink,
} from "./decision-sink.ts";
export { checkProof, normalizeHtu, type ProofExpectation } from "./dpop.ts";
export {
  type KeySource,
  type RemoteJwksOptions,
  type RemoteKeySource,
  remoteJwks,
  staticKeys,
} from "./key-sources.ts";
export { LruCache } from "./lru-cache.ts";
export { type BatonMiddlewareOptions, batonMiddleware, type RouteRule } from "./middleware.ts";
export { type PolicyContext, type PolicyHook, type PolicyOutcome, policyReason } from "./policy-hook.ts";
export { ReplayCache } from "./replay-cache.ts";
export {
  followRevocationFeed,
  memoryRevocations,
  type RevocationFeed,
  type RevocationFeedOptions,
  type RevocationSource,
} from "./revocation-sources.ts";
export { type CachedToken, SignatureCache } from "./signature-cache.ts";
export {
  authenticateChain,
  type ChainEnvironment,
  type ChainResult,
  chainEntries,
  type HopStatus,
  type Presentation,
  type RequestEnvironment,
  type StatusCheck,
  verifyPresentation,
} from "./verify-chain.ts";
