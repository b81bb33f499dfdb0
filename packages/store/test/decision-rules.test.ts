import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  checkAppendDecisionInput,
  checkAppendDecisionsInput,
  checkAppendEachDecisionInput,
  checkDecisionQuery,
  checkVerifyDecisionLogOptions,
} from "../src/decision-rules.ts";
import { MAX_DECISION_BATCH } from "../src/input-checks.ts";
import { StoreError } from "../src/store-error.ts";
import { DID, refusal, T0 } from "./refusal.ts";

const decision = { at: T0, kind: "verify", decision: "allow", reasons: [] };

describe("appending decisions", () => {
  it("names a single decision's fields under decision", () => {
    expect(checkAppendDecisionInput(decision)).toMatchObject({ at: T0, kind: "verify", reasons: "[]" });
    expect(refusal(() => checkAppendDecisionInput({ ...decision, kind: "Verify" })).field).toBe(
      "decision.kind",
    );
  });

  it("refuses a whole batch for one bad decision, naming its index", () => {
    expect(refusal(() => checkAppendDecisionsInput([decision, { ...decision, at: -1 }]))).toMatchObject({
      code: "invalid",
      field: "decisions[1].at",
    });
  });

  it("keeps the good decisions of a batch appended one by one, and the refusal of each bad one", () => {
    const [good, bad] = checkAppendEachDecisionInput([decision, { ...decision, decision: "perhaps" }]);
    expect(good).not.toBeInstanceOf(StoreError);
    expect(bad).toBeInstanceOf(StoreError);
    expect((bad as StoreError).field).toBe("decisions[1].decision");
  });

  it.each([checkAppendDecisionsInput, checkAppendEachDecisionInput])(
    "refuses a batch larger than one call takes (%o)",
    (check) => {
      expect(refusal(() => check(Array(MAX_DECISION_BATCH + 1).fill(decision)))).toEqual({
        code: "invalid",
        field: "decisions",
        message: `decisions: must be an array of at most ${MAX_DECISION_BATCH} decisions`,
      });
      expect(refusal(() => check(decision)).field).toBe("decisions");
    },
  );
});

describe("querying decisions", () => {
  it("pages 100 newest first by default, with no filter", () => {
    expect(checkDecisionQuery({})).toEqual({
      limit: 100,
      order: "newest",
      task: undefined,
      agent: undefined,
      did: undefined,
      path: undefined,
      cursor: undefined,
    });
  });

  it("keeps every filter it is given", () => {
    const query = {
      limit: 5,
      order: "oldest",
      task: "t-1",
      agent: "agent:bob",
      did: DID,
      path: DID,
      cursor: 9,
    };
    expect(checkDecisionQuery(query)).toEqual(query);
  });

  it("refuses an unknown order", () => {
    expect(refusal(() => checkDecisionQuery({ order: "random" }))).toEqual({
      code: "invalid",
      field: "query.order",
      message: "query.order: must be newest or oldest",
    });
  });

  test.prop([fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1001 }), fc.double(), fc.string())])(
    "refuses any limit that is not an integer from 1 to the page size",
    (limit) => {
      fc.pre(!(Number.isSafeInteger(limit) && (limit as number) >= 1 && (limit as number) <= 1000));
      expect(refusal(() => checkDecisionQuery({ limit }))).toMatchObject({
        code: "invalid",
        field: "query.limit",
      });
    },
  );
});

describe("verifying the log", () => {
  it("reports progress every 10,000 rows by default and refuses a non-function callback", () => {
    expect(checkVerifyDecisionLogOptions({})).toEqual({ progressEvery: 10_000, onProgress: undefined });
    expect(refusal(() => checkVerifyDecisionLogOptions({ onProgress: "log" }))).toEqual({
      code: "invalid",
      field: "options.onProgress",
      message: "options.onProgress: must be a function",
    });
  });
});
