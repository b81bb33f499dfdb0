/**
 * Checks written once for both kinds of runtime. A check that needs signatures is a generator: it
 * yields each `SignatureCheck` and is resumed with the verdict. `runSignatureChecksSync` answers
 * with node:crypto on the spot (today's synchronous API, Node, Bun and Deno);
 * `runSignatureChecks` awaits WebCrypto where that is all there is, and still answers on the spot
 * where node:crypto exists. Every rule stays in one place whichever way it is run.
 */
import { cryptoBackend } from "./crypto-backend.ts";
import type { SignatureCheck } from "./verification-key.ts";

/** A computation that asks for signature verdicts as it goes, and returns a `T`. */
export type SignatureChecking<T> = Generator<SignatureCheck, T, boolean>;

/**
 * Runs `steps`, answering each signature check synchronously. Throws a TypeError on a runtime
 * without node:crypto (a worker): `operation` names the call, whose `…Async` twin works there.
 */
export function runSignatureChecksSync<T>(steps: SignatureChecking<T>, operation: string): T {
  const { verifySync } = cryptoBackend();
  if (verifySync === undefined) {
    throw new TypeError(
      `${operation} checks signatures synchronously, which needs node:crypto (Node, Bun, Deno); on this runtime call ${operation}Async`,
    );
  }
  let step = steps.next();
  while (step.done !== true) step = steps.next(verifySync(step.value));
  return step.value;
}

/** Yields one signature check and returns its verdict. */
export function* signatureVerdict(check: SignatureCheck): SignatureChecking<boolean> {
  return yield check;
}

/** Runs `steps` on any runtime, awaiting a signature verdict only where the backend must. */
export async function runSignatureChecks<T>(steps: SignatureChecking<T>): Promise<T> {
  const backend = cryptoBackend();
  const { verifySync } = backend;
  let step = steps.next();
  while (step.done !== true) {
    step = steps.next(verifySync === undefined ? await backend.verify(step.value) : verifySync(step.value));
  }
  return step.value;
}
