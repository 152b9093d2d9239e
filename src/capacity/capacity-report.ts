/**
 * Sizing advice from measured ingress, by the usual Event Hubs rules:
 *  - throughput units = max(MB/s ÷ 1, events/s ÷ 1000), rounded up: one TU takes 1 MB/s
 *    (1,048,576 bytes) or 1000 events/s of ingress, whichever is reached first;
 *  - partitions ≥ consumer instances and ≥ events/s ÷ 1000 × growth factor, capped by the tier
 *    (32 Standard, 100 Premium), compared with the hub's actual partition count;
 * sized for the peak minute of the last hour. Bytes are the encoded batches' (what the hub received),
 * shared among event types in proportion to their events' sizes. Rates are per second over the last minute (or the
 * time since metering began, if shorter) and over the busiest full minute of the last hour.
 * Pure: a snapshot (ingress-meter.ts) and the assumptions in, the report out.
 */
import { HORIZON_SECONDS, type HubSnapshot, type MeterSnapshot, type SecondRow } from './ingress-meter';

export type Tier = 'standard' | 'premium';

export const PER_THROUGHPUT_UNIT = Object.freeze({
  ingressBytesPerSecond: 1_048_576,
  ingressEventsPerSecond: 1000,
});
export const MAX_PARTITIONS: Readonly<Record<Tier, number>> = Object.freeze({ standard: 32, premium: 100 });

export interface CapacityAssumptions {
  readonly tier: Tier;
  /** Headroom for growth in the partition advice. */
  readonly growthFactor: number;
  /** Consumer instances that read the hub in parallel (partitions are at least this many). */
  readonly consumers: number;
}

export const DEFAULT_ASSUMPTIONS: CapacityAssumptions = Object.freeze({
  tier: 'standard',
  growthFactor: 2,
  consumers: 1,
});

export interface Rate {
  readonly eventsPerSecond: number;
  readonly bytesPerSecond: number;
}

export interface Ingress {
  readonly lastMinute: Rate & { readonly seconds: number };
  readonly peakMinute: Rate & { readonly endedAt: string };
}

export interface TypeReport {
  readonly type: string;
  readonly ingress: Ingress;
  readonly throughputUnits: { readonly lastMinute: number; readonly peakMinute: number };
}

export interface HubReport extends Omit<TypeReport, 'type'> {
  readonly hub: string;
  readonly partitions: { readonly actual: number | null; readonly advised: number; readonly max: number };
  readonly throttling: { readonly serverBusyLastMinute: number; readonly serverBusyLastHour: number };
  readonly batches: {
    readonly lastMinute: {
      readonly count: number;
      readonly eventsPerBatch: number;
      readonly bytesPerBatch: number;
      readonly fillPercent: number;
    };
  };
  readonly eventTypes: readonly TypeReport[];
  readonly recommendation: string;
}

export interface CapacityReport {
  readonly scope: 'replica';
  readonly note: string;
  readonly generatedAt: string;
  readonly meteredSince: string;
  readonly assumptions: CapacityAssumptions & {
    readonly perThroughputUnit: typeof PER_THROUGHPUT_UNIT;
    readonly maxPartitions: number;
  };
  readonly hubs: readonly HubReport[];
}

export const REPLICA_NOTE =
  'Figures are this replica’s share (all its workers). With several replicas, add up every replica’s report: npm run capacity -- --url <replica> --url <replica> …';

/** The throughput units a rate needs (at least 1). */
export function throughputUnits(rate: Rate): number {
  const byBytes = rate.bytesPerSecond / PER_THROUGHPUT_UNIT.ingressBytesPerSecond;
  const byEvents = rate.eventsPerSecond / PER_THROUGHPUT_UNIT.ingressEventsPerSecond;
  return Math.max(1, Math.ceil(Math.max(byBytes, byEvents) - 1e-9));
}

