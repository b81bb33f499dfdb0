/**
 * A policy set that follows its directory: loaded once at start (a bad set refuses to start), then
 * reloaded after changes settle. A reload that fails keeps the set that was serving.
 */
import { type FSWatcher, watch } from "node:fs";
import type { CedarPolicySet } from "./cedar-policy-set.ts";
import { DEFAULT_POLICY_DIR, type LoadPolicySetOptions, loadPolicySet } from "./load-policy-set.ts";
import type { PolicyLoadError } from "./policy-load-error.ts";

/** Options for {@link watchPolicySet}. */
export interface WatchPolicySetOptions extends Omit<LoadPolicySetOptions, "files"> {
  /** Quiet time after the last change before reloading, in ms. Default 200. */
  readonly debounceMs?: number;
  /** Called with the new set after a successful reload. */
  readonly onReload?: (set: CedarPolicySet) => void;
  /** Called when a reload fails; the previous set keeps serving. */
  readonly onError?: (error: PolicyLoadError) => void;
}

/** The current set of a watched directory. */
export interface WatchedPolicySet {
  /** The set serving now. */
  current(): CedarPolicySet;
  /** Reloads now; resolves the outcome. The current set changes only on success. */
  reload(): { ok: true; value: CedarPolicySet } | { ok: false; error: PolicyLoadError };
  /** Stops watching. Idempotent. */
  close(): void;
}

/**
 * Loads the set and watches its directory. Throws the {@link PolicyLoadError} when the first
 * load fails: a service must not start without the policies it was told to enforce.
 */
export function watchPolicySet(options: WatchPolicySetOptions = {}): WatchedPolicySet {
  const { debounceMs = 200, onReload, onError, ...load } = options;
  const first = loadPolicySet(load);
  if (!first.ok) throw first.error;
  let current = first.value;
  let timer: NodeJS.Timeout | undefined;

  const reload = (): ReturnType<WatchedPolicySet["reload"]> => {
    const next = loadPolicySet(load);
    if (next.ok) {
      current = next.value;
      onReload?.(next.value);
    } else {
      onError?.(next.error);
    }
    return next;
  };

  const schedule = () => {
    // Editors write a file in several steps (truncate, write, rename): wait for them to settle.
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, debounceMs);
    timer.unref();
  };
  // A schema edit is a reload too; it usually lives beside the policies, but need not.
  const watchers: FSWatcher[] = [watch(load.dir ?? DEFAULT_POLICY_DIR, schedule)];
  if (load.schemaFile !== undefined) watchers.push(watch(load.schemaFile, schedule));
  for (const watcher of watchers) watcher.unref();

  return {
    current: () => current,
    reload,
    close() {
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of watchers.splice(0)) watcher.close();
    },
  };
}
