/**
 * `npm run capacity -- --url http://replica-a:8080 [--url …] [--key KEY] [--tier standard|premium]
 * [--growth 2] [--consumers N] [--json]`: asks every replica for GET /v1/capacity and adds them up
 * (src/capacity/sum-reports.ts), since each replica reports only its own share. The key (scope
 * ops:read) comes from --key or GATEWAY_API_KEY; an ops-port URL (METRICS_PORT) needs none.
 * Prints the figures per hub and event type and the recommendation, or the JSON with --json.
 */
import { parseArgs } from 'node:util';
import { parseAssumptions } from '../capacity/capacity-route';
import type { CapacityReport, Ingress } from '../capacity/capacity-report';
import { sumReports, type FleetReport } from '../capacity/sum-reports';

const USAGE =
  'usage: npm run capacity -- --url <gateway or ops URL> [--url …] [--key KEY] [--tier standard|premium] [--growth N] [--consumers N] [--json]';

async function fetchReport(url: string, query: string, key: string | undefined): Promise<CapacityReport> {
  const target = `${url.replace(/\/+$/, '')}/v1/capacity${query}`;
  let res: Response;
  try {
    res = await fetch(target, { headers: key === undefined ? {} : { Authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new Error(`${url}: ${(error as Error).message}`);
  }
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as CapacityReport;
}

const mbs = (bytes: number): string => (bytes / 1_048_576).toFixed(3);
const line = (name: string, i: Ingress, tu: { peakMinute: number }): string =>
  `  ${name.padEnd(24)} last minute ${String(i.lastMinute.eventsPerSecond).padStart(9)} ev/s ${mbs(i.lastMinute.bytesPerSecond).padStart(8)} MB/s   peak minute ${String(i.peakMinute.eventsPerSecond).padStart(9)} ev/s ${mbs(i.peakMinute.bytesPerSecond).padStart(8)} MB/s   TUs ${tu.peakMinute}`;

export function formatFleet(report: FleetReport): string {
  const a = report.assumptions;
  const out = [
    `${report.replicas} replica(s); ${report.note}`,
    `Per TU: ${a.perThroughputUnit.ingressEventsPerSecond} events/s or ${mbs(a.perThroughputUnit.ingressBytesPerSecond)} MB/s of ingress; tier ${a.tier} (≤ ${a.maxPartitions} partitions), growth ×${a.growthFactor}, ${a.consumers} consumer(s).`,
  ];
  for (const hub of report.hubs) {
    out.push('', `hub ${hub.hub}`, line('all event types', hub.ingress, hub.throughputUnits));
    for (const t of hub.eventTypes) out.push(line(t.type, t.ingress, t.throughputUnits));
    const b = hub.batches.lastMinute;
    out.push(
      `  partitions ${hub.partitions.actual ?? '?'} (advised ${hub.partitions.advised}); ServerBusy ${hub.throttling.serverBusyLastMinute} last minute, ${hub.throttling.serverBusyLastHour} last hour; batches ${b.count} last minute, ${b.eventsPerBatch} events and ${b.fillPercent}% full on average`,
      `  ${hub.recommendation}`,
    );
  }
  return out.join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string', multiple: true },
      key: { type: 'string' },
      tier: { type: 'string' },
      growth: { type: 'string' },
      consumers: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const urls = values.url ?? [];
  if (urls.length === 0) throw new Error(USAGE);
  const params = new URLSearchParams();
  for (const name of ['tier', 'growth', 'consumers'] as const) {
    const value = values[name];
    if (value !== undefined) params.set(name, value);
  }
  const query = params.size === 0 ? '' : `?${params.toString()}`;
  const assumptions = parseAssumptions(params.toString());
  const key = values.key ?? process.env.GATEWAY_API_KEY;
  const reports = await Promise.all(urls.map((url) => fetchReport(url, query, key)));
  const fleet = sumReports(reports, assumptions);
  process.stdout.write(`${values.json ? JSON.stringify(fleet, null, 2) : formatFleet(fleet)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`capacity: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
