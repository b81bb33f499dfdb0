/**
 * The store contract without an implementation: the `Store` interface, its record and input
 * types, and `StoreError`. Import `@baton/store/contract` where loading better-sqlite3 is unwanted
 * (another backend, a test double, a browser bundle).
 */
export * from "./store.ts";
export * from "./store-error.ts";
