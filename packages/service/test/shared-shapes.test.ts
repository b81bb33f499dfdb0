/**
 * One reason shape and one task-hours type (issue 15): the verifier's reasons, the decision log's
 * reasons, the service's problem reasons and the HTTP report schema are one `Reason`; the store's,
 * the client's and the grant schema's task hours are one `TaskHours`. Checked by the type checker
 * (`expectTypeOf`), and at run time where a value crosses from one to the other.
 */
import type { TaskHours as ClientTaskHours } from "@baton/client";
import type { DecisionReason, TaskHours as StoreTaskHours } from "@baton/store";
import type { IsoWeekday, Reason, ReasonCode, TaskHours } from "@baton/token";
import { TASK_HOURS_CLOCK_TIME } from "@baton/token";
import type { Reason as VerifierReason } from "@baton/verifier";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { ProblemInit } from "../src/problem.ts";
import { BusinessHoursSchema, type DecisionReportSchema } from "../src/schemas.ts";

describe("shared shapes", () => {
  it("gives the verifier, the service's problems and the decision log one Reason", () => {
    expectTypeOf<VerifierReason>().toEqualTypeOf<Reason<ReasonCode>>();
    expectTypeOf<NonNullable<ProblemInit["reasons"]>[number]>().toEqualTypeOf<Reason>();
    // The log accepts any well-formed code and an omitted hop: a wider view of the same shape.
    expectTypeOf<Reason>().toExtend<DecisionReason>();
    type ReportedReason = z.infer<typeof DecisionReportSchema>["decision"]["reasons"][number];
    // zod infers optional members as `T | undefined`; the members themselves are the same.
    expectTypeOf<keyof ReportedReason>().toEqualTypeOf<keyof Reason>();
  });

  it("gives the store, the client and the grant schema one TaskHours", () => {
    expectTypeOf<StoreTaskHours>().toEqualTypeOf<TaskHours>();
    expectTypeOf<ClientTaskHours>().toEqualTypeOf<TaskHours<IsoWeekday>>();
    expectTypeOf<ClientTaskHours>().toExtend<StoreTaskHours>();
    expectTypeOf<z.infer<typeof BusinessHoursSchema>>().toExtend<TaskHours>();
  });

  it("checks clock times in the grant schema with the store's one rule", () => {
    for (const time of ["00:00", "08:30", "23:59", "24:00"]) {
      expect(TASK_HOURS_CLOCK_TIME.test(time)).toBe(true);
      const window = time === "00:00" ? { start: time, end: "00:01" } : { start: "00:00", end: time };
      expect(BusinessHoursSchema.safeParse({ days: [1], ...window }).success).toBe(true);
    }
    for (const time of ["24:01", "8:30", "25:00", "12:60", "12:00:00"]) {
      expect(TASK_HOURS_CLOCK_TIME.test(time)).toBe(false);
      expect(BusinessHoursSchema.safeParse({ days: [1], start: "00:00", end: time }).success).toBe(false);
    }
  });
});
