/**
 * One measurement: warm up, then load a running target for a fixed time while counting the
 * target's CPU (from /proc, the target's process tree only) and what reached the hub (from the
 * emulator process). Turns raw counts into the per-target figures the report compares.
 */
import type { BodyPool } from './bodies';
import type { EmulatorLink } from './emulator-link';
import type { TransferTotals } from './emulator-process';
import type { LoadResult, LoadSpec } from './load/load-result';
import type { BodyKind, TargetName } from './options';
import type { ProcessTreeStats } from './process-stats';
import type { RunningTarget } from './targets/target';

export interface BatchFigures {
  readonly transfers: number;
  readonly eventsPerBatch: number;
  readonly bytesPerBatch: number;
  /** Mean bytes per batch over the hub's max message size. */
  readonly fill: number;
  readonly maxBytes: number;
  /** Events that reached the hub during the measurement (should match events acknowledged). */
  readonly events: number;
}

export interface Figures {
  readonly target: TargetName;
  readonly label: string;
  readonly body: BodyKind;
  readonly load: LoadResult;
  readonly reqPerS: number;
  readonly eventsPerS: number;
  /** CPU time of the target per acknowledged event, µs; undefined where /proc is unavailable. */
  readonly cpuUsPerEvent: number | undefined;
  /** Cores the target kept busy on average. */
  readonly cpuCores: number | undefined;
  readonly rssBytes: number | undefined;
  readonly batches: BatchFigures | undefined;
}

export interface MeasureContext {
  readonly stats: ProcessTreeStats;
  readonly emulator: EmulatorLink;
  readonly run: (spec: LoadSpec) => Promise<LoadResult>;
}

export function batchFigures(totals: TransferTotals, maxMessageSize: number): BatchFigures | undefined {
  if (totals.transfers === 0) return undefined;
  const bytesPerBatch = totals.bytes / totals.transfers;
  return {
    transfers: totals.transfers,
    eventsPerBatch: totals.events / totals.transfers,
    bytesPerBatch,
    fill: bytesPerBatch / maxMessageSize,
    maxBytes: totals.maxBytes,
    events: totals.events,
  };
}

export async function measure(
  context: MeasureContext,
  target: { name: TargetName; label: string; sends: boolean },
  running: RunningTarget,
  pool: BodyPool,
  spec: Omit<LoadSpec, 'url' | 'headers' | 'durationS'>,
  durations: { warmupS: number; durationS: number },
): Promise<Figures> {
  const load = { ...spec, url: running.url, headers: running.headers };
  await context.run({ ...load, durationS: durations.warmupS });
  context.emulator.reset();
  const before = context.stats.sample(running.pid);
  const result = await context.run({ ...load, durationS: durations.durationS });
  const after = context.stats.sample(running.pid);
  const totals = await context.emulator.stats();
  const events = result.ok * pool.eventsPerRequest;
  const cpuUs = after.cpuUs - before.cpuUs;
  return {
    target: target.name,
    label: target.label,
    body: pool.kind,
    load: result,
    reqPerS: result.ok / result.durationS,
    eventsPerS: events / result.durationS,
    cpuUsPerEvent: context.stats.available && events > 0 ? cpuUs / events : undefined,
    cpuCores: context.stats.available ? cpuUs / 1e6 / result.durationS : undefined,
    rssBytes: context.stats.available ? after.rssBytes : undefined,
    batches: target.sends ? batchFigures(totals, context.emulator.maxMessageSize) : undefined,
  };
}
