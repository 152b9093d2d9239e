/**
 * A partial batch past its linger keeps filling while the event loop is saturated, and leaves as
 * soon as the loop has time to spare, when it is full, or at lingerUnderLoadMs. A fake gauge
 * stands in for the loop; fake sink and timers as in batcher.test.ts.
 */
import { advance, ev, settle } from '../../test/batching/batcher-kit';
import { FakeSink } from '../../test/batching/fake-sink';
import { createBatcher } from './batcher';
import type { LoadGauge } from './loop-load';
import type { Batcher, BatcherOptions, OutgoingEvent } from './types';

let trace: string[];
let sink: FakeSink;
let batcher: Batcher | undefined;
let saturated: boolean;
const gauge: LoadGauge = {
  mark: () => Date.now(),
  saturatedSince: () => saturated,
  saturatedRecently: () => saturated,
};

async function start(options: Partial<BatcherOptions> = {}): Promise<void> {
  batcher = createBatcher({
    sink,
    lingerMs: 5,
    lingerUnderLoadMs: 100,
    load: gauge,
    clock: () => Date.now(),
    ...options,
  });
  await batcher.start();
  await settle();
}

function enqueue(name: string, events: OutgoingEvent[]): void {
  trace.push(`enqueue ${name}`);
  void batcher!.enqueue(events).acknowledged.then(
    () => trace.push(`ack ${name}`),
    () => trace.push(`reject ${name}`),
  );
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  trace = [];
  sink = new FakeSink(trace);
  saturated = true;
});

afterEach(async () => {
  await batcher?.close({ flush: false });
  jest.useRealTimers();
});

describe('holding a batch while the event loop is saturated', () => {
  it('when the loop stays saturated past the linger, then the batch keeps filling and leaves once full', async () => {
    await start({ maxEventsPerBatch: 3 });
    enqueue('T1', [ev('e1', '1')]);
    await advance(30);
    enqueue('T2', [ev('e2', '1')]);
    await advance(30);
    expect(trace).toEqual(['enqueue T1', 'enqueue T2']);
    enqueue('T3', [ev('e3', '1')]);
    await settle();
    expect(trace).toEqual(['enqueue T1', 'enqueue T2', 'enqueue T3', 'send 1 [e1,e2,e3]']);
  });

  it('when a look finds the loop had time to spare, then the held batch leaves at that look', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(20);
    expect(trace).toEqual(['enqueue T1']);
    saturated = false;
    await advance(1);
    expect(trace).toEqual(['enqueue T1', 'send 1 [e1]']);
  });

  it('when a held batch left without filling, then the next batches use the plain linger for a second', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(10);
    saturated = false;
    await advance(1);
    sink.ack('1');
    await settle();
    saturated = true;
    enqueue('T2', [ev('e2', '1')]);
    await advance(5);
    sink.ack('1');
    await settle();
    expect(trace).toEqual(['enqueue T1', 'send 1 [e1]', 'ack T1', 'enqueue T2', 'send 1 [e2]', 'ack T2']);
    // A second later holding is tried again.
    await advance(1000);
    enqueue('T3', [ev('e3', '1')]);
    await advance(50);
    expect(trace.slice(6)).toEqual(['enqueue T3']);
  });

  it('when the loop never lets up, then the batch leaves at lingerUnderLoadMs from its first event', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(99);
    expect(trace).toEqual(['enqueue T1']);
    await advance(1);
    expect(trace).toEqual(['enqueue T1', 'send 1 [e1]']);
  });

  it('when lingerUnderLoadMs is 0, then a saturated loop changes nothing', async () => {
    await start({ lingerUnderLoadMs: 0 });
    enqueue('T1', [ev('e1', '1')]);
    await advance(4);
    expect(trace).toEqual(['enqueue T1']);
    await advance(1);
    expect(trace).toEqual(['enqueue T1', 'send 1 [e1]']);
  });
});
