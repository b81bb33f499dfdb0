/**
 * Decision sinks (issues 3 and 13): recording never blocks or throws; transient failures are
 * retried with jittered, bounded back-off; a refusal by the service is final; a full queue drops
 * its oldest reports; every report that is not stored is counted and told to `onDrop`; `close()`
 * sends what is queued, within its deadline. The HTTP sink is tested against a loopback stand-in
 * for `POST /v1/decisions` that checks reports one by one. Back-off is injected, never waited for.
 */

import { INPUT_LIMITS } from "@baton/token";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DecisionReport, DecisionReportInput } from "../src/decision-report.ts";
import { createDecisionSink, type DropEvent, httpDecisionSink } from "../src/decision-sink.ts";
import { type LoopbackServer, sendJson, startLoopback } from "./loopback.ts";

function report(n: number, overrides: Partial<DecisionReportInput> = {}): DecisionReportInput {
  return {
    at: 1_900_000_000 + n,
    audience: "repo-tool",
    method: "POST",
    path: `/call/${n}`,
    action: "repo.issues.create",
    resource: "repo:acme/web/issues",
    decision: {
      decision: "allow",
      reasons: [],
      chain: [],
      task: "task-1",
      actor: { agent: "agent:worker", proven: true },
      presented: [],
    },
    ...overrides,
  };
}

const idOf = (entry: DecisionReport) => entry.at - 1_900_000_000;

