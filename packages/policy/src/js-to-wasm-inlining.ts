/**
 * Keeps Node 20 and 22 from aborting the process while Cedar evaluates.
 *
 * Cedar runs as WebAssembly. TurboFan in V8 11.x and 12.x (Node 20 and 22) inlines the call from
 * JavaScript into a Wasm export (`--turbo-inline-js-wasm-calls`, on by default). If the calling
 * frame is then deoptimized lazily while the Wasm call is still running, V8 has to rebuild a
 * "JS to Wasm builtin continuation" frame for the call's return value; for an `externref` return
 * (every cedar-wasm export: wasm-bindgen passes JS objects by reference) that path ends in
 * `UNREACHABLE()`: `Fatal error … unreachable code` in `Deoptimizer::DoComputeBuiltinContinuation`,
 * and the process dies. The lazy deoptimization needs nothing unusual: cedar-wasm calls back into
 * JavaScript (`JSON.stringify` of the request, `JSON.parse` of the answer) during the Wasm call,
 * and any code dependency of the caller that changes then (a GC changing an allocation site's
 * pretenuring, a map transition or field generalization from parsing an answer of a new shape)
 * deoptimizes it. A verifier called with different policy hooks and then Cedar in one process hit
 * it every time. V8 13 (Node 24) handles the frame; there is no JavaScript-level way to keep the
 * glue in cedar-wasm from being inlined, so on the affected lines Baton turns that one inlining
 * off for the process before any policy set can be evaluated (the call then goes through V8's
 * generic JS-to-Wasm wrapper, a few nanoseconds against Cedar's hundreds of microseconds).
 */
import { setFlagsFromString } from "node:v8";

/** The V8 major versions known to abort on this path: 11 (Node 20) and 12 (Node 22). */
export function hasJsToWasmDeoptBug(v8Version: string = process.versions.v8): boolean {
  const major = Number.parseInt(v8Version, 10);
  return major === 11 || major === 12;
}

let applied = false;

/** Turns off JS-to-Wasm call inlining on an affected V8, once per process. */
export function avoidJsToWasmDeoptCrash(): void {
  if (applied) return;
  applied = true;
  if (hasJsToWasmDeoptBug()) setFlagsFromString("--no-turbo-inline-js-wasm-calls");
}
