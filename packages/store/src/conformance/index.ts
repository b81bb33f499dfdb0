/**
 * The store's specification as a test suite any adapter runs (issue 15): every rule and error code
 * of each concern, two writers racing, durability across a reopen, and the decision log's hash
 * chain end to end. It speaks to the store through the ports only (`Store` and `SigningKeyStore`),
 * never a raw connection, so a PostgreSQL adapter runs exactly what the SQLite one runs.
 *
 * @example
 * // packages/store-postgres/test/conformance.test.ts
 * import { describeStoreConformance } from "@baton/store/conformance";
 * describeStoreConformance("PostgresStore", async () => {
 *   const database = await createScratchDatabase();
 *   const store = await openPostgresStore(database.url);
 *   return { store, reopen: () => openPostgresStore(database.url), dispose: () => database.drop() };
 * });
 */
import { describe } from "vitest";
import { concurrencyConformance } from "./concurrency.ts";
import { conventionsConformance } from "./conventions.ts";
import { crashConformance } from "./crash.ts";
import { decisionLogConformance } from "./decision-log.ts";
import { graphWalkConformance } from "./graph-walks.ts";
import { inputHardeningConformance } from "./input-hardening.ts";
import { issuanceConformance } from "./issuance.ts";
import { registryConformance } from "./registry.ts";
import { revocationConformance } from "./revocation.ts";
import { statusListConformance } from "./status-lists.ts";
import type { ConformanceFactory } from "./subject.ts";

export * from "./fixtures.ts";
export type { ConformanceFactory, ConformanceStore, ConformanceSubject } from "./subject.ts";

/**
 * Declares the conformance suite under `describe(name)`. `factory` opens a fresh, empty database
 * for each test; see {@link ConformanceSubject} for what it returns.
 */
export function describeStoreConformance(name: string, factory: ConformanceFactory): void {
  describe(`${name} conforms to the store ports`, () => {
    describe("conventions, revalidation, causes and key material", () => conventionsConformance(factory));
    describe("agents, approvals, signing keys, audiences and settings", () => registryConformance(factory));
    describe("input hardening", () => inputHardeningConformance(factory));
    describe("issuance", () => issuanceConformance(factory));
    describe("revocation and the feed", () => revocationConformance(factory));
    describe("token status lists", () => statusListConformance(factory));
    describe("graph walks", () => graphWalkConformance(factory));
    describe("decision log", () => decisionLogConformance(factory));
    describe("concurrency", () => concurrencyConformance(factory));
    describe("crash", () => crashConformance(factory));
  });
}
