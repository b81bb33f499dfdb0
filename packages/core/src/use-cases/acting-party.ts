/** Who asks for an operation that both the operator and an agent may perform. */
import type { PresentedChain } from "../authenticate.ts";

/**
 * The operator (already authenticated by the adapter, e.g. with its bearer token), or an agent
 * presenting its chain and proof, which the use case authenticates and logs.
 */
export type ActingParty =
  | { readonly kind: "operator" }
  | { readonly kind: "agent"; readonly presentation: PresentedChain };
