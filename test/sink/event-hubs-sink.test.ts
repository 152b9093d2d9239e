/**
 * The Event Hubs sink through the real SDK into the emulator: what a batch carries on the wire,
 * what the link tells us, and how AMQP refusals come out as SinkErrors.
 */
import { startEmulator, type Emulator } from '../../emulator';
import type { OutgoingEvent } from '../../src/batching/types';
import { createEventHubsSink } from '../../src/sink/event-hubs-sink';
import { SinkError, type Sink } from '../../src/sink/types';

const HUB = 'telemetry';
let emulator: Emulator;
let sink: Sink;

function event(id: string, body: string): OutgoingEvent {
  return {
    partitionKey: 'sensor-x',
    messageId: id,
    body: Buffer.from(body),
    contentType: 'application/json',
    properties: { partitionKey: 'sensor-x', schemaVersion: 2, late: false },
  };
}

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, restPort: false, maxMessageSize: 4096 });
  sink = createEventHubsSink(
    { connectionString: emulator.connectionString },
    { retry: { delayMs: 10, maxDelayMs: 50 }, tryTimeoutMs: 5_000 },
  );
});

afterEach(async () => {
  await sink.close();
  await emulator.close();
});

describe('Event Hubs sink', () => {
  it('when a batch is sent, then the events land on that partition byte for byte with id, type and properties', async () => {
    expect(await sink.getPartitionIds()).toEqual(['0', '1', '2', '3']);
    expect(sink.maxMessageSize).toBeUndefined();
    const batch = await sink.createBatch('2');
    expect(sink.maxMessageSize).toBe(4096);
    expect(batch.maxSizeInBytes).toBe(4096);
    // Whitespace and key order as the device sent them: the body is not re-serialized.
    const raw = '{ "sensor_id":"sensor-x",  "t": 1.50 }';
    expect(batch.tryAdd(event('m-1', raw))).toBe(true);
    expect(batch.tryAdd(event('m-2', '{"t":2}'))).toBe(true);
    expect(batch.count).toBe(2);
    await sink.send(batch);

    const stored = emulator.store.events(HUB, '2');
    expect(stored.map((e) => e.messageId)).toEqual(['m-1', 'm-2']);
    expect(stored[0]!.body.toString()).toBe(raw);
    expect(stored[0]!.contentType).toBe('application/json');
    expect(stored[0]!.applicationProperties).toEqual({
      partitionKey: 'sensor-x',
      schemaVersion: 2,
      late: false,
    });
    // Sent to <hub>/Partitions/2: the key travels only as the application property.
    expect(stored[0]!.partitionKey).toBeUndefined();
    expect(emulator.store.transfers(HUB)).toEqual([
      expect.objectContaining({ partitionId: '2', eventCount: 2, bytes: batch.sizeInBytes }),
    ]);
  });

  it('when the batch is full, then tryAdd says no and the batch stays within the link limit', async () => {
    const batch = await sink.createBatch('0');
    let added = 0;
    while (batch.tryAdd(event(`m-${added}`, JSON.stringify({ pad: 'x'.repeat(200) })))) added++;
    expect(added).toBeGreaterThan(5);
    expect(batch.sizeInBytes).toBeLessThanOrEqual(4096);
    await sink.send(batch);
    expect(emulator.store.events(HUB, '0')).toHaveLength(added);
  });

  it('when the hub refuses a delivery, then send rejects with the SDK code and its retryable verdict', async () => {
    const busy = await sink.createBatch('1');
    busy.tryAdd(event('m-1', '{}'));
    emulator.faults.rejectNextSends(1, 'com.microsoft:server-busy');
    await expect(sink.send(busy)).rejects.toMatchObject({
      name: 'SinkError',
      code: 'ServerBusyError',
      retryable: true,
    });

    emulator.faults.rejectNextSends(1, 'amqp:link:message-size-exceeded');
    const error: unknown = await sink.send(busy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ code: 'MessageTooLargeError', retryable: false });
    expect(emulator.faults.counters.rejected).toBe(2);

    await sink.send(busy);
    expect(emulator.store.events(HUB, '1').map((e) => e.messageId)).toEqual(['m-1']);
  });

  it('when the partition does not exist, then createBatch rejects with a non-retryable SinkError', async () => {
    const error: unknown = await sink.createBatch('99').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ retryable: false });
  });
});
