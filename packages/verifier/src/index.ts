export { type ApprovalSubject, approvalCovers, approvalsFor, newApprovalId } from "./approvals.ts";
export { argsDigest, canonicalJson } from "./args-digest.ts";
export { CALL_BOUNDS, type CallBoundsField, callBoundsReason, callFieldProblem } from "./call-bounds.ts";
export {
  type AuthenticateRequest,
  createVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifyRequest,
} from "./create-verifier.ts";
export type { Actor, ChainEntry, Decision, DecisionKind, PresentedHop, Reason } from "./decision.ts";
export { NO_PRESENTATION } from "./decision.ts";
export {
  type DecisionReport,
  type DecisionReportInput,
  normalizeDecisionReport,
  REPORT_LIMITS,
} from "./decision-report.ts";
export {
  createDecisionSink,
  type DecisionRetryOptions,
  type DecisionSink,
  type DecisionSinkOptions,
  type DecisionSinkStats,
  type DeliveryOutcome,
  type DropEvent,
  type DropReason,
  type HttpDecisionSinkOptions,
  httpDecisionSink,
  type RefusedReport,
  warnOnDrop,
} from "./decision-sink.ts";
export {
  type ChainSentAs,
  checkProof,
  checkProofAsync,
  checkProofSteps,
  normalizeHtu,
  type ProofExpectation,
} from "./dpop.ts";
export {
  type KeySource,
  type RemoteJwksOptions,
  type RemoteKeySource,
  remoteJwks,
  staticKeys,
} from "./key-sources.ts";
export { LruCache } from "./lru-cache.ts";
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
  followStatusLists,
  type StatusListSource,
  type StatusListSourceOptions,
} from "./status-list-source.ts";
export {
  authenticateChain,
  authenticateChainAsync,
  type ChainEnvironment,
  type ChainResult,
  chainEntries,
  type HopStatus,
  type Presentation,
  type PresenterProof,
  type ProofEnvironment,
  type ProofRequest,
  provePresenter,
  provePresenterAsync,
  type RequestEnvironment,
  type StatusCheck,
  verifyPresentation,
  verifyPresentationAsync,
} from "./verify-chain.ts";
