/**
 * What an adapter hands the conformance suite: a fresh store per test, and optionally a way to open
 * a second instance on the same database (for durability across a reopen and for two writers).
 */
import type { ChildProcess } from "node:child_process";
import { afterEach, beforeEach } from "vitest";
import type { SigningKeyStore, Store } from "../store.ts";

/** Both ports an adapter implements. */
export type ConformanceStore = Store & SigningKeyStore;

/** One fresh, empty database and the store opened on it. */
export interface ConformanceSubject {
  readonly store: ConformanceStore;
  /**
   * Opens another instance on the same database: another connection, as a second process would
   * have. The suite may close `store` first (durability) or keep both open (two writers). Omit it
   * when the adapter cannot; the tests that need it are then skipped, and concurrency is checked
   * with interleaved promises on one instance.
   */
  readonly reopen?: () => Promise<ConformanceStore>;
  /**
   * Starts another process that opens this database and calls `runConformanceWriter` (from
   * `@baton/store/conformance/writer`) on it, with stdout piped. The crash tests SIGKILL it and
   * `reopen` the database; they are skipped when either is omitted.
   */
  readonly startWriter?: () => ChildProcess;
  /** Closes every instance still open and removes the database. */
  readonly dispose: () => Promise<void>;
}

/** Opens a fresh, empty database for one test. */
export type ConformanceFactory = () => Promise<ConformanceSubject>;

/** A test's handle on its subject, filled before each test of a section. */
export interface SectionContext {
  readonly subject: ConformanceSubject;
  readonly store: ConformanceStore;
}

/** Opens a fresh subject before each test of the calling `describe` and disposes of it after. */
export function useSubject(factory: ConformanceFactory): SectionContext {
  let current: ConformanceSubject | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  const subject = (): ConformanceSubject => {
    if (current === undefined) throw new Error("the store is only open inside a test");
    return current;
  };
  return {
    get subject() {
      return subject();
    },
    get store() {
      return subject().store;
    },
  };
}
