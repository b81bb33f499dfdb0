/**
 * Decision sinks (issue 3): recording never blocks or throws, a full queue drops its oldest
 * reports (and counts them), failed batches are retried once, and the HTTP sink posts batches to
 * the service with the audience secret.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDecisionSink, type DecisionReport, httpDecisionSink } from "../src/decision-sink.ts";
import { type LoopbackServer, sendJson, startLoopback } from "./loopback.ts";

function report(n: number): DecisionReport {
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
  };
}

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.useRealTimers();
});

describe("createDecisionSink", () => {
  it("never blocks and drops the oldest reports when the queue is full", async () => {
    let release: () => void = () => {};
    const sent: number[] = [];
    let blocked = true;
    const sink = createDecisionSink({
      send: async (batch) => {
        if (blocked) await new Promise<void>((resolve) => (release = resolve));
        sent.push(...batch.map((r) => r.at - 1_900_000_000));
      },
      maxBatch: 100,
      maxQueue: 5,
      flushIntervalMs: 60_000,
    });
    const started = performance.now();
    for (let i = 0; i < 12; i++) sink.record(report(i));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(sink.stats).toMatchObject({ queued: 5, dropped: 7, sent: 0 });

    // A flush that hangs does not hold up recording either.
    const flushing = sink.flush();
    for (let i = 12; i < 20; i++) sink.record(report(i));
    expect(sink.stats.queued).toBe(5);
    blocked = false;
    release();
    await flushing;
    await sink.close();
    expect(sent.slice(0, 5)).toEqual([7, 8, 9, 10, 11]);
    expect(sent.slice(5)).toEqual([15, 16, 17, 18, 19]);
    expect(sink.stats).toMatchObject({ queued: 0, sent: 10, dropped: 10 });
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

  it("flushes on its interval without being asked", async () => {
    vi.useFakeTimers();
    const batches: number[] = [];
    const sink = createDecisionSink({
      send: async (batch) => void batches.push(batch.length),
      flushIntervalMs: 1000,
    });
    sink.record(report(1));
    sink.record(report(2));
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([2]);
    await sink.close();
  });

  it("retries a failed batch once, then drops and counts it, never throwing", async () => {
    let attempts = 0;
    const sink = createDecisionSink({
      send: async () => {
        attempts++;
        throw new Error("unreachable");
      },
      flushIntervalMs: 60_000,
    });
    sink.record(report(1));
    sink.record(report(2));
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(attempts).toBe(2);
    expect(sink.stats).toMatchObject({ queued: 0, sent: 0, dropped: 2, failedBatches: 1 });
    await sink.close();
  });

  it("survives a send function that throws synchronously", async () => {
    const sink = createDecisionSink({
      send: () => {
        throw new Error("boom");
      },
      flushIntervalMs: 60_000,
    });
    expect(() => sink.record(report(1))).not.toThrow();
    await expect(sink.close()).resolves.toBeUndefined();
    expect(sink.stats.failedBatches).toBe(1);
  });
});

describe("httpDecisionSink over loopback HTTP", () => {
  it("posts batches to the decisions endpoint with the audience secret as a bearer token", async () => {
    server = await startLoopback((_request, response) => sendJson(response, 202, { accepted: true }));
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
    expect(sink.stats).toMatchObject({ sent: 2, dropped: 0 });
  });

  it("counts a refused batch as failed after one retry", async () => {
    server = await startLoopback((_request, response) => sendJson(response, 401, { code: "unauthorized" }));
    const sink = httpDecisionSink({
      url: `${server.origin}/v1/decisions`,
      audienceSecret: "wrong",
      flushIntervalMs: 60_000,
    });
    sink.record(report(1));
    await sink.close();
    expect(server.requests).toHaveLength(2);
    expect(sink.stats).toMatchObject({ sent: 0, dropped: 1, failedBatches: 1 });
  });
});
