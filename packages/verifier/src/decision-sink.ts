/**
 * Ships decisions made by a tool server to the service's audit log, in batches, off the request
 * path. Recording never blocks and never throws; when the queue is full the oldest entries are
 * dropped and counted, because a tool server must keep serving even when the log is unreachable.
 */
import type { Decision } from "./decision.ts";

/** One decision as reported to `POST /v1/decisions`. */
export interface DecisionReport {
  /** Seconds since the epoch. */
  readonly at: number;
  readonly audience: string;
  readonly method: string;
  readonly path: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
}

export interface DecisionSink {
  record(report: DecisionReport): void;
  /** Sends what is queued now. Resolves when the batch is delivered or given up on. */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
  readonly stats: {
    readonly queued: number;
    readonly sent: number;
    readonly dropped: number;
    readonly failedBatches: number;
  };
}

export interface DecisionSinkOptions {
  /** Delivers one batch; reject to signal failure (the batch is retried once, then dropped). */
  readonly send: (batch: readonly DecisionReport[]) => Promise<void>;
  readonly maxBatch?: number;
  readonly maxQueue?: number;
  readonly flushIntervalMs?: number;
}

/** A batching, bounded, never-blocking decision sink. */
export function createDecisionSink(options: DecisionSinkOptions): DecisionSink {
  const maxBatch = options.maxBatch ?? 100;
  const maxQueue = options.maxQueue ?? 10_000;
  const queue: DecisionReport[] = [];
  const stats = { sent: 0, dropped: 0, failedBatches: 0 };
  let flushing: Promise<void> | undefined;

  const sendBatch = async (batch: DecisionReport[]): Promise<void> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await options.send(batch);
        stats.sent += batch.length;
        return;
      } catch {
        // retried once below; a sink must never take the tool server down with it
      }
    }
    stats.failedBatches++;
    stats.dropped += batch.length;
  };

  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      while (queue.length > 0) await sendBatch(queue.splice(0, maxBatch));
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 1000);
  timer.unref?.();

  return {
    record(report) {
      queue.push(report);
      if (queue.length > maxQueue) {
        queue.shift();
        stats.dropped++;
      }
      if (queue.length >= maxBatch) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
    get stats() {
      return { queued: queue.length, ...stats };
    },
  };
}

/** A sink that posts batches to the token service's `POST /v1/decisions` with the audience secret. */
export function httpDecisionSink(options: {
  readonly url: string;
  readonly audienceSecret: string;
  readonly fetch?: typeof fetch;
  readonly maxBatch?: number;
  readonly flushIntervalMs?: number;
}): DecisionSink {
  const fetchImpl = options.fetch ?? fetch;
  return createDecisionSink({
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.flushIntervalMs === undefined ? {} : { flushIntervalMs: options.flushIntervalMs }),
    async send(batch) {
      const response = await fetchImpl(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.audienceSecret}` },
        body: JSON.stringify({ decisions: batch }),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`decision report answered ${response.status}`);
    },
  });
}
