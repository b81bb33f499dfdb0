import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { MAX_CHAIN_STATUS_DIDS } from "../src/input-checks.ts";
import {
  checkBlastRadiusInput,
  checkChainStatusInput,
  checkCompleteTaskInput,
  checkDescendantsInput,
  checkListTasksOptions,
  checkRevocationsSinceInput,
  checkRevokeAgentInput,
  checkRevokeDelegationInput,
  checkRevokeTaskInput,
  checkTaskTreeInput,
  completeTaskFits,
  revokeAgentFits,
  revokeDelegationFits,
  revokeTaskFits,
} from "../src/revocation-rules.ts";
import { DID, LEGACY_DID, NOT_AN_OBJECT, OTHER_DID, refusal, T0 } from "./refusal.ts";

const options = { reason: "compromised", at: T0 };

describe("revoking", () => {
  it("revokes a registered agent and refuses an unknown one", () => {
    const revocation = checkRevokeAgentInput("agent:bob", options);
    expect(revocation).toEqual({ agent: "agent:bob", reason: "compromised", at: T0, audit: null });
    const agent = { status: "disabled" };
    expect(revokeAgentFits(revocation, { agent })).toBe(agent);
    expect(refusal(() => revokeAgentFits(revocation, { agent: undefined }))).toEqual({
      code: "not_found",
      field: "agent",
      message: "agent: no agent agent:bob is registered",
    });
  });

  it.each(NOT_AN_OBJECT)("refuses %j in place of the options", (value) => {
    expect(refusal(() => checkRevokeAgentInput("agent:bob", value)).field).toBe("options");
  });

  it("revokes a task in any state, and refuses an unknown one", () => {
    const revocation = checkRevokeTaskInput("task-1", options);
    for (const status of ["open", "completed", "revoked"] as const)
      expect(() => revokeTaskFits(revocation, { task: { status } })).not.toThrow();
    expect(refusal(() => revokeTaskFits(revocation, { task: undefined }))).toEqual({
      code: "not_found",
      field: "task",
      message: "task: no task task-1",
    });
  });

  it("revokes a recorded delegation and refuses an unknown one", () => {
    const revocation = checkRevokeDelegationInput(DID, options);
    expect(() => revokeDelegationFits(revocation, { delegationExists: true })).not.toThrow();
    expect(refusal(() => revokeDelegationFits(revocation, { delegationExists: false }))).toEqual({
      code: "not_found",
      field: "did",
      message: `did: no delegation ${DID}`,
    });
  });
});

describe("completing a task", () => {
  it("records why, defaulting to task completed", () => {
    expect(checkCompleteTaskInput("task-1", { at: T0 }).reason).toBe("task completed");
    expect(checkCompleteTaskInput("task-1", { at: T0, reason: "done" }).reason).toBe("done");
  });

  it("completes an open task once", () => {
    const completion = checkCompleteTaskInput("task-1", { at: T0 });
    expect(() => completeTaskFits(completion, { task: { status: "open" } })).not.toThrow();
    for (const status of ["completed", "revoked"] as const) {
      expect(refusal(() => completeTaskFits(completion, { task: { status } }))).toEqual({
        code: "conflict",
        field: "task",
        message: `task task-1 is already ${status}`,
      });
    }
    expect(refusal(() => completeTaskFits(completion, { task: undefined })).code).toBe("not_found");
  });
});

describe("reading the graph", () => {
  it("lists 100 tasks of any status by default and refuses an unknown status", () => {
    expect(checkListTasksOptions({})).toEqual({ status: undefined, limit: 100 });
    expect(refusal(() => checkListTasksOptions({ status: "closed" }))).toEqual({
      code: "invalid",
      field: "options.status",
      message: "options.status: must be open, completed or revoked",
    });
  });

  it("names the index of a malformed id in a chain", () => {
    expect(checkChainStatusInput([DID, OTHER_DID])).toEqual([DID, OTHER_DID]);
    expect(refusal(() => checkChainStatusInput([DID, "nope"])).field).toBe("dids[1]");
  });

  it("takes 96-bit dids and the 128-bit dids issued before, and nothing between", () => {
    expect(checkChainStatusInput([LEGACY_DID, DID])).toEqual([LEGACY_DID, DID]);
    expect(refusal(() => checkChainStatusInput([DID, `${DID}AAAA`]))).toEqual({
      code: "invalid",
      field: "dids[1]",
      message:
        "dids[1]: must be a delegation id: 12 or 16 random bytes in canonical base64url (16 or 22 characters)",
    });
    // 22 characters whose last carries set spare bits: not the canonical form of 16 bytes.
    expect(refusal(() => checkChainStatusInput(["CCCCCCCCCCCCCCCCCCCCCB"])).field).toBe("dids[0]");
  });

  test.prop([fc.integer({ min: MAX_CHAIN_STATUS_DIDS + 1, max: MAX_CHAIN_STATUS_DIDS + 100 })])(
    "refuses any chain longer than a token chain can be",
    (length) => {
      expect(refusal(() => checkChainStatusInput(Array(length).fill(DID)))).toEqual({
        code: "invalid",
        field: "dids",
        message: `dids: must be an array of at most ${MAX_CHAIN_STATUS_DIDS} delegation ids`,
      });
    },
  );

  it("pages the revocation feed 1000 at a time by default", () => {
    expect(checkRevocationsSinceInput(0, undefined)).toEqual({ since: 0, limit: 1000 });
    expect(refusal(() => checkRevocationsSinceInput(-1, 10)).field).toBe("since");
    expect(refusal(() => checkRevocationsSinceInput(0, 0)).field).toBe("limit");
  });

  it("walks all descendants unless told otherwise, and refuses a non-boolean liveOnly", () => {
    expect(checkDescendantsInput(DID, {})).toEqual({ did: DID, maxDepth: undefined, liveOnly: false });
    expect(checkDescendantsInput(DID, { maxDepth: 2, liveOnly: true })).toEqual({
      did: DID,
      maxDepth: 2,
      liveOnly: true,
    });
    expect(refusal(() => checkDescendantsInput(DID, { liveOnly: "yes" }))).toEqual({
      code: "invalid",
      field: "options.liveOnly",
      message: "options.liveOnly: must be a boolean",
    });
  });

  it("names the field of a walk's start", () => {
    expect(refusal(() => checkTaskTreeInput("")).field).toBe("task");
    expect(refusal(() => checkBlastRadiusInput("bob")).field).toBe("agent");
  });
});
