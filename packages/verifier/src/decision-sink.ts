/**
 * Ships decisions made by a tool server to the service's audit log, in batches, off the request
 * path (issues 3 and 13). Recording never blocks and never throws, because a tool server must keep
 * serving when the log is unreachable; but no report is lost without a trace: transient failures
 * are retried with jittered back-off, and every report that is not stored (refused by the service,
 * pushed out of a full queue, out of retries, cut off by the shutdown deadline) is counted in
 * `stats` and passed to `onDrop`, which by default writes one warning line per event.
 */
import { INPUT_LIMITS } from "@baton/token";
import { type DecisionReport, type DecisionReportInput, normalizeDecisionReport } from "./decision-report.ts";

export type { DecisionReport, DecisionReportInput } from "./decision-report.ts";

/** One entry of a delivered batch the service refused; final, never retried. */
export interface RefusedReport {
  /** Index of the entry in the batch. */
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/**
 * What one delivery attempt came to. A thrown error counts as a transient failure.
 * - delivered: the service answered for the batch (some entries may have been refused);
 * - not delivered, `final`: the service refused the whole batch (bad secret, too large): give up;
 * - not delivered, not final: network error, timeout, 5xx, 429: try again later.
 */
export type DeliveryOutcome =
  | { readonly delivered: true; readonly refused?: readonly RefusedReport[] }
  | { readonly delivered: false; readonly final: boolean; readonly reason: string };

/** Why reports were not stored. */
export type DropReason =
  /** The service checked these entries and refused them. */
  | "entry_refused"
  /** The service refused the whole batch (400, 401, 403, 413…). */
  | "batch_refused"
  /** The queue was full; these were the oldest. */
  | "queue_full"
  /** Every attempt failed transiently, or the retry budget ran out. */
  | "retries_exhausted"
  /** `close()` reached its deadline with these still unsent. */
  | "shutdown_deadline"
  /** Recorded after `close()`. */
  | "sink_closed"
  /** Not a report at all (a producer bug). */
  | "report_invalid";

/** Reports that will never reach the log, with why. */
export interface DropEvent {
  readonly reason: DropReason;
  readonly count: number;
  /** What the service or the transport said. */
  readonly detail?: string;
  /** For `entry_refused`: each refused report with the service's code and message. */
  readonly refused?: readonly {
    readonly report: DecisionReport;
    readonly code: string;
    readonly message: string;
  }[];
}

export interface DecisionSinkStats {
  /** Waiting to be sent. */
  readonly queued: number;
  /** Accepted by the service. */
  readonly sent: number;
  /** Refused by the service, one by one or as a whole batch. */
  readonly refused: number;
  /** Given up on by the sink (queue full, retries exhausted, shutdown deadline, after close). */
  readonly dropped: number;
  /** Delivery attempts after the first, over all batches. */
  readonly retries: number;
  /** Batches not delivered at all. */
  readonly failedBatches: number;
}

export interface DecisionSink {
  /** Normalizes the report and queues it. Never blocks, never throws. */
  record(report: DecisionReportInput): void;
  /** Sends what is queued now. Resolves when every batch is delivered or given up on. */
  flush(): Promise<void>;
  /**
   * Stops the timer and sends everything queued, including reports recorded meanwhile, within
   * `closeDeadlineMs`; what is still unsent then is dropped and reported. Reports recorded once
   * it has resolved are dropped (`sink_closed`).
   */
  close(): Promise<void>;
  readonly stats: DecisionSinkStats;
}

export interface DecisionRetryOptions {
  /** Attempts per batch, the first included. Default 6. */
  readonly maxAttempts?: number;
  /** Back-off before the first retry; doubles each time. Default 250 ms. */
  readonly retryBaseDelayMs?: number;
  /** Longest single back-off. Default 8,000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Most back-off per batch, all retries together. Default 30,000 ms. */
  readonly maxTotalRetryDelayMs?: number;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Waits `ms`, or less when `signal` aborts. Default a timer. Tests pass one that only records. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface DecisionSinkOptions extends DecisionRetryOptions {
  /**
   * Delivers one batch. `signal` aborts at the `close()` deadline. Resolving with nothing means
   * delivered; rejecting means a transient failure.
   */
  readonly send: (
    batch: readonly DecisionReport[],
    signal: AbortSignal,
  ) => Promise<DeliveryOutcome | undefined> | Promise<void>;
  /** Most reports per batch. Default 100; at most `INPUT_LIMITS.maxDecisionBatch` (500). */
  readonly maxBatch?: number;
  /** Most bytes of JSON per batch (the service takes 1 MiB bodies). Default 512 KiB. */
  readonly maxBatchBytes?: number;
  /** Most reports waiting; beyond it the oldest are dropped. Default 10,000. */
  readonly maxQueue?: number;
  readonly flushIntervalMs?: number;
  /** How long `close()` may take. Default 10,000 ms. */
  readonly closeDeadlineMs?: number;
  /** Told about every report that will not be stored. Default: one `console.warn` line per event. */
  readonly onDrop?: (event: DropEvent) => void;
}

/** The default `onDrop`: one warning line per event, with the count and the reason. */
export function warnOnDrop(event: DropEvent): void {
  const refused = (event.refused ?? [])
    .slice(0, 3)
    .map((entry) => `${entry.report.method} ${entry.report.path.slice(0, 80)}: ${entry.code}`)
    .join("; ");
  const detail = [event.detail, refused].filter((part) => part !== undefined && part !== "").join("; ");
  console.warn(
    `baton decision sink: ${event.count} decision report${event.count === 1 ? "" : "s"} not stored (${event.reason})${detail === "" ? "" : `: ${detail}`}`,
  );
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 1) throw new TypeError(`${name} must be an integer ≥ 1`);
  return chosen;
}

function wait(ms: number, signal: AbortSignal, holdProcess: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    if (!holdProcess) timer.unref?.();
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error)
    return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}

