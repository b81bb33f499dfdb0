/**
 * Sampling and summary statistics. A figure is a set of samples, each the time of one call (or of
 * a small batch, for calls too short to time alone); we report the median, the 99th percentile,
 * the interquartile range and the extremes, never a single mean.
 */
import { performance } from "node:perf_hooks";

/** Summary of one figure's samples; times are microseconds per operation. */
export interface Summary {
  readonly samples: number;
  /** Operations per sample (1 unless the call is too short to time alone). */
  readonly batch: number;
  readonly medianUs: number;
  readonly p99Us: number;
  readonly p25Us: number;
  readonly p75Us: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** Operations per second at the mean cost (total operations / total timed seconds). */
  readonly opsPerSec: number;
}

/** The q-quantile (0…1) of sorted values, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (position - low);
}

/** Summarizes per-operation times in microseconds. */
export function summarize(perOpUs: readonly number[], batch = 1): Summary {
  const sorted = [...perOpUs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length);
  return {
    samples: sorted.length,
    batch,
    medianUs: quantile(sorted, 0.5),
    p99Us: quantile(sorted, 0.99),
    p25Us: quantile(sorted, 0.25),
    p75Us: quantile(sorted, 0.75),
    minUs: sorted[0] ?? Number.NaN,
    maxUs: sorted[sorted.length - 1] ?? Number.NaN,
    meanUs: mean,
    opsPerSec: mean > 0 ? 1e6 / mean : Number.NaN,
  };
}

export interface MeasureOptions<P> {
  /** Timed samples to take. */
  readonly samples: number;
  /** Untimed calls before sampling (JIT warm-up). Default: a tenth of the samples, at least 5. */
  readonly warmup?: number;
  /** Calls per timed sample; default 1. */
  readonly batch?: number;
  /** Untimed preparation before each sample (a fresh proof, an emptied cache); its result is passed on. */
  readonly prepare?: (index: number) => P;
}

/** Times a synchronous call. */
export function measureSync<P = undefined>(
  run: (prepared: P) => unknown,
  options: MeasureOptions<P>,
): Summary {
  const batch = options.batch ?? 1;
  const warmup = options.warmup ?? Math.max(5, Math.floor(options.samples / 10));
  const prepare = options.prepare ?? (() => undefined as P);
  let index = 0;
  for (let i = 0; i < warmup; i++) {
    const prepared = prepare(index++);
    for (let j = 0; j < batch; j++) run(prepared);
  }
  const times: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const prepared = prepare(index++);
    const start = performance.now();
    for (let j = 0; j < batch; j++) run(prepared);
    times.push(((performance.now() - start) * 1000) / batch);
  }
  return summarize(times, batch);
}

/** Times an asynchronous call (awaited one at a time: latency, not concurrency). */
export async function measureAsync<P = undefined>(
  run: (prepared: P) => Promise<unknown>,
  options: MeasureOptions<P>,
): Promise<Summary> {
  const batch = options.batch ?? 1;
  const warmup = options.warmup ?? Math.max(5, Math.floor(options.samples / 10));
  const prepare = options.prepare ?? (() => undefined as P);
  let index = 0;
  for (let i = 0; i < warmup; i++) {
    const prepared = prepare(index++);
    for (let j = 0; j < batch; j++) await run(prepared);
  }
  const times: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const prepared = prepare(index++);
    const start = performance.now();
    for (let j = 0; j < batch; j++) await run(prepared);
    times.push(((performance.now() - start) * 1000) / batch);
  }
  return summarize(times, batch);
}

/** Formats microseconds with a sensible unit. */
export function formatTime(us: number): string {
  if (!Number.isFinite(us)) return "–";
  if (us < 1) return `${(us * 1000).toFixed(0)} ns`;
  if (us < 1000) return `${us.toFixed(us < 10 ? 2 : 1)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** Formats a rate with thousands separators. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "–";
  return perSecond >= 100
    ? Math.round(perSecond).toLocaleString("en-US")
    : perSecond.toFixed(perSecond >= 10 ? 1 : 2);
}

/** The usual columns of a timed figure: median, p99, IQR, min–max, ops/s. */
export function timingCells(summary: Summary): string[] {
  return [
    formatTime(summary.medianUs),
    formatTime(summary.p99Us),
    `${formatTime(summary.p25Us)} – ${formatTime(summary.p75Us)}`,
    `${formatTime(summary.minUs)} – ${formatTime(summary.maxUs)}`,
    formatRate(summary.opsPerSec),
    String(summary.samples * summary.batch),
  ];
}

export const TIMING_HEADERS = ["median", "p99", "IQR", "min – max", "ops/s", "n"] as const;
