/**
 * `$management` through the SDK: hub and partition properties with the right values and types,
 * and the service's errors for an unknown partition or hub.
 */
import type { EventHubProducerClient } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator/index';
import { producerFor } from './support/sdk';

describe('emulator $management through the SDK', () => {
  let emulator: Emulator;
  let producer: EventHubProducerClient;

  beforeAll(async () => {
    emulator = await startEmulator({
      hubs: [
        { name: 'telemetry', partitionCount: 3 },
        { name: 'audit', partitionCount: 1, consumerGroups: ['ops'] },
      ],
    });
    producer = producerFor(emulator.connectionString);
  });

  afterAll(async () => {
    await producer.close();
    await emulator.close();
  });

  it('when hub properties are read, then name, creation time and partition ids match the configuration', async () => {
    const properties = await producer.getEventHubProperties();
    expect(properties.name).toBe('telemetry');
    expect(properties.partitionIds).toEqual(['0', '1', '2']);
    expect(properties.createdOn).toBeInstanceOf(Date);
    expect(properties.createdOn.getTime()).toBe(emulator.config.hubs[0]!.createdAt.getTime());
    expect(await producer.getPartitionIds()).toEqual(['0', '1', '2']);
  });

  it('when an empty partition is read, then it reports empty with -1 positions', async () => {
    expect(await producer.getPartitionProperties('2')).toEqual({
      eventHubName: 'telemetry',
      partitionId: '2',
      beginningSequenceNumber: -1,
      lastEnqueuedSequenceNumber: -1,
      lastEnqueuedOffset: '-1',
      lastEnqueuedOnUtc: new Date(0),
      isEmpty: true,
    });
  });

  it('when a partition holds events, then its properties describe the first and last of them', async () => {
    await producer.sendBatch([{ body: 'a' }, { body: 'b' }, { body: 'c' }], { partitionId: '1' });
    const stored = emulator.store.events('telemetry', '1');
    const last = stored[stored.length - 1]!;
    expect(await producer.getPartitionProperties('1')).toEqual({
      eventHubName: 'telemetry',
      partitionId: '1',
      beginningSequenceNumber: stored[0]!.sequenceNumber,
      lastEnqueuedSequenceNumber: last.sequenceNumber,
      lastEnqueuedOffset: last.offset,
      lastEnqueuedOnUtc: last.enqueuedTime,
      isEmpty: false,
    });
  });

  it('when an unknown partition is read, then the SDK surfaces ArgumentOutOfRangeError', async () => {
    await expect(producer.getPartitionProperties('9')).rejects.toMatchObject({
      code: 'ArgumentOutOfRangeError',
    });
  });

  it('when an unknown hub is addressed, then the SDK surfaces MessagingEntityNotFoundError', async () => {
    const other = producerFor(emulator.connectionStringFor('RootManageSharedAccessKey', 'nope'));
    try {
      await expect(other.getEventHubProperties()).rejects.toMatchObject({
        code: 'MessagingEntityNotFoundError',
      });
      await expect(other.sendBatch([{ body: 1 }])).rejects.toMatchObject({
        code: 'MessagingEntityNotFoundError',
      });
    } finally {
      await other.close();
    }
  });

  it('when a second hub is addressed, then it answers with its own properties', async () => {
    const audit = producerFor(emulator.connectionStringFor('RootManageSharedAccessKey', 'audit'));
    try {
      expect((await audit.getEventHubProperties()).partitionIds).toEqual(['0']);
    } finally {
      await audit.close();
    }
  });
});
