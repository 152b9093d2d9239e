/**
 * Receiver semantics the SDK relies on: batches never exceed the requested size (the emulator
 * stays within the client's credit), a higher owner level steals a partition with
 * ReceiverDisconnectedError, and an unknown consumer group is refused.
 */
import { earliestEventPosition, type EventHubProducerClient, type Subscription } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator/index';
import { failureCodes } from './support/errors';
import { consumerFor, producerFor, readEvents } from './support/sdk';

describe('emulator receivers', () => {
  let emulator: Emulator;
  let producer: EventHubProducerClient;

  beforeAll(async () => {
    emulator = await startEmulator({
      hubs: [{ name: 'telemetry', partitionCount: 2, consumerGroups: ['ops'] }],
    });
    producer = producerFor(emulator.connectionString);
    await producer.sendBatch(
      Array.from({ length: 25 }, (_, i) => ({ body: i })),
      { partitionId: '0' },
    );
  });

  afterAll(async () => {
    await producer.close();
    await emulator.close();
  });

  it('when a subscriber asks for batches of 4, then it receives every event in order in batches of at most 4', async () => {
    const consumer = consumerFor(emulator.connectionString, 'ops');
    const sizes: number[] = [];
    const bodies: unknown[] = [];
    let subscription: Subscription | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        subscription = consumer.subscribe(
          '0',
          {
            processEvents: (events) => {
              if (events.length > 0) sizes.push(events.length);
              bodies.push(...events.map((e): unknown => e.body));
              if (bodies.length >= 25) resolve();
              return Promise.resolve();
            },
            processError: (error) => Promise.resolve(reject(error)),
          },
          { startPosition: earliestEventPosition, maxBatchSize: 4, maxWaitTimeInSeconds: 0.5 },
        );
      });
    } finally {
      await subscription?.close();
      await consumer.close();
    }
    expect(bodies).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  });

  it('when a receiver with a higher owner level attaches, then the current one is disconnected', async () => {
    const first = consumerFor(emulator.connectionString);
    const second = consumerFor(emulator.connectionString);
    const errors: string[] = [];
    let low: Subscription | undefined;
    try {
      const stolen = new Promise<void>((resolve) => {
        low = first.subscribe(
          '1',
          {
            processEvents: () => Promise.resolve(),
            processError: (error) => {
              errors.push((error as { code?: string }).code ?? error.name);
              resolve();
              return Promise.resolve();
            },
          },
          { startPosition: earliestEventPosition, ownerLevel: 1, maxWaitTimeInSeconds: 0.2 },
        );
      });
      // Whether the owner-level-2 receiver finds the first one attached (and steals it) or not yet
      // (and the first is refused on attach), the first sees ReceiverDisconnectedError.
      const high = second.subscribe(
        '1',
        { processEvents: () => Promise.resolve(), processError: () => Promise.resolve() },
        { startPosition: earliestEventPosition, ownerLevel: 2, maxWaitTimeInSeconds: 0.2 },
      );
      await stolen;
      await high.close();
    } finally {
      await low?.close();
      await first.close();
      await second.close();
    }
    expect(errors).toContain('ReceiverDisconnectedError');
  });

  it('when the consumer group does not exist, then the SDK reports MessagingEntityNotFoundError', async () => {
    const consumer = consumerFor(emulator.connectionString, 'nobody');
    try {
      expect(await failureCodes(() => readEvents(consumer, '0', earliestEventPosition, 1, 3000))).toContain(
        'MessagingEntityNotFoundError',
      );
    } finally {
      await consumer.close();
    }
  });
});
