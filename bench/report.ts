/**
 * Turns figures into what people read and what machines keep: the per-body tables, the gateway's
 * ratios to every other target, the checks against issue 6's "done means", and one summary line
 * per body type. Pure: strings and plain objects in, strings and plain objects out.
 */
import { READINGS_PER_BATCH } from './bodies';
import type { SdkFloorResult } from './sdk-floor';
import type { PacedResult } from './load/paced-client';
import type { Figures } from './measure';
import type { BodyKind, TargetName } from './options';
import { SOAK_WARMUP_S, type SoakSummary } from './soak';

export interface PacedFigures {
  readonly body: BodyKind;
  readonly fraction: number;
  readonly ratePerS: number;
  readonly result: PacedResult;
}

export interface Check {
  readonly what: string;
  readonly measured: number | undefined;
  readonly bound: string;
  readonly pass: boolean | undefined;
}

/** One gateway build's figure over each other target's (the other build's included). */
export type Ratios = Partial<Record<TargetName, number>>;

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
const times = (value: number | undefined): string =>
  value === undefined ? 'n/a' : `${value.toFixed(value < 10 ? 2 : 1)}×`;
const pad = (text: string, width: number): string => text.padStart(width);

/** `of` is `previous` for the `--against` build's ratios, its "before" beside the gateway's "after". */
export function gatewayRatios(
  figures: readonly Figures[],
  body: BodyKind,
  of: 'gateway' | 'previous' = 'gateway',
): Ratios {
  const gateway = figures.find((f) => f.body === body && f.target === of);
  const ratios: Ratios = {};
  if (!gateway) return ratios;
  for (const other of figures) {
    if (other.body !== body || other.target === of || other.eventsPerS <= 0) continue;
    ratios[other.target] = gateway.eventsPerS / other.eventsPerS;
  }
  return ratios;
}

export function formatTable(figures: readonly Figures[], body: BodyKind): string {
  const rows = figures.filter((f) => f.body === body);
  const header = [
    'target'.padEnd(26),
    pad('req/s', 9),
    pad('events/s', 10),
    pad('p50 ms', 8),
    pad('p99 ms', 8),
    pad('CPU µs/ev', 10),
    pad('cores', 6),
    pad('other', 6),
    pad('ev/batch', 9),
    pad('KiB/batch', 10),
    pad('fill', 6),
    pad('errors', 7),
  ].join(' ');
  const lines = rows.map((f) =>
    [
      f.label.padEnd(26),
      pad(int(f.reqPerS), 9),
      pad(int(f.eventsPerS), 10),
      pad(fixed(f.latencyMs.p50, 2), 8),
      pad(fixed(f.latencyMs.p99, 2), 8),
      pad(fixed(f.cpuUsPerEvent, 1), 10),
      pad(fixed(f.cpuCores, 2), 6),
      pad(fixed(f.otherCores, 2), 6),
      pad(f.batches ? fixed(f.batches.eventsPerBatch, 1) : '–', 9),
      pad(f.batches ? fixed(f.batches.bytesPerBatch / 1024, 1) : '–', 10),
      pad(f.batches ? `${fixed(f.batches.fill * 100, 0)}%` : '–', 6),
      pad(int(f.non2xx + f.socketErrors), 7),
    ].join(' '),
  );
  return [header, ...lines].join('\n');
}

export const LEGEND =
  'req/s, events/s: 2xx answers only, over all rounds. p50/p99: median of the rounds. CPU µs/ev and cores: the ' +
  "target's process tree only (from /proc). other: cores used meanwhile by anything else on the machine (noise). " +
  "ev/batch, KiB/batch, fill: AMQP transfers the emulator received; fill = mean bytes / the hub's max message size.";

/**
 * Gateway events per CPU-second over each other target's: the efficiency ratio, which noise from
 * other processes on the machine disturbs far less than throughput does.
 */
export function gatewayEfficiency(
  figures: readonly Figures[],
  body: BodyKind,
  of: 'gateway' | 'previous' = 'gateway',
): Ratios {
  const gateway = figures.find((f) => f.body === body && f.target === of);
  const ratios: Ratios = {};
  if (gateway?.cpuUsPerEvent === undefined || gateway.cpuUsPerEvent <= 0) return ratios;
  for (const other of figures) {
    if (other.body !== body || other.target === of || other.cpuUsPerEvent === undefined) continue;
    ratios[other.target] = other.cpuUsPerEvent / gateway.cpuUsPerEvent;
  }
  return ratios;
}