/** A sleep that waits for nothing and remembers what it was asked to wait. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** An onDrop that keeps every event. */
function collectDrops(): { onDrop: (event: DropEvent) => void; events: DropEvent[] } {
  const events: DropEvent[] = [];
  return { events, onDrop: (event) => void events.push(event) };
}

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("createDecisionSink", () => {
  it("keeps recording while a delivery hangs, and drops the oldest reports when the queue is full", async () => {
    let release: () => void = () => {};
    const sent: number[] = [];
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({
      send: async (batch) => {
        if (sent.length === 0) await new Promise<void>((resolve) => (release = resolve));
        sent.push(...batch.map(idOf));
      },
      maxBatch: 100,
      maxQueue: 5,
      flushIntervalMs: 60_000,
      onDrop,
    });
    sink.record(report(0));
    const hanging = sink.flush();
    // The delivery of report 0 has not returned; recording goes on regardless.
    for (let i = 1; i <= 12; i++) expect(sink.record(report(i))).toBeUndefined();
    expect(sink.stats).toMatchObject({ queued: 5, dropped: 7, sent: 0 });
    release();
    await hanging;
    await sink.close();
    expect(sent).toEqual([0, 8, 9, 10, 11, 12]);
    expect(sink.stats).toMatchObject({ queued: 0, sent: 6, dropped: 7, refused: 0 });
    // One event for the burst, with its count: none of the seven is lost silently.
    expect(events).toEqual([expect.objectContaining({ reason: "queue_full", count: 7 })]);
  });

  it("sends in batches of maxBatch as soon as a batch is full", async () => {
    const batches: number[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch.length),
      maxBatch: 3,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 7; i++) sink.record(report(i));
    await sink.close();
    expect(batches.reduce((a, b) => a + b, 0)).toBe(7);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
  });

  it("refuses a maxBatch larger than the batch the service and the store accept", async () => {
    const send = async () => {};
    expect(() => createDecisionSink({ send, maxBatch: INPUT_LIMITS.maxDecisionBatch + 1 })).toThrow(
      /maxBatch must be at most 500/,
    );
    await createDecisionSink({ send, maxBatch: INPUT_LIMITS.maxDecisionBatch }).close();
  });

  it("keeps each batch under maxBatchBytes of JSON", async () => {
    const sizes: number[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void sizes.push(new TextEncoder().encode(JSON.stringify(batch)).length),
      maxBatchBytes: 2000,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 20; i++) sink.record(report(i, { path: `/${"x".repeat(400)}/${i}` }));
    await sink.close();
    expect(sink.stats.sent).toBe(20);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(2000);
  });

  it("flushes on its interval without being asked", async () => {
    vi.useFakeTimers();
    const batches: number[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch.length),
      flushIntervalMs: 1000,
    });
    sink.record(report(1));
    sink.record(report(2));
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches).toEqual([2]);
    await sink.close();
  });

  it("normalizes what it records, so it never queues an entry the service would refuse", async () => {
    const sent: DecisionReport[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void sent.push(...batch),
      flushIntervalMs: 60_000,
    });
    sink.record(report(1, { path: `/${"a".repeat(3000)}\u0000`, action: "", resource: "", method: "get" }));
    await sink.close();
    expect(sent[0]).toMatchObject({ method: "GET", pathTruncated: true });
    expect(sent[0]?.path).toHaveLength(2048);
    expect(sent[0]).not.toHaveProperty("action");
  });

  /** @see issue 13 */
  it("retries a transient failure with growing, jittered back-off, then gives up, counts and tells", async () => {
    let attempts = 0;
    const { sleep, waits } = recordingSleep();
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({
      send: async () => {
        attempts++;
        throw new Error("connection refused");
      },
      maxAttempts: 4,
      retryBaseDelayMs: 100,
      maxRetryDelayMs: 10_000,
      random: () => 0.5,
      sleep,
      onDrop,
      flushIntervalMs: 60_000,
    });
    sink.record(report(1));
    sink.record(report(2));
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(attempts).toBe(4);
    expect(waits).toHaveLength(3);
    // Each wait is half the exponential step plus a random share of the other half.
    expect(waits).toEqual([75, 150, 300]);
    expect(sink.stats).toMatchObject({ queued: 0, sent: 0, dropped: 2, retries: 3, failedBatches: 1 });
    expect(events).toEqual([expect.objectContaining({ reason: "retries_exhausted", count: 2 })]);
    expect(events[0]?.detail).toContain("connection refused");
    await sink.close();
  });

  it("spreads retries with the random source and caps each wait", async () => {
    const waitsFor = async (random: number) => {
      const { sleep, waits } = recordingSleep();
      const sink = createDecisionSink({
        send: async () => ({ delivered: false, final: false, reason: "503" }),
        maxAttempts: 8,
        retryBaseDelayMs: 100,
        maxRetryDelayMs: 1000,
        maxTotalRetryDelayMs: 1_000_000,
        random: () => random,
        sleep,
        onDrop: () => {},
        flushIntervalMs: 60_000,
      });
      sink.record(report(1));
      await sink.close();
      return waits;
    };
    const low = await waitsFor(0);
    const high = await waitsFor(0.999_999);
    expect(low).toHaveLength(7);
    for (const [i, wait] of low.entries()) expect(wait).toBeLessThan(high[i] as number);
    expect(Math.max(...high)).toBeLessThanOrEqual(1000);
  });

  it("bounds the total back-off of a batch", async () => {
    const { sleep, waits } = recordingSleep();
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({
      send: async () => ({ delivered: false, final: false, reason: "timeout" }),
      maxAttempts: 100,
      retryBaseDelayMs: 1000,
      maxRetryDelayMs: 1000,
      maxTotalRetryDelayMs: 3000,
      random: () => 1,
      sleep,
      onDrop,
      flushIntervalMs: 60_000,
    });
    sink.record(report(1));
    await sink.close();
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3000);
    expect(waits).toHaveLength(3);
    expect(events.map((event) => event.reason)).toEqual(["retries_exhausted"]);
  });

  it("takes a refusal of the whole batch as final: no retry, counted as refused, told", async () => {
    let attempts = 0;
    const { sleep, waits } = recordingSleep();
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({
      send: async () => {
        attempts++;
        return { delivered: false, final: true, reason: "answered 401 unauthorized" };
      },
      sleep,
      onDrop,
      flushIntervalMs: 60_000,
    });
    sink.record(report(1));
    sink.record(report(2));
    await sink.close();
    expect(attempts).toBe(1);
    expect(waits).toEqual([]);
    expect(sink.stats).toMatchObject({ sent: 0, refused: 2, dropped: 0, failedBatches: 1 });
    expect(events).toEqual([expect.objectContaining({ reason: "batch_refused", count: 2 })]);
  });

  it("counts the entries the service refused one by one, and the rest as sent", async () => {
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({
      send: async () => ({
        delivered: true,
        refused: [{ index: 1, code: "unknown_delegation", message: "no such did" }],
      }),
      onDrop,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 3; i++) sink.record(report(i));
    await sink.close();
    expect(sink.stats).toMatchObject({ sent: 2, refused: 1, dropped: 0 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: "entry_refused", count: 1 });
    expect(events[0]?.refused?.map((entry) => [idOf(entry.report), entry.code])).toEqual([
      [1, "unknown_delegation"],
    ]);
  });

  it("survives a send function that throws synchronously, and an onDrop that throws", async () => {
    const { sleep } = recordingSleep();
    const sink = createDecisionSink({
      send: () => {
        throw new Error("boom");
      },
      sleep,
      onDrop: () => {
        throw new Error("logger down");
      },
      flushIntervalMs: 60_000,
    });
    expect(() => sink.record(report(1))).not.toThrow();
    await expect(sink.close()).resolves.toBeUndefined();
    expect(sink.stats).toMatchObject({ failedBatches: 1, dropped: 1 });
  });

  it("delivers everything queued on close()", async () => {
    const sent: number[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void sent.push(...batch.map(idOf)),
      maxBatch: 4,
      flushIntervalMs: 3_600_000,
    });
    for (let i = 0; i < 10; i++) sink.record(report(i));
    await sink.close();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sink.stats).toMatchObject({ queued: 0, sent: 10, dropped: 0 });
  });

  it("sends reports recorded while close() is under way", async () => {
    const sent: number[] = [];
    const sink = createDecisionSink({
      send: async (batch) => {
        // A request still finishing records its decision while the first batch is in flight.
        if (sent.length === 0) sink.record(report(7));
        sent.push(...batch.map(idOf));
      },
      flushIntervalMs: 3_600_000,
    });
    sink.record(report(1));
    await sink.close();
    expect(sent).toEqual([1, 7]);
    expect(sink.stats).toMatchObject({ sent: 2, dropped: 0 });
  });

  it("stops at the close() deadline when the destination hangs, and counts and tells what was left", async () => {
    vi.useFakeTimers();
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({
      send: () => new Promise<void>(() => {}),
      maxBatch: 2,
      closeDeadlineMs: 5000,
      flushIntervalMs: 3_600_000,
      onDrop,
    });
    for (let i = 0; i < 5; i++) sink.record(report(i));
    let closed = false;
    const closing = sink.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(sink.stats).toMatchObject({ queued: 0, sent: 0, dropped: 5 });
    expect(events.reduce((total, event) => total + event.count, 0)).toBe(5);
    expect(new Set(events.map((event) => event.reason))).toEqual(new Set(["shutdown_deadline"]));
  });

  it("drops and tells about a report recorded after close()", async () => {
    const { onDrop, events } = collectDrops();
    const sink = createDecisionSink({ send: async () => {}, onDrop, flushIntervalMs: 60_000 });
    await sink.close();
    sink.record(report(1));
    expect(sink.stats).toMatchObject({ queued: 0, dropped: 1 });
    expect(events).toEqual([expect.objectContaining({ reason: "sink_closed", count: 1 })]);
  });

  it("writes one warning line per drop event by default, with the count and the reason", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const sink = createDecisionSink({
      send: async () => ({ delivered: false, final: true, reason: "answered 413" }),
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 3; i++) sink.record(report(i));
    await sink.close();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/3 decision reports not stored \(batch_refused\).*413/);
  });

  it("refuses options that are not positive integers, naming the option", () => {
    expect(() => createDecisionSink({ send: async () => {}, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => createDecisionSink({ send: async () => {}, maxQueue: 1.5 })).toThrow(/maxQueue/);
  });
});

