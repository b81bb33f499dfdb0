/**
 * `createCedarPolicy`: the runtime policy hook the verifier and the token service both call. It
 * asks whichever set is current at call time, so a reloaded set applies from the next call.
 */
import type { CedarPolicySet } from "./cedar-policy-set.ts";
import type { PolicyFunction } from "./policy-types.ts";

/** A fixed set, or something that knows the current one (a watched directory). */
export type PolicySetSource = CedarPolicySet | { current(): CedarPolicySet };

/**
 * A synchronous policy hook (`@baton/verifier`'s `PolicyHook`) over a Cedar policy set.
 *
 * @example
 * const loaded = loadPolicySet();
 * if (!loaded.ok) throw loaded.error;
 * const verifier = createVerifier({ ..., policy: createCedarPolicy(loaded.value) });
 */
export function createCedarPolicy(source: PolicySetSource): PolicyFunction {
  if ("current" in source) return (input) => source.current().evaluate(input);
  return (input) => source.evaluate(input);
}
