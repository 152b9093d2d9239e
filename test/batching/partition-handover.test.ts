/**
 * Partition handovers with a fake sink: when the partition map grows, a key that moves is not sent
 * to its new partition before its old partition has answered for what it held at the change.
 * Keys (reference hash, 4 → 8 → 16 partitions): 'a' 0 → 4 → 12, 'b' 0 → 0, 'sensor-001' 1 → 1.
 */
import { createBatcher } from '../../src/batching/batcher';
import type { PartitionMap } from '../../src/batching/partition-map';
import type { Batcher, BatcherObserver, OutgoingEvent } from '../../src/batching/types';
import { GatewayError } from '../../src/errors';
import { settle } from './batcher-kit';
import { FakeSink } from './fake-sink';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

function keyed(id: string, key: string): OutgoingEvent {
  return { partitionKey: key, messageId: id, body: Buffer.alloc(10, 0x61), properties: {}, contentType: 'j' };
}

interface Bed {
  readonly batcher: Batcher;
  readonly sink: FakeSink;
  readonly trace: string[];
  push(ids: readonly string[]): Promise<void>;
}

async function bed(
  options: { clock?: () => number; maxQueueDelayMs?: number; observer?: BatcherObserver } = {},
): Promise<Bed> {
  const trace: string[] = [];
  const sink = new FakeSink(trace);
  let apply: ((ids: readonly string[]) => void) | undefined;
  const map: PartitionMap = {
    agree: (read) => Promise.resolve(read),
    subscribe: (fn) => {
      apply = fn;
      return () => (apply = undefined);
    },
  };
  const batcher = createBatcher({
    sink,
    partitionMap: map,
    partitionRefreshMs: 3_600_000,
    lingerMs: 0,
    ...options,
  });
  await batcher.start();
  return {
    batcher,
    sink,
    trace,
    async push(next) {
      apply?.(next);
      await settle();
    },
  };
}

