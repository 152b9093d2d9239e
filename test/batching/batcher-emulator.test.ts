/**
 * The batcher through the real `@azure/event-hubs` SDK (our Event Hubs sink) into the project's
 * emulator on port 0: where events land, how full batches are, and what tickets say when the hub
 * is busy, refuses, or is gone. Sensor ids are unique per test so tests do not see each other.
 */
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../emulator';
import { createBatcher } from '../../src/batching/batcher';
import type { Batcher, BatcherOptions, OutgoingEvent } from '../../src/batching/types';
import { GatewayError } from '../../src/errors';
import { partitionIndexForKey } from '../../src/partitioning/partition-key';
import { createEventHubsSink } from '../../src/sink/event-hubs-sink';

const HUB = 'telemetry';
const MAX_MESSAGE_SIZE = 65_536;

let emulator: Emulator;
let batcher: Batcher | undefined;

/** A telemetry reading as the ingest route would hand it over. */
function reading(sensorId: string, seq: number, padding = 0): OutgoingEvent {
  const body = Buffer.from(
    JSON.stringify({ sensor_id: sensorId, seq, temperature: 20 + (seq % 10), pad: 'x'.repeat(padding) }),
  );
  return {
    partitionKey: sensorId,
    messageId: `${sensorId}-${seq}`,
    body,
    contentType: 'application/json',
    properties: { partitionKey: sensorId, eventType: 'telemetry', schemaVersion: 1, seq, synthetic: true },
  };
}

function uniqueSensor(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

async function startBatcher(options: Partial<BatcherOptions> = {}): Promise<Batcher> {
  const sink = createEventHubsSink(
    { connectionString: emulator.connectionString },
    { retry: { delayMs: 20, maxDelayMs: 100 }, tryTimeoutMs: 5_000 },
  );
  batcher = createBatcher({
    sink,
    lingerMs: 5,
    retry: { maxRetries: 3, delayMs: 20, maxDelayMs: 100 },
    ...options,
  });
  await batcher.start();
  return batcher;
}

/** Polls until `check` holds; for states we cannot await directly (readiness). */
async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, restPort: false, maxMessageSize: MAX_MESSAGE_SIZE });
});

afterEach(async () => {
  await batcher?.close();
  batcher = undefined;
  await emulator.close();
});