/** Every string anywhere in `value`. */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

/**
 * A stand-in for the service's `POST /v1/decisions` with the per-entry contract: each report is
 * checked on its own, accepted ones are stored, and the answer says which were refused and why.
 * Besides the shape rules, it refuses a report naming a delegation it does not know.
 */
function decisionsService(options: { failFirst?: number[]; status?: number } = {}) {
  const stored: DecisionReport[] = [];
  const failures = [...(options.failFirst ?? [])];
  const check = (entry: DecisionReport): string | undefined => {
    if (!Number.isSafeInteger(entry.at) || entry.at < 0) return "bad at";
    if (!/^[A-Z]{1,16}$/.test(entry.method)) return "bad method";
    if (typeof entry.path !== "string" || entry.path.length > 2048) return "bad path";
    for (const target of [entry.action, entry.resource]) {
      if (target !== undefined && (target.length < 1 || target.length > 512)) return "bad target";
    }
    for (const text of stringsIn(entry)) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the service refuses control characters
      if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return "control character";
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text))
        return "lone surrogate";
    }
    if (entry.decision.chain.some((hop) => hop.did === "forged-did")) return "unknown delegation";
    return undefined;
  };
  return {
    stored,
    handler: async (
      request: { method: string; headers: Record<string, unknown>; body: string },
      response: Parameters<Parameters<typeof startLoopback>[0]>[1],
    ) => {
      const failure = failures.shift();
      if (failure === 0) return void response.socket?.destroy();
      if (failure !== undefined) return sendJson(response, failure, { code: "unavailable" });
      if (options.status !== undefined) return sendJson(response, options.status, { code: "unauthorized" });
      const { decisions } = JSON.parse(request.body) as { decisions: DecisionReport[] };
      const refused: { index: number; code: string; message: string }[] = [];
      for (const [index, entry] of decisions.entries()) {
        const problem = check(entry);
        if (problem === undefined) stored.push(entry);
        else
          refused.push({
            index,
            code: problem === "unknown delegation" ? "unknown_delegation" : "malformed",
            message: problem,
          });
      }
      sendJson(response, 200, { accepted: decisions.length - refused.length, refused });
    },
  };
}