describe('partition handover', () => {
  let current: Bed | undefined;
  afterEach(async () => {
    await current?.batcher.close({ flush: false });
    current = undefined;
  });

  it('when the map grows while a key’s old partition holds readings, then its new readings are sent to the new partition only after those are acknowledged', async () => {
    const seen: string[] = [];
    const t = (current = await bed({
      observer: {
        partitionMapChanged: (previous, next, handovers) =>
          seen.push(`changed ${previous.length}→${next.length} handovers=${handovers}`),
        handoverFinished: (partitionId, held) => seen.push(`handover ${partitionId} held=${held}`),
      },
    }));
    const { batcher, sink, trace } = t;
    const first = batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    const second = batcher.enqueue([keyed('e2', 'a')]); // fills the next batch of 0 while e1 is in flight
    await settle();

    await t.push(ids(8));
    const moved = batcher.enqueue([keyed('e3', 'a')]);
    const stays = batcher.enqueue([keyed('e4', 'b')]);
    const elsewhere = batcher.enqueue([keyed('e5', 'sensor-001')]);
    expect([moved, stays, elsewhere].map((x) => x.partitionIds)).toEqual([['4'], ['0'], ['1']]);
    await settle();
    expect(trace).toEqual(['send 0 [e1]', 'send 1 [e5]']);

    sink.ack('0');
    await first.acknowledged;
    await settle();
    // e2 was queued on 0 at the change: e3 still waits for it.
    expect(trace).toEqual(['send 0 [e1]', 'send 1 [e5]', 'send 0 [e2,e4]']);
    expect(sink.inFlightOn('4')).toBe(false);

    sink.ack('0');
    await second.acknowledged;
    await settle();
    expect(trace).toEqual(['send 0 [e1]', 'send 1 [e5]', 'send 0 [e2,e4]', 'send 4 [e3]']);
    sink.ack('4');
    await moved.acknowledged;
    // From now on the key goes to 4 directly.
    batcher.enqueue([keyed('e6', 'a')]);
    await settle();
    expect(trace.at(-1)).toBe('send 4 [e6]');
    expect(seen).toEqual(['changed 4→8 handovers=1', 'handover 0 held=1']);
  });

  it('when no partition holds readings at the change, then moving keys go to their new partition at once', async () => {
    const t = (current = await bed());
    const done = t.batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    t.sink.ack('0');
    await done.acknowledged;
    await t.push(ids(8));
    t.batcher.enqueue([keyed('e2', 'a')]);
    await settle();
    expect(t.trace).toEqual(['send 0 [e1]', 'send 4 [e2]']);
  });

  it('when a held reading’s request gives up, then it is never sent and its bytes are released', async () => {
    const t = (current = await bed());
    t.batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    await t.push(ids(8));
    const held = t.batcher.enqueue([keyed('e2', 'a')]);
    expect(t.batcher.stats.bufferedEvents).toBe(2);
    expect(t.batcher.stats.perPartition.get('4')?.events).toBe(1);
    held.withdraw(new GatewayError('GW_ERR_DEADLINE', 'deadline'));
    await expect(held.acknowledged).rejects.toMatchObject({ code: 'GW_ERR_DEADLINE' });
    expect(t.batcher.stats.perPartition.get('4')?.events).toBe(0);
    t.sink.ack('0');
    await settle();
    expect(t.trace).toEqual(['send 0 [e1]']);
    expect(t.batcher.stats.bufferedEvents).toBe(0);
  });

  it('when the old partition is overdue, then a moving key’s readings are refused for it while other partitions keep taking readings', async () => {
    let now = 0;
    const t = (current = await bed({ clock: () => now, maxQueueDelayMs: 100 }));
    t.batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    await t.push(ids(8));
    now = 200;
    let refusal: unknown;
    try {
      t.batcher.enqueue([keyed('e2', 'a')]);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ code: 'GW_ERR_BUFFER_FULL', extensions: { partitionId: '0' } });
    expect(t.batcher.enqueue([keyed('e3', 'sensor-001')]).partitionIds).toEqual(['1']);
    expect(t.batcher.stats.perPartition.get('4')?.events).toBe(0);
  });

  it('when the map changes again during a handover, then the second change waits for it and hands over in turn', async () => {
    const t = (current = await bed());
    const { batcher, sink, trace } = t;
    batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    await t.push(ids(8));
    const held = batcher.enqueue([keyed('e2', 'a')]);
    await t.push(ids(16));
    // Still routed with 8 partitions: 16 applies once the first handover finished.
    const stillEight = batcher.enqueue([keyed('e3', 'a')]);
    expect([held.partitionIds, stillEight.partitionIds]).toEqual([['4'], ['4']]);

    sink.ack('0');
    await settle();
    expect(trace).toEqual(['send 0 [e1]', 'send 4 [e2,e3]']);
    const sixteen = batcher.enqueue([keyed('e4', 'a')]);
    expect(sixteen.partitionIds).toEqual(['12']);
    await settle();
    expect(sink.inFlightOn('12')).toBe(false);
    sink.ack('4');
    await settle();
    expect(trace).toEqual(['send 0 [e1]', 'send 4 [e2,e3]', 'send 12 [e4]']);
  });

  it('when the gateway closes without flushing, then held readings are answered with GW_ERR_SHUTTING_DOWN', async () => {
    const t = (current = await bed());
    t.batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    await t.push(ids(8));
    const held = t.batcher.enqueue([keyed('e2', 'a')]);
    await t.batcher.close({ flush: false });
    await expect(held.acknowledged).rejects.toMatchObject({ code: 'GW_ERR_SHUTTING_DOWN' });
    expect(t.batcher.stats.bufferedEvents).toBe(0);
  });

  it('when the gateway closes with a flush, then held readings are sent after their old partition drained', async () => {
    const t = (current = await bed());
    t.batcher.enqueue([keyed('e1', 'a')]);
    await settle();
    await t.push(ids(8));
    const held = t.batcher.enqueue([keyed('e2', 'a')]);
    const closed = t.batcher.close({ flush: true, deadlineMs: 5000 });
    await settle();
    t.sink.ack('0');
    await settle();
    t.sink.ack('4');
    await held.acknowledged;
    await closed;
    expect(t.trace).toEqual(['send 0 [e1]', 'send 4 [e2]', 'sink closed']);
  });
});
