import { describe, expect, it } from "vitest";
import { chainFactsOf, type LinkFacts, linkStatuses } from "../src/link-status.ts";
import type { TaskRecord } from "../src/store.ts";

const live: LinkFacts = {
  did: "d1",
  task: "t1",
  rvi: null,
  status: "live",
  revokedAt: null,
  revokeReason: null,
  revocationSeq: null,
  taskStatus: "open",
  taskClosedAt: null,
  taskCloseReason: null,
  toStatus: "active",
  toDisabledAt: null,
  toDisabledReason: null,
  fromStatus: "active",
  fromDisabledAt: null,
  fromDisabledReason: null,
};

describe("the status of a chain link", () => {
  it("answers in the order asked, with not_found for a did no row names", () => {
    expect(linkStatuses(["d2", "d1"], [live])).toEqual([
      { did: "d2", live: false, problem: "not_found", since: null, reason: null, revocationSeq: null },
      { did: "d1", live: true },
    ]);
  });

  it.each([
    [
      "a revoked delegation, with its feed position",
      { status: "revoked", revokedAt: 5, revokeReason: "leak", revocationSeq: 7 },
      { problem: "revoked", since: 5, reason: "leak", revocationSeq: 7 },
    ],
    [
      "a closed task",
      { taskStatus: "completed", taskClosedAt: 6, taskCloseReason: "done" },
      { problem: "task_closed", since: 6, reason: "done", revocationSeq: null },
    ],
    [
      "a disabled holder",
      { toStatus: "disabled", toDisabledAt: 8, toDisabledReason: "key lost" },
      { problem: "agent_disabled", since: 8, reason: "key lost", revocationSeq: null },
    ],
    [
      "a disabled delegator",
      { fromStatus: "disabled", fromDisabledAt: 9, fromDisabledReason: "retired" },
      { problem: "agent_disabled", since: 9, reason: "retired", revocationSeq: null },
    ],
  ])("is not live under %s", (_, change, expected) => {
    expect(linkStatuses(["d1"], [{ ...live, ...change }])).toEqual([{ did: "d1", live: false, ...expected }]);
  });

  it("is live on a root grant, which has no delegator", () => {
    expect(linkStatuses(["d1"], [{ ...live, fromStatus: null }])).toEqual([{ did: "d1", live: true }]);
  });

  it("names the revocation before a closed task when both hold", () => {
    const both = { ...live, status: "revoked", revokedAt: 5, taskStatus: "revoked", taskClosedAt: 4 };
    expect(linkStatuses(["d1"], [both])[0]).toMatchObject({ problem: "revoked", since: 5 });
  });
});

describe("the facts of a chain", () => {
  const taskOf = (row: LinkFacts): TaskRecord => ({
    id: row.task,
    intent: "triage",
    hours: null,
    rootAgent: "agent:root",
    rootDid: "d1",
    status: "open",
    openedAt: 1,
    closedAt: null,
    closeReason: null,
  });

  it("gives the links as linkStatuses does, and the task of the first did's row", () => {
    const hop = { ...live, did: "d2", task: "t1" };
    const facts = chainFactsOf(["d1", "d2"], [hop, live], taskOf);
    expect(facts.links).toEqual(linkStatuses(["d1", "d2"], [hop, live]));
    expect(facts.task?.id).toBe("t1");
  });

  it("gives no task when the first did has no row, even if a later one has", () => {
    const hop = { ...live, did: "d2", task: "t2" };
    expect(chainFactsOf(["d1", "d2"], [hop], taskOf).task).toBeUndefined();
    expect(chainFactsOf([], [], taskOf)).toEqual({ links: [], task: undefined, leaf: undefined });
  });

  it("gives the last did's recorded revalidation interval, and no leaf when its row is missing", () => {
    const hop = { ...live, did: "d2", rvi: 600 };
    expect(chainFactsOf(["d1", "d2"], [hop, live], taskOf).leaf).toEqual({ did: "d2", rvi: 600 });
    expect(chainFactsOf(["d2", "d1"], [hop, live], taskOf).leaf).toEqual({ did: "d1", rvi: null });
    expect(chainFactsOf(["d1", "d3"], [hop, live], taskOf).leaf).toBeUndefined();
  });
});
