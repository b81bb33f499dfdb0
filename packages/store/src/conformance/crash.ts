/**
 * Crash: a writer in another process is killed with SIGKILL mid-stream; nothing it was told had
 * committed may be lost, no half-written issuance may survive, and the decision log still verifies.
 */
import type { ChildProcess } from "node:child_process";
import { expect, test } from "vitest";
import { registerAgents } from "./fixtures.ts";
import { type ConformanceFactory, useSubject } from "./subject.ts";
import { parseAnnouncements } from "./writer.ts";

/** Collects a child's stdout lines; resolves once `count` arrived, rejects if it dies first. */
function watch(child: ChildProcess) {
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  const waiters: { count: number; resolve: () => void }[] = [];
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const waiter of waiters.filter((w) => lines.length >= w.count)) waiter.resolve();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    lines,
    waitFor: (count: number) =>
      new Promise<void>((resolve, reject) => {
        if (lines.length >= count) return resolve();
        waiters.push({ count, resolve });
        void exited.then(() => reject(new Error(`the writer exited after ${lines.length} lines: ${stderr}`)));
      }),
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export function crashConformance(factory: ConformanceFactory): void {
  const ctx = useSubject(factory);

  test("loses nothing a writer killed with SIGKILL had acknowledged, and keeps no half-written hop", async () => {
    const { startWriter, reopen } = ctx.subject;
    if (startWriter === undefined || reopen === undefined) return;
    const writer = watch(startWriter());
    try {
      await writer.waitFor(300);
    } finally {
      await writer.kill();
    }
    const said = parseAnnouncements(writer.lines);
    expect(said.hops.length).toBeGreaterThan(50);

    const store = await reopen();
    expect((await store.getDelegation(said.grant))?.task).toBe(said.task);
    for (const { did, jti } of said.hops) {
      expect((await store.getDelegation(did))?.parent).toBe(said.grant);
      expect((await store.latestToken(did))?.jti).toBe(jti);
    }
    const logged = (await store.queryDecisions({ limit: 1000, order: "oldest" })).items.map((d) => d.id);
    expect(logged.slice(0, said.decisions.length)).toEqual(said.decisions);
    for (const did of said.revoked) expect((await store.getDelegation(did))?.status).toBe("revoked");
    // Every delegation the file holds has its token: an issuance is all or nothing.
    for (const delegation of await store.taskTree(said.task)) {
      expect(await store.latestToken(delegation.did)).toBeDefined();
    }
    expect((await store.verifyDecisionLog()).ok).toBe(true);
    // And the store keeps working on what the crash left.
    expect(await registerAgents(store, "after-crash")).toEqual(["agent:after-crash"]);
  });
}
