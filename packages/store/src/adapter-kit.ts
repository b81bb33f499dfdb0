/**
 * For store adapters (`@baton/store-sqlite`, `@baton/store-postgres`): the port's types, the input
 * checks, the graph rules and the decision log's hash chain, so every adapter applies the same
 * rules from one place. Application code wants `@baton/store` instead.
 */
export * from "./approval-rules.ts";
export * from "./decision-chain.ts";
export * from "./decision-rows.ts";
export * from "./decision-rules.ts";
export * from "./delegation-rows.ts";
export * from "./input-checks.ts";
export * from "./issuance-rules.ts";
export * from "./link-status.ts";
export * from "./migration-history.ts";
export * from "./registry-rules.ts";
export * from "./revocation-rules.ts";
export * from "./seed-graph.ts";
export * from "./status-list-rules.ts";
export * from "./store.ts";
export * from "./store-error.ts";
