import { type ChildProcess, spawn } from "node:child_process";
import { setImmediate as nextTurn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseAnnouncements } from "@baton/store/conformance/writer";
import { randomId } from "@baton/token";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";
import { codeOf, registerAgents, T0, tempDir } from "./helpers/graph-fixture.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WRITE_LOOP = fileURLToPath(new URL("./fixtures/write-loop.ts", import.meta.url));

let dir: ReturnType<typeof tempDir>;
let path: string;

beforeEach(() => {
  dir = tempDir();
  path = `${dir.path}/baton.db`;
});

afterEach(() => dir.cleanup());

/** A writer child and the lines it has printed so far. */
interface Writer {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves once `count` lines arrived (rejects if the child dies first). */
  waitForLines(count: number): Promise<void>;
  /** SIGKILLs the child and resolves when it is gone. */
  kill(): Promise<void>;
}

function startWriter(): Writer {
  // `--import tsx` resolves from the working directory: run from the repo root, where tsx lives.
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", WRITE_LOOP, path], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
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
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    waitForLines(count) {
      return new Promise<void>((resolve, reject) => {
        if (lines.length >= count) return resolve();
        waiters.push({ count, resolve });
        void exited.then(() => reject(new Error(`the writer exited after ${lines.length} lines: ${stderr}`)));
      });
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

describe("durability", () => {
  test("opens file databases in WAL mode with synchronous FULL, foreign keys, a busy timeout and journals of savepoints in memory", async () => {
    const store = openSqliteStore({ path });
    expect(store.database.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.database.pragma("synchronous", { simple: true })).toBe(2);
    expect(store.database.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(store.database.pragma("busy_timeout", { simple: true })).toBe(5000);
    // 2 = MEMORY: a write's savepoint and statement journals are copies in memory, not temp files.
    expect(store.database.pragma("temp_store", { simple: true })).toBe(2);
    await store.close();
  });

  test("a writer killed with SIGKILL mid-stream leaves every committed row intact and the file sound", async () => {
    const writer = startWriter();
    try {
      await writer.waitForLines(300);
    } finally {
      await writer.kill();
    }
    const said = parseAnnouncements(writer.lines);
    expect(said.hops.length).toBeGreaterThan(50);

    const store = openSqliteStore({ path });
    try {
      expect(store.database.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(store.database.pragma("foreign_key_check")).toEqual([]);
      expect((await store.getDelegation(said.grant))?.task).toBe(said.task);
      for (const { did, jti } of said.hops) {
        expect((await store.getDelegation(did))?.parent).toBe(said.grant);
        expect((await store.latestToken(did))?.jti).toBe(jti);
      }
      const maxDecision = Math.max(...said.decisions);
      const logged = (await store.queryDecisions({ limit: 1000, order: "oldest" })).items.map((d) => d.id);
      expect(logged.slice(0, maxDecision)).toEqual(said.decisions.length > 0 ? said.decisions : []);
      for (const did of said.revoked) expect((await store.getDelegation(did))?.status).toBe("revoked");
      expect((await store.verifyDecisionLog()).ok).toBe(true);
      // Every hop in the file has its token: no half-written issuance survived the kill.
      const orphans = store.database
        .prepare(
          "select count(*) as n from delegations d where not exists (select 1 from tokens t where t.did = d.did)",
        )
        .get() as { n: number };
      expect(orphans.n).toBe(0);
      // And the store keeps working on the recovered file.
      const [late] = await registerAgents(store, "late");
      expect(late).toBe("agent:late");
    } finally {
      await store.close();
    }
  });

  test("readers on other connections keep reading consistent snapshots while a process writes", async () => {
    const writer = startWriter();
    let reader: SqliteStore | undefined;
    try {
      await writer.waitForLines(1);
      const task = parseAnnouncements(writer.lines).task;
      reader = openSqliteStore({ path, busyTimeoutMs: 100 });
      let lastSize = 0;
      let lastHead = 0;
      let lastRows = 0;
      const sizesSeen = new Set<number>();
      while (writer.lines.length < 250) {
        const size = (await reader.taskTree(task)).length;
        const head = (await reader.revocationsSince(0, 10_000)).head;
        const log = await reader.verifyDecisionLog();
        expect(log.ok).toBe(true);
        expect(size).toBeGreaterThanOrEqual(lastSize);
        expect(head).toBeGreaterThanOrEqual(lastHead);
        expect(log.rows).toBeGreaterThanOrEqual(lastRows);
        [lastSize, lastHead, lastRows] = [size, head, log.rows];
        sizesSeen.add(size);
        await nextTurn();
        if (writer.child.exitCode !== null) throw new Error("the writer died");
      }
      // The reader saw the tree grow under it: the reads really overlapped the writes.
      expect(sizesSeen.size).toBeGreaterThan(3);
    } finally {
      await reader?.close();
      await writer.kill();
    }
  });

  test("a write that cannot get the lock in time fails with busy and writes nothing", async () => {
    const holder = openSqliteStore({ path });
    const waiter = openSqliteStore({ path, busyTimeoutMs: 50 });
    try {
      holder.database.exec("begin immediate");
      expect(
        await codeOf(async () =>
          waiter.appendDecision({ at: T0, kind: "verify", decision: "allow", reasons: [] }),
        ),
      ).toBe("busy");
      holder.database.exec("rollback");
      expect(await waiter.verifyDecisionLog()).toMatchObject({ ok: true, rows: 0 });
      expect(
        (await waiter.appendDecision({ at: T0, kind: "verify", decision: "allow", reasons: [] })).id,
      ).toBe(1);
    } finally {
      await holder.close();
      await waiter.close();
    }
  });

  test("a reader sees the last committed state while another connection holds the write lock", async () => {
    const writer = openSqliteStore({ path });
    const reader = openSqliteStore({ path });
    try {
      await writer.appendDecision({ at: T0, kind: "verify", decision: "allow", reasons: [] });
      writer.database.exec("begin immediate");
      writer.database
        .prepare("insert into settings (key, value, updated_at) values ('uncommitted', 'x', 0)")
        .run();
      expect(await reader.getSetting("uncommitted")).toBeUndefined();
      expect(await reader.verifyDecisionLog()).toMatchObject({ ok: true, rows: 1 });
      expect((await reader.chainStatus([randomId()]))[0]?.live).toBe(false);
      writer.database.exec("commit");
      expect(await reader.getSetting("uncommitted")).toBe("x");
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
