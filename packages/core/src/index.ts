export {
  type Authenticated,
  authenticate,
  type ChainCheck,
  checkPresented,
  type PresentedChain,
} from "./authenticate.ts";
export { canonicalCaps } from "./capabilities.ts";
export { allowAll, type PresentedFacts, type PresentedLinks, recorded, UseCaseContext } from "./context.ts";
export {
  csvCell,
  decisionsAsCsv,
  decisionsAsJsonLines,
  EXPORT_FORMATS,
  EXPORT_MEDIA_TYPES,
  type ExportFormat,
  exportDecisions,
} from "./decision-export.ts";
export {
  type Attribution,
  attribution,
  audienceReporter,
  callRecord,
  jsonDetail,
  type Presenter,
  storeReasons,
} from "./decision-records.ts";
export {
  allMatchingDecisions,
  type DecisionSearch,
  type DecisionSearchPage,
  type DecisionSearchRequest,
  type DecisionWithHop,
  decisionHop,
  EXPORT_LIMIT,
  MAX_SEARCH_LENGTH,
  matchesSearch,
  parseDecisionSearch,
  SEARCH_QUALIFIERS,
  searchDecisions,
  withHops,
} from "./decision-search.ts";
export {
  type Coverage,
  decisionById,
  type Explanation,
  type ExplanationFacts,
  explainDecision,
  explanationFactsOf,
  type FailedCheck,
  type HopFacts,
  type HopProof,
  type RevocationAtTime,
  type TimeCheck,
} from "./explanation.ts";
export { hopStatusOf } from "./hop-status.ts";
export {
  type HopBounds,
  type HopClaimsResult,
  type HopRequest,
  hopClaims,
  type RootClaimsInput,
  reissuedClaims,
  rootClaims,
} from "./issuance.ts";
export { compareHop, type HopChange, type HopTerms } from "./narrowing.ts";
export {
  capabilityText,
  durationText,
  hopChangeText,
  type NarrowingLine,
  narrowingLines,
} from "./narrowing-words.ts";
export type { DiagnosticLogger, TokenKeys, UseCasePorts, UseCaseSettings } from "./ports.ts";
export { checkReport, type ReportRefusal } from "./report-checks.ts";
export {
  STATUS_LIST_LIFETIME_TTLS,
  type StatusListTokenRequest,
  statusListPath,
  statusListToken,
  statusListUri,
} from "./status-lists.ts";
export { type ApprovalRequest, recordApprovalRequest, stepUpRefusal } from "./step-up.ts";
export { policyHoursOf } from "./task-hours.ts";
export {
  type HopState,
  hopState,
  type LatestTokenView,
  lastDecision,
  type TaskNode,
  type TaskTree,
  taskNodes,
  taskTreeOf,
} from "./task-tree.ts";
export { TRACE_PAGE, type Trace, traceOf } from "./trace-assembly.ts";
export {
  chainRefusal,
  isUseCaseError,
  refusals,
  type StatusHint,
  USE_CASE_ERROR_CODES,
  UseCaseError,
  type UseCaseErrorCode,
  type UseCaseErrorInit,
} from "./use-case-error.ts";
export type { ActingParty } from "./use-cases/acting-party.ts";
export { type Completed, complete } from "./use-cases/complete.ts";
export { type ApprovalAnswer, decideApproval } from "./use-cases/decide-approval.ts";
export { type Delegated, type DelegationRequest, delegate } from "./use-cases/delegate.ts";
export {
  type AccessEvaluation,
  type AccessVerdict,
  batonResource,
  evaluateAccess,
  type ForwardedProof,
} from "./use-cases/evaluate-access.ts";
export { type Granted, type GrantRequest, grant } from "./use-cases/grant.ts";
export {
  type AgentRegistration,
  type AudienceRegistration,
  disableAgent,
  registerAgent,
  registerAudience,
} from "./use-cases/registry.ts";
export {
  type DecisionReportEntry,
  type ReportEntry,
  type ReportOutcome,
  type ReportRefused,
  report,
} from "./use-cases/report.ts";
export { type Revalidated, revalidate } from "./use-cases/revalidate.ts";
export { type RevocationRequest, type Revoked, revoke } from "./use-cases/revoke.ts";
export { statusList } from "./use-cases/status-list.ts";
export {
  explain,
  exportMatchingDecisions,
  findDecisions,
  inspectTask,
  trace,
} from "./use-cases/trace.ts";
export {
  type CallCheck,
  type CallDecision,
  type ToolServerCaller,
  verify,
  wrongAudienceMessage,
} from "./use-cases/verify.ts";