/** Partitions advised for a peak event rate. */
export function advisedPartitions(peakEventsPerSecond: number, a: CapacityAssumptions): number {
  const forLoad = Math.ceil((peakEventsPerSecond / 1000) * a.growthFactor - 1e-9);
  return Math.min(MAX_PARTITIONS[a.tier], Math.max(1, a.consumers, forLoad));
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** Sum of column `column` over the rows whose second is in [from, to]. */
function sumRows(rows: readonly SecondRow[], column: number, from: number, to: number): number {
  let sum = 0;
  for (const row of rows) if (row[0]! >= from && row[0]! <= to) sum += row[column]!;
  return sum;
}

/** The last-minute window: from max(start, 59 s before the current second) to now. */
function lastMinuteWindow(snapshot: MeterSnapshot): { fromSecond: number; seconds: number } {
  const nowSecond = Math.floor(snapshot.nowMs / 1000);
  const fromMs = Math.max(snapshot.startMs, (nowSecond - 59) * 1000);
  return { fromSecond: Math.floor(fromMs / 1000), seconds: Math.max(1, (snapshot.nowMs - fromMs) / 1000) };
}

function ingressOf(rows: readonly SecondRow[], snapshot: MeterSnapshot): Ingress {
  const nowSecond = Math.floor(snapshot.nowMs / 1000);
  const window = lastMinuteWindow(snapshot);
  const last = {
    eventsPerSecond: sumRows(rows, 1, window.fromSecond, nowSecond) / window.seconds,
    bytesPerSecond: sumRows(rows, 2, window.fromSecond, nowSecond) / window.seconds,
  };
  // Full minutes only: wholly after metering began, before the current (partial) second.
  let peak = { ...last, endedAt: new Date(snapshot.nowMs).toISOString() };
  const base = nowSecond - HORIZON_SECONDS + 1;
  const firstFull = Math.max(Math.ceil(snapshot.startMs / 1000), base);
  // Prefix sums over the hour: sum of seconds [x, y] = prefix[y + 1 - base] - prefix[x - base].
  const events = new Float64Array(HORIZON_SECONDS + 1);
  const bytes = new Float64Array(HORIZON_SECONDS + 1);
  for (const row of rows) {
    const i = row[0]! - base;
    if (i >= 0 && i < HORIZON_SECONDS) {
      events[i + 1] = row[1]!;
      bytes[i + 1] = row[2]!;
    }
  }
  for (let i = 1; i <= HORIZON_SECONDS; i++) {
    events[i]! += events[i - 1]!;
    bytes[i]! += bytes[i - 1]!;
  }
  for (let end = firstFull + 59; end < nowSecond; end++) {
    const e = (events[end + 1 - base]! - events[end - 59 - base]!) / 60;
    const b = (bytes[end + 1 - base]! - bytes[end - 59 - base]!) / 60;
    if (e > peak.eventsPerSecond || (e === peak.eventsPerSecond && b > peak.bytesPerSecond))
      peak = { eventsPerSecond: e, bytesPerSecond: b, endedAt: new Date((end + 1) * 1000).toISOString() };
  }
  return {
    lastMinute: {
      eventsPerSecond: round(last.eventsPerSecond),
      bytesPerSecond: round(last.bytesPerSecond),
      seconds: round(window.seconds, 1),
    },
    peakMinute: {
      eventsPerSecond: round(peak.eventsPerSecond),
      bytesPerSecond: round(peak.bytesPerSecond),
      endedAt: peak.endedAt,
    },
  };
}

function typeReport(type: string, rows: readonly SecondRow[], snapshot: MeterSnapshot): TypeReport {
  const ingress = ingressOf(rows, snapshot);
  return {
    type,
    ingress,
    throughputUnits: {
      lastMinute: throughputUnits(ingress.lastMinute),
      peakMinute: throughputUnits(ingress.peakMinute),
    },
  };
}

function hubReport(hub: string, h: HubSnapshot, snapshot: MeterSnapshot, a: CapacityAssumptions): HubReport {
  const nowSecond = Math.floor(snapshot.nowMs / 1000);
  // Event footprints leave out AMQP's framing; the batches' encoded sizes are what the hub
  // received. So the footprints are scaled to add up to the batches' bytes over the hour.
  const footprintBytes = Object.values(h.types).reduce(
    (sum, rows) => sum + sumRows(rows, 2, 0, nowSecond),
    0,
  );
  const batchBytes = sumRows(h.batches, 3, 0, nowSecond);
  const scale = footprintBytes > 0 && batchBytes > 0 ? batchBytes / footprintBytes : 1;
  const types = Object.fromEntries(
    Object.entries(h.types).map(([type, rows]) => [
      type,
      rows.map(([second, events, bytes]) => [second!, events!, bytes! * scale]),
    ]),
  );
  const all: SecondRow[] = [];
  for (const rows of Object.values(types)) all.push(...rows);
  const merged = new Map<number, [number, number, number]>();
  for (const [second, events, bytes] of all as [number, number, number][]) {
    const sum = merged.get(second) ?? [second, 0, 0];
    sum[1] += events;
    sum[2] += bytes;
    merged.set(second, sum);
  }
  const totals = typeReport(hub, [...merged.values()], snapshot);
  const window = lastMinuteWindow(snapshot);
  const batchCount = sumRows(h.batches, 1, window.fromSecond, nowSecond);
  const per = (column: number): number =>
    batchCount === 0 ? 0 : sumRows(h.batches, column, window.fromSecond, nowSecond) / batchCount;
  const advised = advisedPartitions(totals.ingress.peakMinute.eventsPerSecond, a);
  const report: Omit<HubReport, 'recommendation'> = {
    hub,
    ingress: totals.ingress,
    throughputUnits: totals.throughputUnits,
    partitions: { actual: h.partitions, advised, max: MAX_PARTITIONS[a.tier] },
    throttling: {
      serverBusyLastMinute: sumRows(h.throttled, 1, window.fromSecond, nowSecond),
      serverBusyLastHour: sumRows(h.throttled, 1, nowSecond - HORIZON_SECONDS + 1, nowSecond),
    },
    batches: {
      lastMinute: {
        count: batchCount,
        eventsPerBatch: round(per(2)),
        bytesPerBatch: round(per(3)),
        fillPercent: round(per(4) * 100, 1),
      },
    },
    eventTypes: Object.entries(types)
      .map(([type, rows]) => typeReport(type, rows, snapshot))
      .sort((x, y) => y.ingress.peakMinute.eventsPerSecond - x.ingress.peakMinute.eventsPerSecond),
  };
  return { ...report, recommendation: recommend(report, a) };
}

/** The advice in plain words. */
/** Who sent it: one replica (its share), or the sum of several (`npm run capacity`). */
export type Sender = { readonly replicas: number; readonly share: boolean };

export function recommend(
  r: Omit<HubReport, 'recommendation'>,
  a: CapacityAssumptions,
  sender: Sender = { replicas: 1, share: true },
): string {
  const who = sender.share ? 'this replica' : `these ${sender.replicas} replica(s)`;
  const peak = r.ingress.peakMinute;
  const mb = (peak.bytesPerSecond / PER_THROUGHPUT_UNIT.ingressBytesPerSecond).toFixed(2);
  const words = [
    `At the peak minute ${who} sent ${peak.eventsPerSecond} events/s (${mb} MB/s) to ${r.hub}, which needs ${r.throughputUnits.peakMinute} throughput unit(s)${sender.share ? " for this replica's share; add up the replicas for the hub's total" : ''}.`,
  ];
  const busy = r.throttling.serverBusyLastHour;
  if (busy > 0)
    words.push(
      `The hub throttled ${who} (ServerBusy) ${busy} time(s) in the last hour: raise the namespace's throughput units or enable auto-inflate.`,
    );
  const actual = r.partitions.actual;
  if (actual === null) words.push('The hub’s partition count is not known yet.');
  else if (actual < r.partitions.advised)
    words.push(
      `Use at least ${r.partitions.advised} partitions (it has ${actual}; rule: ≥ ${a.consumers} consumer(s) and ≥ events/s ÷ 1000 × ${a.growthFactor}, at most ${r.partitions.max} on ${a.tier}). A Standard hub cannot add partitions after creation; Premium and Dedicated can.`,
    );
  else words.push(`Its ${actual} partitions are enough (advised ${r.partitions.advised}).`);
  const fill = r.batches.lastMinute;
  if (fill.count > 0 && fill.fillPercent < 5 && peak.eventsPerSecond > 1000)
    words.push(
      `Batches leave ${fill.fillPercent}% full on average: a little more LINGER_MS would send fewer, fuller batches.`,
    );
  return words.join(' ');
}

export function capacityReport(
  snapshot: MeterSnapshot,
  assumptions: CapacityAssumptions = DEFAULT_ASSUMPTIONS,
): CapacityReport {
  return {
    scope: 'replica',
    note: REPLICA_NOTE,
    generatedAt: new Date(snapshot.nowMs).toISOString(),
    meteredSince: new Date(snapshot.startMs).toISOString(),
    assumptions: {
      ...assumptions,
      perThroughputUnit: PER_THROUGHPUT_UNIT,
      maxPartitions: MAX_PARTITIONS[assumptions.tier],
    },
    hubs: Object.entries(snapshot.hubs).map(([hub, h]) => hubReport(hub, h, snapshot, assumptions)),
  };
}
