/**
 * The RSS soak: the gateway under paced load at a fraction of its peak for minutes, its resident
 * memory sampled every second. A leak or an unbounded buffer shows as a last minute above the
 * first; the bound is ±15 %.
 */
import type { PacedResult } from './load/paced-client';

export interface RssSample {
  readonly atS: number;
  readonly rssBytes: number;
}

export interface SoakSummary {
  readonly ratePerS: number;
  readonly durationS: number;
  readonly samples: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly firstWindowMeanBytes: number;
  readonly lastWindowMeanBytes: number;
  /** Seconds averaged at each end: one minute, or a fifth of a shorter soak. */
  readonly windowS: number;
  /** lastWindowMean / firstWindowMean − 1. */
  readonly change: number;
  /** (max − min) / firstWindowMean. */
  readonly spread: number;
  /** Mean RSS of each 10 s, MiB, for a look at the trend. */
  readonly seriesMiB: readonly number[];
  readonly load: PacedResult;
}

/** Unsampled load before the soak: a fresh process's heap growth and compilation are start-up, not drift. */
export const SOAK_WARMUP_S = 30;

const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;

function tenSecondMeans(samples: readonly RssSample[]): number[] {
  const buckets: number[][] = [];
  for (const sample of samples) (buckets[Math.floor(sample.atS / 10)] ??= []).push(sample.rssBytes);
  return [...buckets].map((bucket) => Math.round((mean(bucket ?? []) / 1048576) * 10) / 10);
}

export function summariseSoak(
  samples: readonly RssSample[],
  ratePerS: number,
  durationS: number,
  load: PacedResult,
): SoakSummary {
  const windowS = Math.min(60, durationS / 5);
  const values = samples.map((sample) => sample.rssBytes);
  const first = mean(samples.filter((sample) => sample.atS <= windowS).map((sample) => sample.rssBytes));
  const last = mean(
    samples.filter((sample) => sample.atS >= durationS - windowS).map((sample) => sample.rssBytes),
  );
  const minBytes = values.length > 0 ? Math.min(...values) : 0;
  const maxBytes = values.length > 0 ? Math.max(...values) : 0;
  return {
    ratePerS,
    durationS,
    samples: samples.length,
    minBytes,
    maxBytes,
    firstWindowMeanBytes: first,
    lastWindowMeanBytes: last,
    windowS,
    change: first > 0 ? last / first - 1 : 0,
    spread: first > 0 ? (maxBytes - minBytes) / first : 0,
    seriesMiB: tenSecondMeans(samples),
    load,
  };
}
