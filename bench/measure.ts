/**
 * Measurements: a round loads one running target for a fixed time while counting the target's
 * CPU (from /proc, its process tree only), what reached the hub (from the emulator process) and
 * what else the machine was busy with. Rounds of all targets are interleaved by the runner, so
 * noise from other work on a shared machine lands on every target alike; `combineRounds` turns
 * a target's rounds into the figures the report compares.
 */
import type { BodyPool } from './bodies';
import type { EmulatorLink } from './emulator-link';
import type { TransferTotals } from './emulator-process';
import type { LatencyMs, LoadResult, LoadSpec } from './load/load-result';
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
  /** Events that reached the hub during the measurement. */
  readonly events: number;
}

export interface Round {
  readonly load: LoadResult;
  readonly targetCpuUs: number;
  readonly transfers: TransferTotals;
  /** CPU used on the machine by processes other than the target, emulator, load generator and bench. */
  readonly otherCpuUs: number;
  readonly rssBytes: number;
}

export interface Figures {
  readonly target: TargetName;
  readonly label: string;
  readonly body: BodyKind;
  readonly tool: string;
  readonly rounds: number;
  readonly durationS: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly reqPerS: number;
  readonly eventsPerS: number;
  /** Median over the rounds of each round's percentiles. */
  readonly latencyMs: LatencyMs;
  /** CPU time of the target per acknowledged event, µs; undefined where /proc is unavailable. */
  readonly cpuUsPerEvent: number | undefined;
  /** Cores the target kept busy on average. */
  readonly cpuCores: number | undefined;
  /** Cores other processes on the machine kept busy meanwhile: the noise of this measurement. */
  readonly otherCores: number | undefined;
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

/** Loads `running` for `spec.durationS`; the caller warms up first with the same call. */
export async function measureRound(
  context: MeasureContext,
  running: RunningTarget,
  spec: LoadSpec,
): Promise<Round> {
  const { stats, emulator } = context;
  context.emulator.reset();
  const target0 = stats.sample(running.pid);
  const emulator0 = stats.sample(emulator.pid);
  const machine0 = stats.machine();
  const load = await context.run(spec);
  const machine1 = stats.machine();
  const emulator1 = stats.sample(emulator.pid);
  const target1 = stats.sample(running.pid);
  const transfers = await emulator.stats();
  const targetCpuUs = target1.cpuUs - target0.cpuUs;
  const known =
    targetCpuUs +
    (emulator1.cpuUs - emulator0.cpuUs) +
    (machine1.reapedChildrenUs - machine0.reapedChildrenUs) +
    (machine1.selfUs - machine0.selfUs);
  return {
    load,
    targetCpuUs,
    transfers,
    otherCpuUs: Math.max(0, machine1.busyUs - machine0.busyUs - known),
    rssBytes: target1.rssBytes,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export function combineRounds(
  target: { readonly name: TargetName; readonly label: string; readonly sends: boolean },
  pool: BodyPool,
  rounds: readonly Round[],
  procAvailable: boolean,
  maxMessageSize: number,
): Figures {
  const sum = (pick: (round: Round) => number): number =>
    rounds.reduce((total, round) => total + pick(round), 0);
  const durationS = sum((r) => r.load.durationS);
  const ok = sum((r) => r.load.ok);
  const events = ok * pool.eventsPerRequest;
  const cpuUs = sum((r) => r.targetCpuUs);
  const latency = (pick: (latency: LatencyMs) => number): number =>
    median(rounds.map((r) => pick(r.load.latencyMs)));
  const transfers: TransferTotals = {
    transfers: sum((r) => r.transfers.transfers),
    events: sum((r) => r.transfers.events),
    bytes: sum((r) => r.transfers.bytes),
    maxBytes: Math.max(0, ...rounds.map((r) => r.transfers.maxBytes)),
  };
  return {
    target: target.name,
    label: target.label,
    body: pool.kind,
    tool: rounds[0]?.load.tool ?? 'none',
    rounds: rounds.length,
    durationS,
    ok,
    non2xx: sum((r) => r.load.non2xx),
    socketErrors: sum((r) => r.load.socketErrors),
    reqPerS: durationS > 0 ? ok / durationS : 0,
    eventsPerS: durationS > 0 ? events / durationS : 0,
    latencyMs: {
      p50: latency((l) => l.p50),
      p90: latency((l) => l.p90),
      p99: latency((l) => l.p99),
      max: Math.max(0, ...rounds.map((r) => r.load.latencyMs.max)),
      mean: latency((l) => l.mean),
    },
    cpuUsPerEvent: procAvailable && events > 0 ? cpuUs / events : undefined,
    cpuCores: procAvailable && durationS > 0 ? cpuUs / 1e6 / durationS : undefined,
    otherCores: procAvailable && durationS > 0 ? sum((r) => r.otherCpuUs) / 1e6 / durationS : undefined,
    rssBytes: procAvailable ? Math.max(0, ...rounds.map((r) => r.rssBytes)) : undefined,
    batches: target.sends ? batchFigures(transfers, maxMessageSize) : undefined,
  };
}
