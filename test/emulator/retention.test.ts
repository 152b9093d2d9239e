/**
 * The retention bound keeps each partition's log (and so the emulator's memory) bounded on long
 * runs: the oldest events go first, and readers and management see the log's new beginning.
 */
import { earliestEventPosition } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator/index';
import { consumerFor, producerFor, readEvents } from './support/sdk';

describe('emulator retention bound', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({
      hubs: [{ name: 'telemetry', partitionCount: 2 }],
      retention: { maxEventsPerPartition: 100, maxBytesPerPartition: 64 * 1024 },
    });
  });

  afterAll(() => emulator.close());

  beforeEach(() => emulator.store.reset());

  it('when more events arrive than the event bound, then only the newest are kept and readers start there', async () => {
    const first = emulator.store.events('telemetry', '0').length;
    expect(first).toBe(0);
    for (let i = 0; i < 250; i++)
      emulator.ingest({ hub: 'telemetry', partitionId: '0' }, [{ body: Buffer.from(`e${i}`) }]);
    const kept = emulator.store.events('telemetry', '0');
    expect(kept).toHaveLength(100);
    expect(kept.map((e) => e.body.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `e${150 + i}`));

    const producer = producerFor(emulator.connectionString);
    const consumer = consumerFor(emulator.connectionString);
    try {
      const properties = await producer.getPartitionProperties('0');
      expect(properties.beginningSequenceNumber).toBe(kept[0]!.sequenceNumber);
      expect(properties.lastEnqueuedSequenceNumber).toBe(kept[99]!.sequenceNumber);
      const [oldest] = await readEvents(consumer, '0', earliestEventPosition, 1);
      expect(oldest?.sequenceNumber).toBe(kept[0]!.sequenceNumber);
      expect(oldest?.body).toEqual(Buffer.from('e150'));
    } finally {
      await producer.close();
      await consumer.close();
    }
  });

  it('when a long run pushes many bytes, then the retained bytes stay under the byte bound', () => {
    const body = Buffer.alloc(1000, 1);
    for (let i = 0; i < 5000; i++)
      emulator.ingest({ hub: 'telemetry', partitionId: '1' }, [{ body }, { body }]);
    const kept = emulator.store.events('telemetry', '1');
    const bytes = kept.reduce((sum, e) => sum + e.raw.length, 0);
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    expect(kept.length).toBeGreaterThan(50);
    expect(kept[kept.length - 1]!.sequenceNumber).toBe(9999);
    // Transfer records are capped too, so a long run's bookkeeping stays bounded.
    expect(emulator.store.transfers().length).toBeLessThanOrEqual(20_000);
  });
});