const forged: DecisionReportInput = report(99, {
  decision: {
    decision: "allow",
    reasons: [],
    chain: [{ did: "forged-did", jti: "forged-jti", sub: "agent:mallory", dlg: null, dpt: 0 }],
    task: "task-1",
    actor: { agent: "agent:mallory", proven: true },
    presented: [{ did: "forged-did", sub: "agent:mallory", verified: true }],
  },
});

describe("httpDecisionSink over loopback HTTP", () => {
  it("posts batches to the decisions endpoint with the audience secret as a bearer token", async () => {
    const service = decisionsService();
    server = await startLoopback(service.handler);
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "s3cret-audience",
      flushIntervalMs: 60_000,
    });
    sink.record(report(1));
    sink.record(report(2));
    await sink.close();
    expect(server.requests).toHaveLength(1);
    const [posted] = server.requests;
    expect(posted?.method).toBe("POST");
    expect(posted?.url).toBe("/v1/decisions");
    expect(posted?.headers.authorization).toBe("Bearer s3cret-audience");
    expect(posted?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(posted?.body ?? "{}")).toEqual({ decisions: [report(1), report(2)] });
    expect(sink.stats).toMatchObject({ sent: 2, dropped: 0, refused: 0 });
  });

  /** @see issue 13 */
  it("delivers the other entries of a batch when the service refuses one, and counts and tells the refused one", async () => {
    const service = decisionsService();
    server = await startLoopback(service.handler);
    const { onDrop, events } = collectDrops();
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "s",
      flushIntervalMs: 60_000,
      onDrop,
    });
    // What used to make the service refuse the whole batch: an overlong path, an empty action.
    sink.record(report(1, { path: `/${"a".repeat(5000)}` }));
    sink.record(report(2, { action: "", resource: "", method: "DELETE" }));
    sink.record(forged);
    sink.record(report(3, { path: "/x\u0000\ud800\u202e" }));
    await sink.close();
    expect(server.requests).toHaveLength(1);
    expect(service.stored.map(idOf)).toEqual([1, 2, 3]);
    expect(sink.stats).toMatchObject({ sent: 3, refused: 1, dropped: 0, queued: 0 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: "entry_refused", count: 1 });
    expect(events[0]?.refused?.[0]).toMatchObject({ code: "unknown_delegation" });
    expect(idOf(events[0]?.refused?.[0]?.report as DecisionReport)).toBe(99);
    // Nothing silently lost: every recorded report is stored or accounted for.
    const { sent, refused, dropped } = sink.stats;
    expect(sent + refused + dropped).toBe(4);
  });

  /** @see issue 13 */
  it("gets the batch through on the third try when the service fails twice", async () => {
    const service = decisionsService({ failFirst: [503, 0] });
    server = await startLoopback(service.handler);
    const { sleep, waits } = recordingSleep();
    const { onDrop, events } = collectDrops();
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "s",
      flushIntervalMs: 60_000,
      sleep,
      onDrop,
    });
    sink.record(report(1));
    sink.record(report(2));
    await sink.close();
    expect(server.requests).toHaveLength(3);
    expect(service.stored.map(idOf)).toEqual([1, 2]);
    expect(waits).toHaveLength(2);
    expect(sink.stats).toMatchObject({ sent: 2, retries: 2, dropped: 0, refused: 0 });
    expect(events).toEqual([]);
  });

  it("retries 429 and a request that times out", async () => {
    let calls = 0;
    const service = decisionsService();
    server = await startLoopback(async (request, response) => {
      calls++;
      if (calls === 1) return sendJson(response, 429, { code: "busy" });
      if (calls === 2) return; // never answers: the sink's timeout ends the attempt
      return service.handler(request, response);
    });
    const { sleep } = recordingSleep();
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "s",
      timeoutMs: 200,
      flushIntervalMs: 60_000,
      sleep,
      onDrop: () => {},
    });
    sink.record(report(1));
    await sink.close();
    expect(calls).toBe(3);
    expect(service.stored.map(idOf)).toEqual([1]);
    expect(sink.stats).toMatchObject({ sent: 1, retries: 2 });
  });

  it("takes a 401 as final for the batch: one request, counted as refused, told with the status", async () => {
    const service = decisionsService({ status: 401 });
    server = await startLoopback(service.handler);
    const { sleep, waits } = recordingSleep();
    const { onDrop, events } = collectDrops();
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "wrong",
      flushIntervalMs: 60_000,
      sleep,
      onDrop,
    });
    sink.record(report(1));
    await sink.close();
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(sink.stats).toMatchObject({ sent: 0, refused: 1, dropped: 0, failedBatches: 1 });
    expect(events).toEqual([expect.objectContaining({ reason: "batch_refused", count: 1 })]);
    expect(events[0]?.detail).toContain("401");
  });

  it("delivers on close() what was queued", async () => {
    const service = decisionsService();
    server = await startLoopback(service.handler);
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "s",
      flushIntervalMs: 3_600_000,
    });
    for (let i = 0; i < 8; i++) sink.record(report(i));
    expect(sink.stats.queued).toBe(8); // no batch is full and the timer is an hour away
    await sink.close();
    expect(service.stored.map(idOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sink.stats).toMatchObject({ queued: 0, sent: 8 });
  });
});
