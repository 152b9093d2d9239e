/**
 * What went into each hub, second by second, for the last hour: acknowledged events and their
 * bytes per event type, batches sent (count, events, bytes, fill of the link's max message size)
 * and throttling (ServerBusy) seen. One-second buckets in a ring per series, so recording is O(1)
 * and memory is fixed (an hour of seconds per series); the capacity report (capacity-report.ts)
 * turns a snapshot into rates. Pure apart from the injected clock (wall-clock milliseconds, so
 * the snapshots of several workers line up and merge).
 */

/** Seconds kept: the peak minute is looked for over the last hour. */
export const HORIZON_SECONDS = 3600;

/** One second's totals of one series: `[epoch second, ...values]`, only seconds with data. */
export type SecondRow = readonly number[];

/** A meter's contents, serialisable (cluster workers send it to each other through the primary). */
export interface MeterSnapshot {
  /** Wall-clock milliseconds when the snapshot was taken and when metering began. */
  readonly nowMs: number;
  readonly startMs: number;
  readonly hubs: Readonly<Record<string, HubSnapshot>>;
}

export interface HubSnapshot {
  /** Partitions of the hub as last known, or null. */
  readonly partitions: number | null;
  /** Per event type: rows of [second, events, bytes]. */
  readonly types: Readonly<Record<string, readonly SecondRow[]>>;
  /** Rows of [second, batches, events, bytes, summed fill (0..1 per batch)]. */
  readonly batches: readonly SecondRow[];
  /** Rows of [second, ServerBusy answers]. */
  readonly throttled: readonly SecondRow[];
}

/** A ring of one-second buckets holding `width` values each. */
class SecondRing {
  private readonly stamps = new Float64Array(HORIZON_SECONDS).fill(-1);
  private readonly values: Float64Array;
  constructor(private readonly width: number) {
    if (width < 1 || width > 4) throw new RangeError(`width must be 1 to 4, got ${width}`);
    this.values = new Float64Array(HORIZON_SECONDS * width);
  }

  /** Up to four amounts as parameters, not an array: this runs once per acknowledged request. */
  add(second: number, a: number, b = 0, c = 0, d = 0): void {
    const slot = second % HORIZON_SECONDS;
    const base = slot * this.width;
    const values = this.values;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      values.fill(0, base, base + this.width);
    }
    values[base]! += a;
    if (this.width > 1) values[base + 1]! += b;
    if (this.width > 2) values[base + 2]! += c;
    if (this.width > 3) values[base + 3]! += d;
  }

  rows(nowSecond: number): SecondRow[] {
    const rows: SecondRow[] = [];
    for (let second = nowSecond - HORIZON_SECONDS + 1; second <= nowSecond; second++) {
      const slot = second % HORIZON_SECONDS;
      if (this.stamps[slot] !== second) continue;
      const base = slot * this.width;
      rows.push([second, ...this.values.subarray(base, base + this.width)]);
    }
    return rows;
  }
}

interface HubSeries {
  partitions: number | null;
  readonly types: Map<string, SecondRing>;
  readonly batches: SecondRing;
  readonly throttled: SecondRing;
}

export interface IngressMeter {
  /** `events` of `type`, `bytes` in all, acknowledged by `hub`. */
  accepted(hub: string, type: string, events: number, bytes: number): void;
  /** A batch of `events` and `bytes` was acknowledged; `maxBytes` is the link's max message size. */
  batchSent(hub: string, events: number, bytes: number, maxBytes: number | undefined): void;
  /** The hub answered ServerBusy (throttled). */
  throttled(hub: string): void;
  /** The hub's partition count as read. */
  partitions(hub: string, count: number): void;
  /** Metering starts now (the gateway began serving): rates are over the time since. */
  begin(): void;
  snapshot(): MeterSnapshot;
}

/** Distinct event types kept per hub; past it they count under `other` (types come from config). */
const MAX_TYPES = 100;

export function createIngressMeter(clock: () => number = Date.now): IngressMeter {
  let startMs = clock();
  const hubs = new Map<string, HubSeries>();
  const hubOf = (hub: string): HubSeries => {
    let series = hubs.get(hub);
    if (series === undefined) {
      series = {
        partitions: null,
        types: new Map(),
        batches: new SecondRing(4),
        throttled: new SecondRing(1),
      };
      hubs.set(hub, series);
    }
    return series;
  };
  const second = (): number => Math.floor(clock() / 1000);
  return {
    accepted(hub, type, events, bytes) {
      const types = hubOf(hub).types;
      let ring = types.get(type);
      if (ring === undefined) {
        const name = types.size < MAX_TYPES ? type : 'other';
        ring = types.get(name) ?? new SecondRing(2);
        types.set(name, ring);
      }
      ring.add(second(), events, bytes);
    },
    batchSent(hub, events, bytes, maxBytes) {
      const fill = maxBytes === undefined || maxBytes <= 0 ? 0 : Math.min(1, bytes / maxBytes);
      hubOf(hub).batches.add(second(), 1, events, bytes, fill);
    },
    throttled(hub) {
      hubOf(hub).throttled.add(second(), 1);
    },
    partitions(hub, count) {
      hubOf(hub).partitions = count;
    },
    begin() {
      startMs = clock();
    },
    snapshot() {
      const nowMs = clock();
      const now = Math.floor(nowMs / 1000);
      const out: Record<string, HubSnapshot> = {};
      for (const [hub, series] of hubs) {
        const types: Record<string, SecondRow[]> = {};
        for (const [type, ring] of series.types) types[type] = ring.rows(now);
        out[hub] = {
          partitions: series.partitions,
          types,
          batches: series.batches.rows(now),
          throttled: series.throttled.rows(now),
        };
      }
      return { nowMs, startMs, hubs: out };
    },
  };
}

/** Rows of the same second added up (several workers' rows of one series). */
function mergeRows(lists: readonly (readonly SecondRow[])[]): SecondRow[] {
  const bySecond = new Map<number, number[]>();
  for (const rows of lists)
    for (const row of rows) {
      const sum = bySecond.get(row[0]!);
      if (sum === undefined) bySecond.set(row[0]!, [...row]);
      else for (let i = 1; i < row.length; i++) sum[i]! += row[i]!;
    }
  return [...bySecond.values()].sort((a, b) => a[0]! - b[0]!);
}

/** Several meters (the workers of one replica) as one: series summed, the earliest start. */
export function mergeSnapshots(snapshots: readonly MeterSnapshot[]): MeterSnapshot {
  if (snapshots.length === 1) return snapshots[0]!;
  const hubNames = new Set(snapshots.flatMap((s) => Object.keys(s.hubs)));
  const hubs: Record<string, HubSnapshot> = {};
  for (const hub of hubNames) {
    const parts = snapshots.map((s) => s.hubs[hub]).filter((h): h is HubSnapshot => h !== undefined);
    const typeNames = new Set(parts.flatMap((p) => Object.keys(p.types)));
    const partitions = parts.map((p) => p.partitions).filter((n): n is number => n !== null);
    hubs[hub] = {
      partitions: partitions.length === 0 ? null : Math.max(...partitions),
      types: Object.fromEntries(
        [...typeNames].map((t) => [t, mergeRows(parts.map((p) => p.types[t] ?? []))]),
      ),
      batches: mergeRows(parts.map((p) => p.batches)),
      throttled: mergeRows(parts.map((p) => p.throttled)),
    };
  }
  return {
    nowMs: Math.max(...snapshots.map((s) => s.nowMs)),
    startMs: Math.min(...snapshots.map((s) => s.startMs)),
    hubs,
  };
}
