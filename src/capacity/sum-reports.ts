/**
 * Several replicas' capacity reports added up (`npm run capacity` with several URLs): rates,
 * throttling and batches are summed, the partition count is the hub's (the largest any replica
 * read), and throughput units, partition advice and the recommendation are worked out again from
 * the sums. Every replica's peak minute is added as if they coincided, so the fleet's peak is an
 * upper bound (replicas behind one load balancer peak together, so it is usually close). Pure.
 */
import {
  advisedPartitions,
  MAX_PARTITIONS,
  recommend,
  throughputUnits,
  type CapacityAssumptions,
  type CapacityReport,
  type HubReport,
  type Ingress,
  type TypeReport,
} from './capacity-report';

export interface FleetReport extends Omit<CapacityReport, 'scope' | 'note'> {
  readonly scope: 'fleet';
  readonly note: string;
  readonly replicas: number;
}

const round = (n: number): number => Number(n.toFixed(2));

function sumIngress(all: readonly Ingress[]): Ingress {
  const sum = (pick: (i: Ingress) => number): number => round(all.reduce((s, i) => s + pick(i), 0));
  const latest =
    all
      .map((i) => i.peakMinute.endedAt)
      .sort()
      .at(-1) ?? new Date(0).toISOString();
  return {
    lastMinute: {
      eventsPerSecond: sum((i) => i.lastMinute.eventsPerSecond),
      bytesPerSecond: sum((i) => i.lastMinute.bytesPerSecond),
      seconds: Math.min(...all.map((i) => i.lastMinute.seconds)),
    },
    peakMinute: {
      eventsPerSecond: sum((i) => i.peakMinute.eventsPerSecond),
      bytesPerSecond: sum((i) => i.peakMinute.bytesPerSecond),
      endedAt: latest,
    },
  };
}

function units(ingress: Ingress): TypeReport['throughputUnits'] {
  return { lastMinute: throughputUnits(ingress.lastMinute), peakMinute: throughputUnits(ingress.peakMinute) };
}

export function sumReports(
  reports: readonly CapacityReport[],
  assumptions: CapacityAssumptions,
): FleetReport {
  const hubNames = [...new Set(reports.flatMap((r) => r.hubs.map((h) => h.hub)))];
  const hubs = hubNames.map((hub): HubReport => {
    const parts = reports.flatMap((r) => r.hubs.filter((h) => h.hub === hub));
    const ingress = sumIngress(parts.map((p) => p.ingress));
    const typeNames = [...new Set(parts.flatMap((p) => p.eventTypes.map((t) => t.type)))];
    const eventTypes = typeNames.map((type): TypeReport => {
      const typeIngress = sumIngress(
        parts.flatMap((p) => p.eventTypes.filter((t) => t.type === type).map((t) => t.ingress)),
      );
      return { type, ingress: typeIngress, throughputUnits: units(typeIngress) };
    });
    const counts = parts.map((p) => p.partitions.actual).filter((n): n is number => n !== null);
    const batches = parts.map((p) => p.batches.lastMinute);
    const count = batches.reduce((s, b) => s + b.count, 0);
    const weighted = (pick: (b: (typeof batches)[number]) => number): number =>
      count === 0 ? 0 : round(batches.reduce((s, b) => s + pick(b) * b.count, 0) / count);
    const report: Omit<HubReport, 'recommendation'> = {
      hub,
      ingress,
      throughputUnits: units(ingress),
      partitions: {
        actual: counts.length === 0 ? null : Math.max(...counts),
        advised: advisedPartitions(ingress.peakMinute.eventsPerSecond, assumptions),
        max: MAX_PARTITIONS[assumptions.tier],
      },
      throttling: {
        serverBusyLastMinute: parts.reduce((s, p) => s + p.throttling.serverBusyLastMinute, 0),
        serverBusyLastHour: parts.reduce((s, p) => s + p.throttling.serverBusyLastHour, 0),
      },
      batches: {
        lastMinute: {
          count,
          eventsPerBatch: weighted((b) => b.eventsPerBatch),
          bytesPerBatch: weighted((b) => b.bytesPerBatch),
          fillPercent: weighted((b) => b.fillPercent),
        },
      },
      eventTypes: eventTypes.sort(
        (x, y) => y.ingress.peakMinute.eventsPerSecond - x.ingress.peakMinute.eventsPerSecond,
      ),
    };
    return {
      ...report,
      recommendation: recommend(report, assumptions, { replicas: reports.length, share: false }),
    };
  });
  const first = reports[0];
  return {
    scope: 'fleet',
    note: `The sum of ${reports.length} replica report(s); the peak minute adds every replica's peak, an upper bound.`,
    replicas: reports.length,
    generatedAt: new Date().toISOString(),
    meteredSince: reports.map((r) => r.meteredSince).sort()[0] ?? new Date().toISOString(),
    assumptions: {
      ...assumptions,
      perThroughputUnit: first?.assumptions.perThroughputUnit ?? {
        ingressBytesPerSecond: 1_048_576,
        ingressEventsPerSecond: 1000,
      },
      maxPartitions: MAX_PARTITIONS[assumptions.tier],
    },
    hubs,
  };
}
