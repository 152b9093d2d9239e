/**
 * `npm run bench:emulator`: how fast the emulator ingests from one SDK producer. The emulator runs
 * in a child process (`emulator/cli.ts`, so its CPU is not shared with the producer); one
 * `EventHubProducerClient` fills batches with ~200-byte events up to the advertised 1 MiB and sends
 * them for a fixed duration, with one send in flight per partition (as the gateway's batcher does).
 * Prints events/s and MB/s. Options: BENCH_SECONDS (default 10), BENCH_EVENT_BYTES (200),
 * BENCH_CONCURRENCY (in-flight sends, default = partition count).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EventHubProducerClient } from '@azure/event-hubs';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

function startChildEmulator(): Promise<{ child: ChildProcess; connectionString: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts'], {
    env: { ...process.env, EMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited early with code ${String(code)}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('Endpoint=sb://')) resolve({ child, connectionString: line.trim() });
    });
  });
}

async function main(): Promise<void> {
  const seconds = intFromEnv('BENCH_SECONDS', 10);
  const eventBytes = intFromEnv('BENCH_EVENT_BYTES', 200);
  const { child, connectionString } = await startChildEmulator();
  const producer = new EventHubProducerClient(connectionString, {
    retryOptions: { maxRetries: 3, retryDelayInMs: 50 },
  });
  try {
    const partitionIds = await producer.getPartitionIds();
    const concurrency = intFromEnv('BENCH_CONCURRENCY', partitionIds.length);
    const body = Buffer.alloc(eventBytes, 0x61);
    let events = 0;
    let bytes = 0;
    let transfers = 0;
    const deadline = Date.now() + seconds * 1000;
    const started = process.hrtime.bigint();
    const lane = async (index: number): Promise<void> => {
      const partitionId = partitionIds[index % partitionIds.length];
      while (Date.now() < deadline) {
        const batch = await producer.createBatch({ partitionId });
        while (batch.tryAdd({ body })) {
          // fill to the link's max-message-size
        }
        await producer.sendBatch(batch);
        events += batch.count;
        bytes += batch.sizeInBytes;
        transfers += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)));
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = {
      emulator: 'child process',
      seconds: Number(elapsed.toFixed(2)),
      eventBytes,
      concurrency,
      transfers,
      events,
      eventsPerSecond: Math.round(events / elapsed),
      megabytesPerSecond: Number((bytes / elapsed / 1e6).toFixed(1)),
      eventsPerTransfer: Math.round(events / Math.max(transfers, 1)),
    };
    process.stdout.write(
      `bench:emulator ${summary.eventsPerSecond} events/s, ${summary.megabytesPerSecond} MB/s ` +
        `(${transfers} transfers of ~${summary.eventsPerTransfer} × ${eventBytes}-byte events, ` +
        `${concurrency} in flight, ${summary.seconds} s, emulator in a child process)\n`,
    );
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await producer.close();
    child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:emulator failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
