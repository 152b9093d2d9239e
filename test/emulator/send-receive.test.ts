/**
 * The real SDK producer and consumer against the emulator: what is sent is stored exactly and
 * read back exactly, from every start position the SDK can express.
 */
import { earliestEventPosition, latestEventPosition, type EventHubProducerClient } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator/index';
import { consumerFor, producerFor, readEvents, uniqueId } from './support/sdk';

describe('emulator send and receive through the SDK', () => {
  let emulator: Emulator;
  let producer: EventHubProducerClient;

  beforeAll(async () => {
    emulator = await startEmulator({ hubs: [{ name: 'telemetry', partitionCount: 4 }] });
    producer = producerFor(emulator.connectionString);
  });

  afterAll(async () => {
    await producer.close();
    await emulator.close();
  });

  beforeEach(() => emulator.store.reset());

  it('when a batch is sent to a partition, then every event is stored there with its properties', async () => {
    const id = uniqueId('sensor');
    const batch = await producer.createBatch({ partitionId: '2' });
    expect(batch.maxSizeInBytes).toBe(1048576);
    batch.tryAdd({
      body: { id, t: 21.5 },
      properties: { unit: 'C', n: 7 },
      messageId: `${id}-1`,
      contentType: 'application/json',
    });
    batch.tryAdd({ body: Buffer.from([0, 1, 2, 255]) });
    await producer.sendBatch(batch);

    const stored = emulator.store.events('telemetry', '2');
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({
      partitionId: '2',
      sequenceNumber: 0,
      offset: '0',
      messageId: `${id}-1`,
    });
    expect(stored[0]?.contentType).toBe('application/json');
    expect(stored[0]?.applicationProperties).toEqual({ unit: 'C', n: 7 });
    expect(JSON.parse(stored[0]!.body.toString('utf8'))).toEqual({ id, t: 21.5 });
    expect(stored[1]?.body).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(Number(stored[1]?.offset)).toBe(stored[0]!.raw.length);
    expect(emulator.store.transfers('telemetry')).toEqual([
      { hub: 'telemetry', partitionId: '2', eventCount: 2, bytes: expect.any(Number) },
    ]);
  });

  it('when single events are sent without a partition, then the hub spreads them round-robin', async () => {
    for (let i = 0; i < 4; i++) await producer.sendBatch([{ body: `e${i}` }]);
    const partitions = emulator.store
      .allEvents('telemetry')
      .map((e) => e.partitionId)
      .sort();
    expect(partitions).toEqual(['0', '1', '2', '3']);
  });

  it('when events carry a partition key, then they land together on the hashed partition with the key stamped', async () => {
    await producer.sendBatch([{ body: 'a' }, { body: 'b' }], { partitionKey: 'sensor-123' });
    const stored = await emulator.store.waitForEvents('telemetry', 2, 2000);
    expect(stored.map((e) => [e.partitionId, e.partitionKey])).toEqual([
      ['3', 'sensor-123'],
      ['3', 'sensor-123'],
    ]);
  });

  it('when a batch fills to the size bound, then one transfer carries it whole across many frames', async () => {
    const batch = await producer.createBatch({ partitionId: '0' });
    const body = Buffer.alloc(200, 7);
    while (batch.tryAdd({ body })) {
      // fill to the advertised max-message-size
    }
    await producer.sendBatch(batch);
    const [transfer] = emulator.store.transfers('telemetry');
    expect(transfer?.eventCount).toBe(batch.count);
    expect(transfer?.bytes).toBe(batch.sizeInBytes);
    expect(transfer!.bytes).toBeGreaterThan(1048576 - 400);
    expect(emulator.store.events('telemetry', '0')).toHaveLength(batch.count);
  });

  it('when a consumer reads from earliest, then it gets exact bodies, properties, keys, sequence numbers and offsets', async () => {
    await producer.sendBatch(
      [
        {
          body: { n: 1 },
          properties: { kind: 'x', when: new Date(1700000000000) },
          messageId: 'm-1',
          correlationId: 'c-1',
        },
        { body: 'text' },
      ],
      { partitionId: '1' },
    );
    await producer.sendBatch([{ body: Buffer.from('bin') }], { partitionKey: 'device-42' }); // → partition 0
    const consumer = consumerFor(emulator.connectionString);
    try {
      const events = await readEvents(consumer, '1', earliestEventPosition, 2);
      const stored = emulator.store.events('telemetry', '1');
      expect(events.map((e): unknown => e.body)).toEqual([{ n: 1 }, 'text']);
      expect(events[0]?.properties).toEqual({ kind: 'x', when: 1700000000000 });
      expect(events[0]?.messageId).toBe('m-1');
      expect(events[0]?.correlationId).toBe('c-1');
      expect(events.map((e) => e.sequenceNumber)).toEqual(stored.map((e) => e.sequenceNumber));
      expect(events.map((e) => e.offset)).toEqual(stored.map((e) => e.offset));
      expect(events[0]?.enqueuedTimeUtc.getTime()).toBe(stored[0]?.enqueuedTime.getTime());

      const keyed = await readEvents(consumer, '0', earliestEventPosition, 1);
      expect(keyed[0]?.partitionKey).toBe('device-42');
      expect(keyed[0]?.body).toEqual(Buffer.from('bin'));
    } finally {
      await consumer.close();
    }
  });

  it('when consumers start at an offset, a sequence number or an enqueued time, then they begin at the right event', async () => {
    for (let i = 0; i < 5; i++) await producer.sendBatch([{ body: `s${i}` }], { partitionId: '3' });
    const stored = emulator.store.events('telemetry', '3');
    const consumer = consumerFor(emulator.connectionString);
    try {
      const bodies = async (position: Parameters<typeof readEvents>[2], count: number): Promise<unknown[]> =>
        (await readEvents(consumer, '3', position, count)).slice(0, count).map((e): unknown => e.body);
      const third = stored[2]!;
      expect(await bodies({ offset: third.offset, isInclusive: true }, 3)).toEqual(['s2', 's3', 's4']);
      expect(await bodies({ offset: third.offset }, 2)).toEqual(['s3', 's4']);
      expect(await bodies({ sequenceNumber: third.sequenceNumber, isInclusive: true }, 3)).toEqual([
        's2',
        's3',
        's4',
      ]);
      expect(await bodies({ sequenceNumber: third.sequenceNumber }, 2)).toEqual(['s3', 's4']);
      expect(await bodies({ enqueuedOn: stored[0]!.enqueuedTime.getTime() - 1 }, 5)).toEqual([
        's0',
        's1',
        's2',
        's3',
        's4',
      ]);
    } finally {
      await consumer.close();
    }
  });

  it('when a consumer starts at latest, then it only sees events sent after it attached, live', async () => {
    await producer.sendBatch([{ body: 'old' }], { partitionId: '1' });
    const consumer = consumerFor(emulator.connectionString);
    try {
      const reading = readEvents(consumer, '1', latestEventPosition, 2);
      // The subscription attaches asynchronously: keep sending (each send awaits its
      // acknowledgement) until it has seen two events.
      const deadline = Date.now() + 5000;
      let sent = 0;
      let settled = false;
      void reading.finally(() => (settled = true)).catch(() => undefined);
      while (!settled && Date.now() < deadline) {
        await producer.sendBatch([{ body: `new-${sent++}` }], { partitionId: '1' });
      }
      const events = await reading;
      expect(events.every((e) => e.body !== 'old')).toBe(true);
      expect(events.map((e) => e.sequenceNumber)).toEqual(
        [...events.map((e) => e.sequenceNumber)].sort((a, b) => a - b),
      );
    } finally {
      await consumer.close();
    }
  });

  it('when the runtime metric is tracked, then lastEnqueuedEventProperties reflect the partition', async () => {
    await producer.sendBatch([{ body: 1 }, { body: 2 }], { partitionId: '2' });
    const consumer = consumerFor(emulator.connectionString);
    try {
      const last = emulator.store.events('telemetry', '2')[1]!;
      const seen: Array<{ sequenceNumber?: number; offset?: string }> = [];
      await new Promise<void>((resolve, reject) => {
        const subscription = consumer.subscribe(
          '2',
          {
            processEvents: async (events, context) => {
              if (events.length > 0) {
                seen.push({ ...context.lastEnqueuedEventProperties });
                await subscription.close();
                resolve();
              }
            },
            processError: (error) => Promise.resolve(reject(error)),
          },
          {
            startPosition: earliestEventPosition,
            trackLastEnqueuedEventProperties: true,
            maxWaitTimeInSeconds: 0.2,
          },
        );
      });
      expect(seen[0]).toMatchObject({ sequenceNumber: last.sequenceNumber, offset: last.offset });
    } finally {
      await consumer.close();
    }
  });
});
