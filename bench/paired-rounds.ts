/**
 * With `--against`, the earlier build runs right before this checkout's gateway in every round, so
 * each round gives one before/after pair measured seconds apart under the same conditions. The
 * pairs' spread is what the machine's noise alone can make of the difference between the builds
 * in this run: a ratio of the summed rounds says little when the rounds disagree on its side of 1.
 */
import type { Round } from './measure';

export interface PairedRatios {
  /** Per round, the gateway's 2xx answers per second over the earlier build's. */
  readonly throughput: readonly number[];
  /** Per round, the gateway's 2xx answers per CPU-second over the earlier build's. */
  readonly perCpuSecond: readonly number[];
}

const rate = (round: Round): number => round.load.ok / round.load.durationS;
const perCpu = (round: Round): number => round.load.ok / (round.targetCpuUs / 1e6);

/** One ratio per round both builds completed with answers and CPU to compare. */
export function pairedRoundRatios(after: readonly Round[], before: readonly Round[]): PairedRatios {
  const throughput: number[] = [];
  const perCpuSecond: number[] = [];
  for (let i = 0; i < Math.min(after.length, before.length); i++) {
    const a = after[i]!;
    const b = before[i]!;
    if (rate(b) > 0 && rate(a) > 0) throughput.push(rate(a) / rate(b));
    if (b.targetCpuUs > 0 && a.targetCpuUs > 0 && perCpu(b) > 0) perCpuSecond.push(perCpu(a) / perCpu(b));
  }
  return { throughput, perCpuSecond };
}

function summarise(ratios: readonly number[]): string {
  if (ratios.length === 0) return 'n/a';
  const sorted = [...ratios].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const below = ratios.filter((r) => r < 1).length;
  return (
    `${ratios.map((r) => r.toFixed(2)).join(' ')} (median ${median.toFixed(2)}, ` +
    `${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)}, ${below} of ${ratios.length} below 1)`
  );
}

/** Two lines: the per-round ratios of throughput and of events per CPU-second. */
export function formatPaired(paired: PairedRatios, beforeLabel: string): string {
  return [
    `gateway ÷ ${beforeLabel} per round, events/s: ${summarise(paired.throughput)}`,
    `gateway ÷ ${beforeLabel} per round, events per CPU-second: ${summarise(paired.perCpuSecond)}`,
  ].join('\n');
}