/** Warnings about this run's trustworthiness: a busy machine, errors, a lagging paced client. */
export function noiseWarnings(figures: readonly Figures[], paced: readonly PacedFigures[]): string[] {
  const warnings: string[] = [];
  const busiest = Math.max(0, ...figures.map((f) => f.otherCores ?? 0));
  if (busiest > 0.25) {
    warnings.push(
      `the machine was busy with other work (up to ${busiest.toFixed(2)} cores during a measurement, column "other"): ` +
        'throughput ratios are noisy; CPU µs/event and the efficiency ratios are steadier',
    );
  }
  for (const f of figures.filter((x) => x.non2xx + x.socketErrors > 0)) {
    warnings.push(`${f.label} / ${f.body}: ${f.non2xx} non-2xx answers and ${f.socketErrors} socket errors`);
  }
  for (const p of paced.filter((x) => x.result.maxScheduleLagMs > 10)) {
    warnings.push(
      `paced ${p.body}: the client itself fell up to ${p.result.maxScheduleLagMs.toFixed(0)} ms behind schedule ` +
        '(descheduled); its p99 includes that delay',
    );
  }
  return warnings;
}

/**
 * The best mean batch fill durable acknowledgement allows under closed-loop load: a batch can only
 * hold events of requests in flight, at most `connections × eventsPerRequest`, spread over the
 * partitions. Uses the bytes per event the hub actually received (body plus properties).
 */
export function fillBound(
  figure: Figures,
  connections: number,
  eventsPerRequest: number,
  partitions: number,
  maxMessageSize: number,
): number | undefined {
  const batches = figure.batches;
  if (!batches || batches.events === 0) return undefined;
  const bytesPerEvent = batches.bytesPerBatch / batches.eventsPerBatch;
  return Math.min(1, (connections * eventsPerRequest * bytesPerEvent) / (partitions * maxMessageSize));
}

export function formatRatios(ratios: Ratios, what = 'events/s', subject = 'gateway'): string {
  const parts = Object.entries(ratios).map(([name, value]) => `${times(value)} ${name}`);
  return parts.length === 0
    ? `${subject} ${what}: n/a (gateway or baselines not run)`
    : `${subject} ${what} = ${parts.join(', ')}`;
}

export function formatPaced(paced: PacedFigures, lingerMs: number): string {
  const { result } = paced;
  return (
    `paced at ${fixed(paced.fraction * 100, 0)} % of the gateway's peak: ${int(paced.ratePerS)} req/s requested, ` +
    `${int(result.achievedRatePerS)} achieved; p50 ${fixed(result.latencyMs.p50, 2)} ms, ` +
    `p99 ${fixed(result.latencyMs.p99, 2)} ms, max ${fixed(result.latencyMs.max, 1)} ms ` +
    `(linger ${lingerMs} ms; client lag max ${fixed(result.maxScheduleLagMs, 1)} ms; ` +
    `${int(result.non2xx + result.socketErrors)} errors)`
  );
}

export function formatSoak(soak: SoakSummary): string {
  const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
  return (
    `soak ${soak.durationS} s at ${int(soak.ratePerS)} req/s (single readings) after a ${SOAK_WARMUP_S} s warm-up, RSS of the gateway: ` +
    `min ${mib(soak.minBytes)}, max ${mib(soak.maxBytes)}, first ${soak.windowS} s ${mib(soak.firstWindowMeanBytes)}, ` +
    `last ${soak.windowS} s ${mib(soak.lastWindowMeanBytes)} (${soak.change >= 0 ? '+' : ''}${fixed(soak.change * 100, 1)} %); ` +
    `p99 ${fixed(soak.load.latencyMs.p99, 2)} ms, ${int(soak.load.non2xx + soak.load.socketErrors)} errors`
  );
}

