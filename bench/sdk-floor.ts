/**
 * The SDK's own share of the gateway's work, measured alone: the CPU time of
 * `EventDataBatch.tryAdd` for the bench's readings, each carrying what the gateway's sink passes
 * (message id, content type, the five application properties, untraced). A gateway that sends
 * through @azure/event-hubs cannot spend less per event than this, so the typical stack's CPU per
 * event divided by it bounds the gateway/typical events/s ratio on this machine.
 * Child process; argument: one JSON `SdkFloorSpec`; prints `BENCH_JSON` with an `SdkFloorResult`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EventHubProducerClient, type EventData } from '@azure/event-hubs';
import { untracedProperties } from '../src/sink/untraced-properties';
import { printBenchJson } from './load/load-result';

export interface SdkFloorSpec {
  readonly connectionString: string;
  /** One reading per line. */
  readonly readingsFile: string;
  readonly durationS: number;
}

export interface SdkFloorResult {
  readonly events: number;
  /** User + system CPU µs per tryAdd, batch creation excluded. */
  readonly cpuUsPerEvent: number;
  readonly eventsPerBatch: number;
}

function cpuUs(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as SdkFloorSpec;
  const readings = readFileSync(spec.readingsFile, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const receivedAt = new Date().toISOString();
  const events: EventData[] = readings.map((line) => ({
    body: Buffer.from(line),
    messageId: randomUUID(),
    contentType: 'application/json',
    properties: untracedProperties({
      partitionKey: (JSON.parse(line) as { sensor_id: string }).sensor_id,
      eventType: 'telemetry',
      schemaVersion: '1.0.0',
      receivedAt,
      requestId: randomUUID(),
    }),
  }));
  const producer = new EventHubProducerClient(spec.connectionString);
  try {
    let added = 0;
    let batches = 0;
    let spentUs = 0;
    const endAt = Date.now() + spec.durationS * 1000;
    while (Date.now() < endAt) {
      const batch = await producer.createBatch({ partitionId: '0' });
      batches++;
      const before = process.cpuUsage();
      while (batch.tryAdd(events[added % events.length]!)) added++;
      spentUs += cpuUs(process.cpuUsage(before));
    }
    const result: SdkFloorResult = {
      events: added,
      cpuUsPerEvent: spentUs / Math.max(1, added),
      eventsPerBatch: added / batches,
    };
    printBenchJson(result);
  } finally {
    await producer.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
