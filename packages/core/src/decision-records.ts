/**
 * The shape of decision records: who acted through which chain, reasons and details bounded so a
 * large request can never make its own decision unloggable. Every use case builds its records
 * with these, so a row reads the same whichever endpoint wrote it.
 */
import type { DecisionDetail, DecisionInput, DecisionReason } from "@baton/store/contract";
import type { Actor, Decision, PresentedHop, Reason } from "@baton/verifier";

/** Who presented a chain, and the chain as presented: what every decision about it records. */
export interface Presenter {
  readonly actor: Actor;
  readonly presented: readonly PresentedHop[];
}

/** The decision-log fields naming who acted through which chain. */
export type Attribution = Pick<DecisionInput, "agent" | "actorProven" | "chain">;

/**
 * The decision-log fields naming who acted through which chain. The actor is the presenter (the
 * leaf holder), never the holder of the last hop that happened to verify.
 */
export function attribution(presenter: Presenter): Attribution {
  return {
    ...(presenter.actor.agent === null
      ? {}
      : { agent: presenter.actor.agent, actorProven: presenter.actor.proven }),
    chain: presenter.presented,
  };
}

/** Decision reasons in the store's shape (messages capped; claim, evidence and policy ids kept). */
export function storeReasons(
  reasons: readonly (Omit<Reason, "code" | "policies" | "claim" | "evidence"> & {
    code: string;
    claim?: string | undefined;
    evidence?: Readonly<Record<string, unknown>> | undefined;
    policies?: readonly string[] | undefined;
  })[],
): DecisionReason[] {
  return reasons.map((reason) => ({
    hop: reason.hop,
    code: reason.code,
    message: reason.message.slice(0, 1024),
    ...(reason.claim === undefined ? {} : { claim: reason.claim }),
    ...(reason.evidence === undefined ? {} : { evidence: boundedEvidence(reason.evidence) }),
    ...(reason.policies === undefined ? {} : { policies: reason.policies }),
  }));
}

/** Largest evidence logged, in UTF-8 bytes: the store's own limit. */
const MAX_EVIDENCE_BYTES = 4096;

/** Evidence as logged: an oversized one is replaced by a marker, never allowed to fail the log. */
function boundedEvidence(evidence: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const text = JSON.stringify(evidence);
  return new TextEncoder().encode(text).length > MAX_EVIDENCE_BYTES
    ? { truncated: true, chars: text.length }
    : evidence;
}

/** Largest `detail` written; the store's own limit is 16 KiB. */
const MAX_DETAIL_CHARS = 8192;

/**
 * Any JSON-serializable value as a decision's `detail` (drops undefined members). An oversized
 * detail is replaced by a marker, so a large request can never make its own decision unloggable.
 */
export function jsonDetail(value: unknown): DecisionDetail {
  const text = JSON.stringify(value);
  if (text.length > MAX_DETAIL_CHARS) return { truncated: true, chars: text.length };
  return JSON.parse(text) as DecisionDetail;
}

/**
 * The log record of a verifier decision about one call: the actor and the presented chain as the
 * decision names them, the target (audience, action, resource, args digest) and the reasons. The
 * subject `did` is the leaf's, and only when the whole chain verified up to it.
 */
export function callRecord(
  decision: Decision,
  fields: Pick<
    DecisionInput,
    "at" | "kind" | "reporter" | "audience" | "action" | "resource" | "argsDigest" | "detail"
  >,
): DecisionInput {
  const leaf = decision.chain.length === decision.presented.length ? decision.chain.at(-1) : undefined;
  return {
    ...fields,
    decision: decision.decision,
    ...(decision.task === null ? {} : { task: decision.task }),
    ...(leaf === undefined ? {} : { did: leaf.did, jti: leaf.jti }),
    ...attribution(decision),
    reasons: storeReasons(decision.reasons),
  };
}

/** The reporter of a decision written on behalf of a tool server's audience. */
export function audienceReporter(audience: string): string {
  return `audience:${audience}`;
}
