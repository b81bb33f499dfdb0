export {
  ACCESS_ENTITIES_FILE,
  type AccessAnswer,
  type AccessEntity,
  type AccessPolicySet,
  type AccessPolicySources,
  type AccessQuestion,
  cedarValue,
  compileAccessPolicySet,
  loadAccessPolicySet,
} from "./access-policy-set.ts";
export {
  type CedarPolicySet,
  type CompilePolicySetOptions,
  type CompileResult,
  compilePolicySet,
  type PolicySource,
} from "./cedar-policy-set.ts";
export { businessHoursOf } from "./cedar-request.ts";
export { type ClockReading, clockIn, isKnownZone } from "./clock-reading.ts";
export { createCedarPolicy, type PolicySetSource } from "./create-cedar-policy.ts";
export {
  DEFAULT_POLICY_DIR,
  DEFAULT_SCHEMA_FILE,
  type LoadPolicySetOptions,
  loadPolicySet,
  policyFilesIn,
} from "./load-policy-set.ts";
export { PolicyLoadError, type PolicyLoadErrorCode } from "./policy-load-error.ts";
export type {
  BusinessHours,
  PolicyDecision,
  PolicyFunction,
  PolicyHopClaims,
  PolicyInput,
} from "./policy-types.ts";
export { type WatchedPolicySet, type WatchPolicySetOptions, watchPolicySet } from "./watch-policy-set.ts";
