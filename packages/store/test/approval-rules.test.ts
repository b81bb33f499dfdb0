import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  type CreateApprovalFacts,
  checkActiveApprovalsInput,
  checkCreateApprovalInput,
  checkDecideApprovalInput,
  checkListApprovalsOptions,
  checkPendingApprovalInput,
  createApprovalFits,
  decideApprovalFits,
} from "../src/approval-rules.ts";
import { DID, NOT_AN_OBJECT, refusal, T0 } from "./refusal.ts";

const request = {
  id: "apv_1",
  did: DID,
  agent: "agent:bob",
  task: "task-1",
  action: "github.issues.close",
  resource: "repo:acme/web/issues/7",
  reason: "closing an issue needs a human",
  at: T0,
  expiresAt: T0 + 600,
};
const fits: CreateApprovalFacts = {
  idTaken: false,
  delegation: { task: "task-1", to: "agent:bob" },
  agentExists: true,
  taskExists: true,
  notLive: undefined,
  pending: 0,
};

describe("requesting an approval", () => {
  it("refuses an expiry that is not after the request", () => {
    expect(refusal(() => checkCreateApprovalInput({ ...request, expiresAt: T0 }))).toEqual({
      code: "invalid",
      field: "approval.expiresAt",
      message: "approval.expiresAt: must be after at",
    });
  });

  it.each(NOT_AN_OBJECT)("refuses %j in place of the request", (input) => {
    expect(refusal(() => checkCreateApprovalInput(input)).field).toBe("approval");
  });

  it("accepts a request for the live delegation's holder and task", () => {
    expect(() => createApprovalFits(checkCreateApprovalInput(request), fits)).not.toThrow();
  });

  it.each([
    [{ idTaken: true }, "conflict", "approval.id", "approval.id: approval apv_1 already exists"],
    [{ delegation: undefined }, "not_found", "approval.did", `approval.did: no delegation ${DID}`],
    [
      { agentExists: false },
      "not_found",
      "approval.agent",
      "approval.agent: no agent agent:bob is registered",
    ],
    [{ taskExists: false }, "not_found", "approval.task", "approval.task: no task task-1"],
    [
      { delegation: { task: "task-2", to: "agent:bob" } },
      "invalid",
      "approval.task",
      "approval.task: must be the delegation's task task-2",
    ],
    [
      { delegation: { task: "task-1", to: "agent:carol" } },
      "invalid",
      "approval.agent",
      "approval.agent: must be the delegation's holder agent:carol",
    ],
    [
      { notLive: "revoked" },
      "revoked",
      "approval.did",
      `approval.did: delegation ${DID} is not live (revoked)`,
    ],
  ] as const)("refuses when the graph reads %j", (facts, code, field, message) => {
    const approval = checkCreateApprovalInput(request);
    expect(refusal(() => createApprovalFits(approval, { ...fits, ...facts }))).toEqual({
      code,
      field,
      message,
    });
  });

  test.prop([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })])(
    "refuses exactly when the pending requests reach the caller's cap",
    (maxPending, pending) => {
      const approval = checkCreateApprovalInput({ ...request, maxPending });
      if (pending < maxPending) {
        expect(() => createApprovalFits(approval, { ...fits, pending })).not.toThrow();
      } else {
        expect(refusal(() => createApprovalFits(approval, { ...fits, pending }))).toMatchObject({
          code: "approval_limit",
          field: "approval.did",
        });
      }
    },
  );

  it("ignores the pending count when the caller sets no cap", () => {
    const approval = checkCreateApprovalInput(request);
    expect(() => createApprovalFits(approval, { ...fits, pending: 1_000_000 })).not.toThrow();
  });
});

describe("deciding an approval", () => {
  const decision = { decision: "approved", by: "alice", at: T0 + 60 };

  it("refuses a decision other than approved or denied", () => {
    expect(refusal(() => checkDecideApprovalInput("apv_1", { ...decision, decision: "maybe" }))).toEqual({
      code: "invalid",
      field: "input.decision",
      message: "input.decision: must be approved or denied",
    });
  });

  it("refuses an unknown approval", () => {
    const decided = checkDecideApprovalInput("apv_1", decision);
    expect(refusal(() => decideApprovalFits(decided, { approval: undefined }))).toEqual({
      code: "not_found",
      field: "approval",
      message: "approval: no approval apv_1",
    });
  });

  it.each(["approved", "denied"] as const)("decides an approval once: refuses one already %s", (status) => {
    const decided = checkDecideApprovalInput("apv_1", decision);
    expect(refusal(() => decideApprovalFits(decided, { approval: { status, expiresAt: T0 + 600 } }))).toEqual(
      {
        code: "conflict",
        field: "approval",
        message: `approval apv_1 was already ${status}`,
      },
    );
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 })])(
    "decides a pending approval exactly while it has not expired",
    (at, expiresAt) => {
      const decided = checkDecideApprovalInput("apv_1", { ...decision, at });
      const facts = { approval: { status: "pending" as const, expiresAt } };
      if (at < expiresAt) expect(() => decideApprovalFits(decided, facts)).not.toThrow();
      else
        expect(refusal(() => decideApprovalFits(decided, facts))).toEqual({
          code: "conflict",
          field: "approval",
          message: "approval apv_1 expired; the agent must ask again",
        });
    },
  );
});

describe("reading approvals", () => {
  it("lists 100 of any status by default and refuses an unknown status", () => {
    expect(checkListApprovalsOptions({})).toEqual({ status: undefined, limit: 100 });
    expect(refusal(() => checkListApprovalsOptions({ status: "expired" }))).toEqual({
      code: "invalid",
      field: "options.status",
      message: "options.status: must be pending, approved or denied",
    });
  });

  it("names the field at fault in a lookup", () => {
    expect(checkActiveApprovalsInput(DID, T0)).toEqual({ did: DID, at: T0 });
    expect(refusal(() => checkActiveApprovalsInput("x", T0)).field).toBe("did");
    expect(refusal(() => checkPendingApprovalInput({ did: DID, action: "a", resource: 7 }, T0)).field).toBe(
      "subject.resource",
    );
    expect(refusal(() => checkPendingApprovalInput({ did: DID, action: "a", resource: "r" }, -1)).field).toBe(
      "at",
    );
  });
});