describe('batcher with the Event Hubs sink and the emulator', () => {
  it('when readings are acknowledged, then each landed on its hash partition, in order, with its properties', async () => {
    await startBatcher();
    const sensors = Array.from({ length: 8 }, (_, i) => uniqueSensor(`order-${i}`));
    const tickets = [];
    for (let seq = 0; seq < 20; seq++) {
      tickets.push(batcher!.enqueue(sensors.map((sensor) => reading(sensor, seq))));
    }
    await Promise.all(tickets.map((ticket) => ticket.acknowledged));

    for (const sensor of sensors) {
      const partitionId = String(partitionIndexForKey(sensor, 4));
      expect(tickets[0]!.partitionIds[sensors.indexOf(sensor)]).toBe(partitionId);
      const landed = emulator.store
        .events(HUB, partitionId)
        .filter((e) => e.messageId?.toString().startsWith(sensor));
      expect(landed.map((e) => e.messageId)).toEqual(
        Array.from({ length: 20 }, (_, seq) => `${sensor}-${seq}`),
      );
      for (const [seq, event] of landed.entries()) {
        const sent = reading(sensor, seq);
        expect(event.body.equals(sent.body)).toBe(true);
        expect(event.contentType).toBe('application/json');
        expect(event.applicationProperties).toEqual(sent.properties);
      }
    }
    expect(batcher!.stats.bufferedEvents).toBe(0);
    expect(batcher!.ready).toBe(true);
  });

  it('when the batcher is saturated, then batches fill to at least 95 % of the max message size', async () => {
    await startBatcher({ lingerMs: 20 });
    const sensor = uniqueSensor('load');
    const tickets = [];
    // ~2 MB for one partition, enqueued faster than it can be sent.
    for (let request = 0; request < 100; request++) {
      const events = Array.from({ length: 100 }, (_, i) => reading(sensor, request * 100 + i, 64));
      tickets.push(batcher!.enqueue(events));
    }
    await Promise.all(tickets.map((ticket) => ticket.acknowledged));

    const transfers = emulator.store.transfers(HUB).filter((t) => t.eventCount > 0);
    expect(transfers.reduce((sum, t) => sum + t.eventCount, 0)).toBe(10_000);
    const allButLast = transfers.slice(0, -1);
    const meanFill = allButLast.reduce((sum, t) => sum + t.bytes, 0) / allButLast.length / MAX_MESSAGE_SIZE;
    expect(allButLast.length).toBeGreaterThan(10);
    expect(meanFill).toBeGreaterThanOrEqual(0.95);
    expect(Math.max(...transfers.map((t) => t.bytes))).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
  });

  it('when the hub is busy twice, then the send is retried and the ticket resolves with the events stored once', async () => {
    await startBatcher();
    const sensor = uniqueSensor('busy');
    emulator.faults.rejectNextSends(2, 'com.microsoft:server-busy');
    const ticket = batcher!.enqueue([reading(sensor, 0), reading(sensor, 1)]);
    await ticket.acknowledged;
    const partitionId = String(partitionIndexForKey(sensor, 4));
    expect(emulator.store.events(HUB, partitionId).map((e) => e.messageId)).toEqual([
      `${sensor}-0`,
      `${sensor}-1`,
    ]);
    expect(emulator.faults.counters.rejected).toBe(2);
  });

  it('when the hub keeps refusing, then the tickets fail with GW_ERR_SEND_FAILED and nothing is stored', async () => {
    const failures: string[] = [];
    await startBatcher({ observer: { sendFailed: (p, code, n) => failures.push(`${p} ${code} ${n}`) } });
    const sensor = uniqueSensor('refused');
    emulator.faults.rejectNextSends(100, 'com.microsoft:server-busy');
    const ticket = batcher!.enqueue([reading(sensor, 0)]);
    const error = await ticket.acknowledged.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      code: 'GW_ERR_SEND_FAILED',
      status: 503,
      extensions: { sinkCode: 'ServerBusyError' },
    });
    expect(emulator.faults.counters.rejected).toBe(4); // first attempt + 3 retries
    expect(emulator.store.allEvents(HUB)).toHaveLength(0);
    expect(failures).toEqual([`${partitionIndexForKey(sensor, 4)} ServerBusyError 1`]);
    emulator.faults.rejectNextSends(0, 'com.microsoft:server-busy');
  });

  it('when the hub is down, then tickets fail and readiness drops; when it returns, sends succeed again', async () => {
    await startBatcher({ partitionRefreshMs: 200 });
    const sensor = uniqueSensor('outage');
    await batcher!.enqueue([reading(sensor, 0)]).acknowledged;
    expect(batcher!.ready).toBe(true);

    await emulator.faults.stopListening();
    const during = batcher!.enqueue([reading(sensor, 1)]);
    await expect(during.acknowledged).rejects.toMatchObject({ code: 'GW_ERR_SEND_FAILED' });
    // Unready once the hub has answered nothing for a second (or a probe failed): within 2 s.
    await eventually(() => !batcher!.ready, 2000);

    await emulator.faults.startListening();
    await eventually(() => batcher!.ready);
    await batcher!.enqueue([reading(sensor, 2)]).acknowledged;
    const partitionId = String(partitionIndexForKey(sensor, 4));
    expect(emulator.store.events(HUB, partitionId).map((e) => e.messageId)).toEqual([
      `${sensor}-0`,
      `${sensor}-2`,
    ]);
  });

  it('when closing under load, then everything buffered is acknowledged before close resolves', async () => {
    await startBatcher({ lingerMs: 1000 });
    const sensors = Array.from({ length: 4 }, (_, i) => uniqueSensor(`close-${i}`));
    const outcomes: string[] = [];
    for (let seq = 0; seq < 10; seq++) {
      const ticket = batcher!.enqueue(sensors.map((sensor) => reading(sensor, seq)));
      void ticket.acknowledged.then(
        () => outcomes.push('ack'),
        () => outcomes.push('reject'),
      );
    }
    await batcher!.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomes).toEqual(Array.from({ length: 10 }, () => 'ack'));
    expect(emulator.store.allEvents(HUB)).toHaveLength(40);
  });
});
