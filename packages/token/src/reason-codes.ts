/**
 * Every reason a chain, a token or a request can be refused for. These strings are public API:
 * tool servers switch on them, the decision log stores them, dashboards count them. Never rename
 * one; add a new code instead.
 */
export const REASON_CODES = [
  // 1. size and shape
  "chain_too_long",
  "token_too_large",
  "malformed",
  // 2. header
  "unsupported_alg",
  "bad_type",
  "unknown_key",
  // 3. signature
  "bad_signature",
  // 5. link to the parent
  "chain_broken",
  "delegator_mismatch",
  "task_mismatch",
  // 6. depth
  "depth_exceeded",
  // 7. attenuation
  "scope_widening",
  "audience_widening",
  "lifetime_widening",
  // 8. time
  "not_yet_valid",
  "expired",
  "revalidation_due",
  // 9. status
  "revoked",
  "revocation_unknown",
  // the request against the leaf
  "audience_mismatch",
  "action_not_permitted",
  "pop_missing",
  "pop_invalid",
  "pop_replayed",
  "pop_binding_mismatch",
  "policy_denied",
  "step_up_required",
  // the request against the tool server's route table (middleware)
  "unmapped_route",
  // the verifier itself failed (a throwing policy hook, a bug): the call is refused, never allowed
  "internal",
] as const;

/** A stable, machine-readable reason a chain or request was refused. */
export type ReasonCode = (typeof REASON_CODES)[number];

const reasonCodeSet: ReadonlySet<string> = new Set(REASON_CODES);

/** True when `value` is one of the public reason codes. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === "string" && reasonCodeSet.has(value);
}
