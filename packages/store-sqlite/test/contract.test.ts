import type {
  AgentStore,
  ApprovalStore,
  AudienceStore,
  DecisionStore,
  GraphWalkStore,
  IssuanceStore,
  RevocationStore,
  SettingStore,
  SigningKeyStore,
  StatusListStore,
  Store,
  StoreHealth,
  TaskStore,
} from "@baton/store/contract";
import { describe, expect, expectTypeOf, test } from "vitest";
import { openSqliteStore, type SqliteStoreHealth } from "../src/index.ts";

describe("the store contract", () => {
  test("answers every Store and SigningKeyStore method with a promise", () => {
    type Answers<Port> = {
      [K in keyof Port]: Port[K] extends (...args: never[]) => infer R ? R : never;
    }[keyof Port];
    expectTypeOf<Answers<Store>>().toExtend<Promise<unknown>>();
    expectTypeOf<Answers<SigningKeyStore>>().toExtend<Promise<unknown>>();
  });

  test("keeps SQLite facts and the signing keys out of Store", () => {
    expectTypeOf<keyof StoreHealth>().toEqualTypeOf<"ok" | "schemaVersion">();
    expectTypeOf<Extract<keyof Store, keyof SigningKeyStore>>().toEqualTypeOf<never>();
  });

  test("splits Store by concern into sub-interfaces that together are the whole of it", () => {
    type Concerns = AgentStore &
      TaskStore &
      IssuanceStore &
      RevocationStore &
      StatusListStore &
      DecisionStore &
      GraphWalkStore &
      ApprovalStore &
      AudienceStore &
      SettingStore;
    expectTypeOf<Store>().toExtend<Concerns>();
    expectTypeOf<Exclude<keyof Store, keyof Concerns>>().toEqualTypeOf<"health" | "close">();
  });

  test("the SQLite adapter implements both ports and reports its own facts beside the contract's", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    try {
      expectTypeOf(store).toExtend<Store & SigningKeyStore>();
      const health: SqliteStoreHealth = await store.health();
      expect(health).toMatchObject({ ok: true, journalMode: "memory" });
    } finally {
      await store.close();
    }
  });
});