/** Runs `send`, but gives up once `signal` aborts: a send that ignores it cannot hold up `close()`. */
async function untilAborted(
  send: () => Promise<DeliveryOutcome | undefined> | Promise<void>,
  signal: AbortSignal,
): Promise<DeliveryOutcome | undefined> {
  let stop = () => {};
  const aborted = new Promise<DeliveryOutcome>((resolve) => {
    stop = () => resolve({ delivered: false, final: false, reason: "shutdown deadline reached" });
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  try {
    return (await Promise.race([send(), aborted])) ?? undefined;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

const utf8 = new TextEncoder();

/** A batching, bounded, never-blocking decision sink that retries and accounts for every report. */
export function createDecisionSink(options: DecisionSinkOptions): DecisionSink {
  if (typeof options.send !== "function") throw new TypeError("send must be a function");
  const maxBatch = positiveInteger("maxBatch", options.maxBatch, 100);
  if (maxBatch > INPUT_LIMITS.maxDecisionBatch) {
    // A larger batch is refused whole by `POST /v1/decisions` (and by the store).
    throw new TypeError(
      `maxBatch must be at most ${INPUT_LIMITS.maxDecisionBatch}, the batch the service accepts`,
    );
  }
  const maxBatchBytes = positiveInteger("maxBatchBytes", options.maxBatchBytes, 512 * 1024);
  const maxQueue = positiveInteger("maxQueue", options.maxQueue, 10_000);
  const flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs, 1000);
  const closeDeadlineMs = positiveInteger("closeDeadlineMs", options.closeDeadlineMs, 10_000);
  const maxAttempts = positiveInteger("maxAttempts", options.maxAttempts, 6);
  const baseDelay = positiveInteger("retryBaseDelayMs", options.retryBaseDelayMs, 250);
  const maxDelay = positiveInteger("maxRetryDelayMs", options.maxRetryDelayMs, 8000);
  const maxTotalDelay = positiveInteger("maxTotalRetryDelayMs", options.maxTotalRetryDelayMs, 30_000);
  const random = options.random ?? Math.random;
  // A back-off keeps the process alive only once close() is waiting on it (a SIGTERM handler
  // must not see the process exit mid-retry); before that, it must not hold a process that is done.
  const sleep =
    options.sleep ?? ((ms: number, signal: AbortSignal) => wait(ms, signal, closing !== undefined));
  const onDrop = options.onDrop ?? warnOnDrop;

  const queue: DecisionReport[] = [];
  const stats = { sent: 0, refused: 0, dropped: 0, retries: 0, failedBatches: 0 };
  // Queue-full drops come in bursts; they are told in one event per flush, not one per request.
  let droppedFromFullQueue = 0;
  const shutdown = new AbortController();
  let flushing: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let closed = false;

  const tell = (event: DropEvent): void => {
    try {
      onDrop(event);
    } catch {
      // a logger that throws must not take the sink (or the tool server) down
    }
  };

  const tellQueueDrops = (): void => {
    if (droppedFromFullQueue === 0) return;
    const count = droppedFromFullQueue;
    droppedFromFullQueue = 0;
    tell({ reason: "queue_full", count, detail: `the queue holds at most ${maxQueue} reports` });
  };

  const giveUp = (batch: readonly DecisionReport[], reason: DropReason, detail: string): void => {
    stats.failedBatches++;
    if (reason === "batch_refused") stats.refused += batch.length;
    else stats.dropped += batch.length;
    tell({ reason, count: batch.length, detail });
  };

  const accountDelivery = (batch: readonly DecisionReport[], refusals: readonly RefusedReport[]): void => {
    const refused = new Map<number, RefusedReport>();
    for (const refusal of refusals) {
      if (Number.isSafeInteger(refusal.index) && refusal.index >= 0 && refusal.index < batch.length)
        refused.set(refusal.index, refusal);
    }
    stats.sent += batch.length - refused.size;
    if (refused.size === 0) return;
    stats.refused += refused.size;
    tell({
      reason: "entry_refused",
      count: refused.size,
      refused: [...refused.values()].map((refusal) => ({
        report: batch[refusal.index] as DecisionReport,
        code: String(refusal.code),
        message: String(refusal.message),
      })),
    });
  };

  /** Equal jitter: half the exponential step, plus a random part of the other half. */
  const backoff = (retry: number): number => {
    const ceiling = Math.min(maxDelay, baseDelay * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (Math.min(Math.max(random(), 0), 1) * ceiling) / 2);
  };

  const deliver = async (batch: readonly DecisionReport[]): Promise<void> => {
    const { signal } = shutdown;
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      let outcome: DeliveryOutcome;
      try {
        outcome = (await untilAborted(() => options.send(batch, signal), signal)) ?? { delivered: true };
      } catch (error) {
        outcome = { delivered: false, final: false, reason: describeError(error) };
      }
      if (outcome.delivered) return accountDelivery(batch, outcome.refused ?? []);
      if (outcome.final) return giveUp(batch, "batch_refused", outcome.reason);
      if (signal.aborted) return giveUp(batch, "shutdown_deadline", outcome.reason);
      const delay = backoff(attempt);
      if (attempt >= maxAttempts || waited + delay > maxTotalDelay) {
        return giveUp(batch, "retries_exhausted", `${attempt} attempts; last: ${outcome.reason}`);
      }
      waited += delay;
      stats.retries++;
      await sleep(delay, signal);
    }
  };

  /** The next batch: oldest first, at most maxBatch reports and maxBatchBytes of JSON. */
  const takeBatch = (): DecisionReport[] => {
    let count = 0;
    let bytes = 0;
    while (count < queue.length && count < maxBatch) {
      const size = utf8.encode(JSON.stringify(queue[count])).length;
      if (count > 0 && bytes + size > maxBatchBytes) break;
      bytes += size;
      count++;
    }
    return queue.splice(0, count);
  };

  const flush = (): Promise<void> => {
    tellQueueDrops();
    flushing ??= (async () => {
      while (queue.length > 0 && !shutdown.signal.aborted) await deliver(takeBatch());
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref?.();

  return {
    record(input) {
      try {
        const report = normalizeDecisionReport(input);
        if (closed) {
          stats.dropped++;
          tell({ reason: "sink_closed", count: 1, detail: "recorded after close()" });
          return;
        }
        queue.push(report);
        if (queue.length > maxQueue) {
          queue.shift();
          stats.dropped++;
          droppedFromFullQueue++;
        }
        if (queue.length >= maxBatch) void flush();
      } catch {
        // recording must never fail a request; a report that cannot even be built is counted
        stats.dropped++;
        tell({ reason: "report_invalid", count: 1, detail: "the report could not be built" });
      }
    },
    flush,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        const deadline = setTimeout(() => shutdown.abort(), closeDeadlineMs);
        try {
          // Reports recorded while closing (requests still finishing) are sent too.
          while (!shutdown.signal.aborted && (queue.length > 0 || flushing !== undefined)) await flush();
        } finally {
          clearTimeout(deadline);
        }
        closed = true;
        tellQueueDrops();
        const left = queue.splice(0);
        if (left.length > 0) {
          stats.dropped += left.length;
          tell({
            reason: "shutdown_deadline",
            count: left.length,
            detail: `unsent after ${closeDeadlineMs} ms`,
          });
        }
      })();
      return closing;
    },
    get stats() {
      return { queued: queue.length, ...stats };
    },
  };
}

export interface HttpDecisionSinkOptions extends DecisionRetryOptions {
  /** The service's `POST /v1/decisions` URL. */
  readonly url: string;
  /** The tool server's audience secret, sent as a bearer token. */
  readonly audienceSecret: string;
  readonly fetch?: typeof fetch;
  /** How long one request may take before it counts as a transient failure. Default 5,000 ms. */
  readonly timeoutMs?: number;
  readonly maxBatch?: number;
  readonly maxBatchBytes?: number;
  readonly maxQueue?: number;
  readonly flushIntervalMs?: number;
  readonly closeDeadlineMs?: number;
  readonly onDrop?: (event: DropEvent) => void;
}

function refusalsIn(body: unknown): RefusedReport[] {
  const refused = (body as { refused?: unknown } | null)?.refused;
  if (!Array.isArray(refused)) return [];
  return refused.filter(
    (entry): entry is RefusedReport =>
      typeof entry === "object" && entry !== null && typeof entry.index === "number",
  );
}

/**
 * A sink that posts batches to the token service's `POST /v1/decisions` with the audience secret.
 * The service answers 200 `{accepted, refused: [{index, code, message}]}`: refused entries are
 * final. Network errors, timeouts, 408, 429 and 5xx are retried; any other status refuses the
 * whole batch for good.
 */
export function httpDecisionSink(options: HttpDecisionSinkOptions): DecisionSink {
  const { url, audienceSecret, fetch: fetchOption, timeoutMs: timeoutOption, ...sinkOptions } = options;
  const fetchImpl = fetchOption ?? fetch;
  const timeoutMs = positiveInteger("timeoutMs", timeoutOption, 5000);
  return createDecisionSink({
    ...sinkOptions,
    async send(batch, signal) {
      // One controller per request, aborted by the shutdown deadline or the request timeout, and
      // detached afterwards (AbortSignal.any on a long-lived signal keeps every request reachable).
      const request = new AbortController();
      const cancel = () => request.abort(new DOMException("close() deadline reached", "AbortError"));
      signal.addEventListener("abort", cancel, { once: true });
      const timeout = setTimeout(
        () => request.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
        timeoutMs,
      );
      let response: Response;
      let body: unknown;
      try {
        response = await fetchImpl(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${audienceSecret}` },
          body: JSON.stringify({ decisions: batch }),
          signal: request.signal,
        });
        body = await response.json().catch(() => undefined);
      } finally {
        clearTimeout(timeout);
        signal.removeEventListener("abort", cancel);
      }
      if (response.ok) return { delivered: true, refused: refusalsIn(body) };
      const transient = response.status === 408 || response.status === 429 || response.status >= 500;
      const code = (body as { code?: unknown } | undefined)?.code;
      return {
        delivered: false,
        final: !transient,
        reason: `POST /v1/decisions answered ${response.status}${typeof code === "string" ? ` ${code}` : ""}`,
      };
    },
  });
}