/** The "done means", evaluated on this run. `pass` is undefined where not measured. */
export function evaluateChecks(
  figures: readonly Figures[],
  paced: readonly PacedFigures[],
  soak: SoakSummary | undefined,
  lingerMs: number,
  saturation: Figures | undefined,
  load: {
    readonly connections: number;
    readonly saturationConnections?: number;
    readonly partitions: number;
    readonly maxMessageSize: number;
  },
): Check[] {
  const single = gatewayRatios(figures, 'single');
  const batch = gatewayRatios(figures, 'batch');
  const atLeast = (what: string, measured: number | undefined, bound: number): Check => ({
    what,
    measured,
    bound: `≥ ${bound}`,
    pass: measured === undefined ? undefined : measured >= bound,
  });
  const checks = [
    atLeast('single: gateway req/s ÷ typical Express', single.typical, 1.5),
    atLeast('single: gateway req/s ÷ naive sender', single.naive, 3),
    atLeast('batch: gateway events/s ÷ typical Express', batch.typical, 0.6),
  ];
  const fills = saturation ? [saturation] : figures.filter((x) => x.target === 'gateway');
  for (const f of fills) {
    const connections =
      f === saturation ? (load.saturationConnections ?? load.connections) : load.connections;
    const perRequest = f.body === 'single' ? 1 : READINGS_PER_BATCH;
    const bound = fillBound(f, connections, perRequest, load.partitions, load.maxMessageSize);
    const check = atLeast(
      `${f.body} @${connections} conns: gateway batch fill (of max message size)`,
      f.batches?.fill,
      0.95,
    );
    checks.push(
      bound === undefined || bound >= 0.95
        ? check
        : {
            ...check,
            bound: `${check.bound}; ${connections} connections allow at most ${fixed(bound, 2)}, use more`,
          },
    );
  }
  for (const p of paced) {
    const bound = lingerMs + 15;
    checks.push({
      what: `${p.body}: p99 at ${fixed(p.fraction * 100, 0)} % of peak, ms`,
      measured: p.result.latencyMs.p99,
      bound: `≤ ${bound}`,
      pass: p.result.latencyMs.p99 <= bound && p.result.non2xx + p.result.socketErrors === 0,
    });
  }
  if (soak) {
    checks.push({
      what: 'soak: RSS last vs first minute',
      measured: soak.change,
      bound: 'within ±0.15',
      pass: Math.abs(soak.change) <= 0.15,
    });
  }
  return checks;
}

export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((check) => {
      const mark = check.pass === undefined ? ' -- ' : check.pass ? 'PASS' : 'MISS';
      return `  ${mark}  ${check.what}: ${fixed(check.measured, 2)} (${check.bound})`;
    })
    .join('\n');
}

export function summaryLine(
  figures: readonly Figures[],
  paced: readonly PacedFigures[],
  body: BodyKind,
  eventBytes: number,
): string {
  const gateway = figures.find((f) => f.body === body && f.target === 'gateway');
  const ratios = gatewayRatios(figures, body);
  const p = paced.find((x) => x.body === body);
  if (!gateway) {
    const best = figures.filter((f) => f.body === body).map((f) => `${f.target} ${int(f.reqPerS)} req/s`);
    return `SUMMARY ${body} (${int(eventBytes)} B): ${best.join(', ') || 'nothing measured'}`;
  }
  return (
    `SUMMARY ${body} (${int(eventBytes)} B): gateway ${int(gateway.reqPerS)} req/s, ${int(gateway.eventsPerS)} events/s, ` +
    `p99 ${fixed(gateway.latencyMs.p99, 1)} ms at peak` +
    (p ? `, ${fixed(p.result.latencyMs.p99, 1)} ms at ${fixed(p.fraction * 100, 0)} %` : '') +
    (Object.keys(ratios).length > 0 ? `; ${formatRatios(ratios).replace('gateway events/s = ', '')}` : '') +
    (gateway.batches
      ? `; ${fixed(gateway.batches.eventsPerBatch, 0)} events/batch, ${fixed(gateway.batches.fill * 100, 0)} % full`
      : '') +
    (gateway.cpuUsPerEvent === undefined ? '' : `; ${fixed(gateway.cpuUsPerEvent, 1)} µs CPU/event`)
  );
}

/**
 * The SDK floor against the typical stack: `tryAdd` alone costs `floor` µs per event, so the
 * gateway's events per CPU-second can be at most typical µs ÷ floor times the typical stack's.
 */
export function formatSdkFloor(floor: SdkFloorResult, figures: readonly Figures[]): string {
  const typical = figures.find((f) => f.target === 'typical' && f.body === 'batch');
  const line =
    `SDK floor: EventDataBatch.tryAdd alone takes ${fixed(floor.cpuUsPerEvent, 2)} µs CPU per event ` +
    `(these readings with the gateway's id, content type and properties; ${Math.round(floor.eventsPerBatch)} per 1 MiB batch)`;
  const typicalUs = typical?.cpuUsPerEvent;
  if (typicalUs === undefined || typicalUs <= 0) return line;
  return (
    `${line}; the typical stack spends ${fixed(typicalUs, 2)} µs per event in all, so a gateway ` +
    `sending through the SDK reaches at most ${fixed(typicalUs / floor.cpuUsPerEvent, 2)}× its events per CPU-second`
  );
}
