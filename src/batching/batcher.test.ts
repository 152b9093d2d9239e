/**
 * The batcher against a fake sink and fake timers: each test asserts the exact ordered trace of
 * enqueue / send / ack / reject. Keys are chosen from the reference vectors so that, with four
 * partitions, 'a' → 0, 'sensor-001' → 1, 'alphabet' → 2, 'sensor-123' → 3. Fake batches hold
 * 35 bytes: a 5-byte envelope plus three 10-byte bodies.
 */
import { GatewayError } from '../errors';
import { ev, advance, settle } from '../../test/batching/batcher-kit';
import { FakeSink } from '../../test/batching/fake-sink';
import { createBatcher } from './batcher';
import type { Batcher, BatcherOptions, OutgoingEvent, Ticket } from './types';

let trace: string[];
let sink: FakeSink;
let batcher: Batcher | undefined;

async function start(options: Partial<BatcherOptions> = {}): Promise<Batcher> {
  batcher = createBatcher({
    sink,
    lingerMs: 5,
    retry: { maxRetries: 2, delayMs: 100, maxDelayMs: 1000 },
    clock: () => Date.now(),
    timers: {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
    ...options,
  });
  await batcher.start();
  await settle();
  return batcher;
}

function enqueue(name: string, events: OutgoingEvent[]): Ticket {
  trace.push(`enqueue ${name} [${events.map((e) => e.messageId).join(',')}]`);
  const ticket = batcher!.enqueue(events);
  void ticket.acknowledged.then(
    () => trace.push(`ack ${name}`),
    (error: GatewayError) => trace.push(`reject ${name} ${error.code}`),
  );
  return ticket;
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  trace = [];
  sink = new FakeSink(trace);
  batcher = undefined;
});

afterEach(async () => {
  await batcher?.close({ flush: false });
  jest.useRealTimers();
});

describe('batcher', () => {
  it('when one event waits, then its batch leaves after exactly lingerMs and the ticket resolves on ack', async () => {
    await start();
    const ticket = enqueue('T1', [ev('e1', '1')]);
    expect(ticket.partitionIds).toEqual(['1']);
    await advance(4);
    expect(trace).toEqual(['enqueue T1 [e1]']);
    await advance(1);
    sink.ack('1');
    await settle();
    expect(trace).toEqual(['enqueue T1 [e1]', 'send 1 [e1]', 'ack T1']);
  });

  it('when a batch reaches maxEventsPerBatch, then it leaves at once and the rest lingers', async () => {
    await start({ maxEventsPerBatch: 2 });
    enqueue('T1', [ev('e1', '1'), ev('e2', '1'), ev('e3', '1')]);
    await settle();
    sink.ack('1');
    await settle();
    await advance(5);
    sink.ack('1');
    await settle();
    expect(trace).toEqual(['enqueue T1 [e1,e2,e3]', 'send 1 [e1,e2]', 'send 1 [e3]', 'ack T1']);
  });

  it('when the next event does not fit, then the full batch leaves at once', async () => {
    await start();
    enqueue('T1', [ev('e1', '2'), ev('e2', '2'), ev('e3', '2'), ev('e4', '2')]);
    await settle();
    expect(trace).toEqual(['enqueue T1 [e1,e2,e3,e4]', 'send 2 [e1,e2,e3]']);
    sink.ack('2');
    await advance(5);
    sink.ack('2');
    await settle();
    expect(trace.slice(2)).toEqual(['send 2 [e4]', 'ack T1']);
  });

  it('when a send is in flight, then the partition waits (order kept) while other partitions send', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(5);
    enqueue('T2', [ev('e2', '1'), ev('e3', '2')]);
    enqueue('T3', [ev('e4', '1')]);
    await advance(5);
    expect(sink.inFlightOn('1')).toBe(true);
    sink.ack('2');
    await settle();
    sink.ack('1');
    await settle();
    sink.ack('1');
    await settle();
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'send 1 [e1]',
      'enqueue T2 [e2,e3]',
      'enqueue T3 [e4]',
      'send 2 [e3]',
      // the next batch leaves in the same turn as the ack; the ticket's resolution is a microtask later
      'send 1 [e2,e4]',
      'ack T1',
      'ack T2',
      'ack T3',
    ]);
    expect(trace.some((line) => line.startsWith('!!'))).toBe(false);
  });

  it('when a batch fails, then exactly the tickets with events in it are rejected, a spanning one at once', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    enqueue('T2', [ev('e2', '1'), ev('e3', '3')]);
    enqueue('T3', [ev('e4', '2')]);
    await advance(5);
    sink.fail('3', 'SendOperationFailedError', false);
    await settle();
    sink.ack('2');
    await settle();
    sink.ack('1');
    await settle();
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'enqueue T2 [e2,e3]',
      'enqueue T3 [e4]',
      // linger timers fire in the order the batches got their first event
      'send 1 [e1,e2]',
      'send 3 [e3]',
      'send 2 [e4]',
      'reject T2 GW_ERR_SEND_FAILED',
      'ack T3',
      'ack T1',
    ]);
    expect(batcher!.stats.bufferedEvents).toBe(0);
    expect(batcher!.stats.bufferedBytes).toBe(0);
  });

  it('when the hub is busy, then the send is retried with backoff and the ticket resolves', async () => {
    const retries: string[] = [];
    await start({ observer: { sendRetried: (p, code, retry) => retries.push(`${p} ${code} ${retry}`) } });
    sink.failNextSends(2, 'ServerBusyError', true);
    enqueue('T1', [ev('e1', '0')]);
    await advance(5);
    await advance(99);
    expect(trace).toEqual(['enqueue T1 [e1]', 'send 0 [e1]']);
    await advance(1); // first retry after 100 ms
    await advance(200); // second after 200 ms more
    sink.ack('0');
    await settle();
    expect(trace).toEqual(['enqueue T1 [e1]', 'send 0 [e1]', 'send 0 [e1]', 'send 0 [e1]', 'ack T1']);
    expect(retries).toEqual(['0 ServerBusyError 1', '0 ServerBusyError 2']);
  });

  it('when retries run out, then the tickets fail with GW_ERR_SEND_FAILED naming the SDK code', async () => {
    const failures: string[] = [];
    await start({ observer: { sendFailed: (p, code, n) => failures.push(`${p} ${code} ${n}`) } });
    sink.failNextSends(3, 'ServerBusyError', true);
    const ticket = enqueue('T1', [ev('e1', '0')]);
    await advance(5 + 100 + 200);
    await expect(ticket.acknowledged).rejects.toMatchObject({
      code: 'GW_ERR_SEND_FAILED',
      status: 503,
      retryable: true,
      extensions: { sinkCode: 'ServerBusyError' },
    });
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'send 0 [e1]',
      'send 0 [e1]',
      'send 0 [e1]',
      'reject T1 GW_ERR_SEND_FAILED',
    ]);
    expect(failures).toEqual(['0 ServerBusyError 1']);
    // One failing partition while the hub answered within the last second: degraded, still ready.
    expect(batcher!.health()).toMatchObject({
      state: 'degraded',
      partitions: expect.arrayContaining([
        expect.objectContaining({ partitionId: '0', state: 'failing', code: 'ServerBusyError' }),
      ]) as unknown,
    });
    expect(batcher!.ready).toBe(true);
  });

  it('when a ticket is withdrawn, then its unsent events leave the open batch and their bytes are freed', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(5);
    enqueue('T2', [ev('e2', '1')]);
    const t3 = enqueue('T3', [ev('e3', '1'), ev('e4', '2')]);
    enqueue('T4', [ev('e5', '1')]);
    expect(batcher!.stats.bufferedEvents).toBe(5);
    t3.withdraw(new GatewayError('GW_ERR_DEADLINE', 'too slow'));
    await settle();
    expect(batcher!.stats.bufferedEvents).toBe(3);
    expect(batcher!.stats.perPartition.get('2')).toEqual({ bytes: 0, events: 0 });
    expect(batcher!.stats.bufferedBytes).toBe(3 * 13);
    sink.ack('1');
    await advance(5); // the rebuilt batch is no longer full: it lingers from e2's enqueue
    sink.ack('1');
    await settle();
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'send 1 [e1]',
      'enqueue T2 [e2]',
      'enqueue T3 [e3,e4]',
      'enqueue T4 [e5]',
      'reject T3 GW_ERR_DEADLINE',
      'ack T1',
      'send 1 [e2,e5]',
      'ack T2',
      'ack T4',
    ]);
  });

  it('when a due batch holds withdrawn events, then it is rebuilt and leaves in the same turn without them', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(5);
    enqueue('T2', [ev('e2', '1')]);
    const t3 = enqueue('T3', [ev('e3', '1')]);
    enqueue('T4', [ev('e4', '1')]);
    await advance(5); // the open batch is full and due; it waits only for e1's send
    t3.withdraw(new GatewayError('GW_ERR_DEADLINE', 'too slow'));
    sink.ack('1');
    await settle();
    const t5 = enqueue('T5', [ev('e5', '1')]); // joins the batch opened from the spare
    t5.withdraw(new GatewayError('GW_ERR_DEADLINE', 'too slow')); // and leaves it again
    sink.ack('1');
    await advance(5);
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'send 1 [e1]',
      'enqueue T2 [e2]',
      'enqueue T3 [e3]',
      'enqueue T4 [e4]',
      'reject T3 GW_ERR_DEADLINE',
      'send 1 [e2,e4]',
      'ack T1',
      'enqueue T5 [e5]',
      'reject T5 GW_ERR_DEADLINE',
      'ack T2',
      'ack T4',
    ]);
    expect(batcher!.stats.bufferedEvents).toBe(0);
  });

  it('when one partition has waited past maxQueueDelayMs, then only requests writing to it get GW_ERR_BUFFER_FULL, other partitions keep taking events', async () => {
    await start({ maxQueueDelayMs: 1000 });
    enqueue('T1', [ev('e1', '1')]);
    await advance(5); // sent; the hub does not answer partition 1
    enqueue('T2', [ev('e2', '2')]);
    await advance(5);
    sink.ack('2');
    await settle();
    await advance(990); // e1 has waited exactly 1000 ms: partition 1 still admits
    enqueue('T3', [ev('e3', '1')]);
    await advance(1);
    let refused: unknown;
    try {
      batcher!.enqueue([ev('e4', '0'), ev('e5', '1')]); // spans the overdue partition: nothing enqueued
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({
      code: 'GW_ERR_BUFFER_FULL',
      status: 503,
      retryAfterSeconds: 1,
      extensions: { partitionId: '1' },
    });
    expect(batcher!.stats.perPartition.get('0')).toEqual({ bytes: 0, events: 0 });
    enqueue('T4', [ev('e6', '0')]); // a healthy partition is not held back by partition 1
    await advance(5);
    sink.ack('0');
    await settle();
    sink.ack('1');
    await settle();
    await advance(5);
    sink.ack('1');
    await settle();
    enqueue('T5', [ev('e7', '1')]); // partition 1 caught up: admitted again
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'send 1 [e1]',
      'enqueue T2 [e2]',
      'send 2 [e2]',
      'ack T2',
      'enqueue T3 [e3]',
      'enqueue T4 [e6]',
      'send 0 [e6]',
      'ack T4',
      'send 1 [e3]', // the next batch leaves in the same turn as the acknowledgement
      'ack T1',
      'ack T3',
      'enqueue T5 [e7]',
    ]);
  });

  it('when no request waits for a failing batch any more, then it is not retried', async () => {
    await start({ retry: { maxRetries: 5, delayMs: 100, maxDelayMs: 100 } });
    sink.failNextSends(1, 'ServerBusyError', true);
    const ticket = enqueue('T1', [ev('e1', '0')]);
    await advance(5); // first attempt fails; a retry is due in 100 ms
    ticket.withdraw(new GatewayError('GW_ERR_DEADLINE', 'deadline'));
    await settle();
    await advance(500);
    expect(trace).toEqual(['enqueue T1 [e1]', 'send 0 [e1]', 'reject T1 GW_ERR_DEADLINE']);
    expect(batcher!.stats.bufferedEvents).toBe(0);
  });

  it('when the buffer cap would be exceeded, then enqueue throws GW_ERR_BUFFER_FULL and buffers nothing', async () => {
    await start({ maxBufferedBytes: 50 });
    enqueue('T1', [ev('e1', '1'), ev('e2', '1'), ev('e3', '2')]); // 39 bytes
    let thrown: unknown;
    try {
      batcher!.enqueue([ev('e4', '3'), ev('e5', '3')]); // 26 more
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'GW_ERR_BUFFER_FULL', status: 503, retryAfterSeconds: 1 });
    expect(batcher!.stats.bufferedBytes).toBe(39);
    expect(batcher!.stats.perPartition.get('3')).toEqual({ bytes: 0, events: 0 });
    await advance(5);
    sink.ack('1');
    await settle();
    enqueue('T2', [ev('e4', '3'), ev('e5', '3')]); // 13 + 26 fits again
    expect(batcher!.stats.bufferedBytes).toBe(39);
  });

  it('when an event can never fit, then enqueue throws GW_ERR_EVENT_TOO_LARGE and buffers nothing', async () => {
    await start();
    expect(() => batcher!.enqueue([ev('e1', '1'), ev('e2', '1', 40)])).toThrow(
      expect.objectContaining({
        code: 'GW_ERR_EVENT_TOO_LARGE',
        extensions: { index: 1, maxMessageSize: 35 },
      }),
    );
    // Footprint 31+2+1 = 34 passes the lower bound, but with the envelope it exceeds an empty batch.
    expect(() => batcher!.enqueue([ev('e3', '2'), ev('e4', '3', 31)])).toThrow(
      expect.objectContaining({ code: 'GW_ERR_EVENT_TOO_LARGE' }),
    );
    expect(batcher!.stats.bufferedEvents).toBe(0);
    await advance(10);
    expect(trace).toEqual([]);
  });

  it('when closing, then buffered events are flushed at once, every ticket answered, and the sink closed', async () => {
    await start();
    enqueue('T1', [ev('e1', '1'), ev('e2', '2')]);
    const closed = batcher!.close();
    await settle();
    expect(() => batcher!.enqueue([ev('e3', '1')])).toThrow(
      expect.objectContaining({ code: 'GW_ERR_SHUTTING_DOWN' }),
    );
    expect(batcher!.ready).toBe(false);
    sink.ack('1');
    sink.ack('2');
    await closed;
    await settle();
    expect(trace).toEqual(['enqueue T1 [e1,e2]', 'send 1 [e1]', 'send 2 [e2]', 'ack T1', 'sink closed']);
  });

  it('when close passes its deadline, then in-flight and queued tickets get GW_ERR_SHUTTING_DOWN', async () => {
    await start();
    enqueue('T1', [ev('e1', '1')]);
    await advance(5);
    enqueue('T2', [ev('e2', '1')]);
    const closed = batcher!.close({ deadlineMs: 100 });
    await advance(100);
    await closed;
    await settle();
    expect(trace).toEqual([
      'enqueue T1 [e1]',
      'send 1 [e1]',
      'enqueue T2 [e2]',
      'reject T2 GW_ERR_SHUTTING_DOWN',
      'reject T1 GW_ERR_SHUTTING_DOWN',
      'sink closed',
    ]);
  });

  it('when the hub is unreachable at start, then start resolves, ready stays false, and ids are retried', async () => {
    sink.failPartitionIds = 2;
    await start();
    expect(batcher!.ready).toBe(false);
    expect(() => batcher!.enqueue([ev('e1', '1')])).toThrow(
      expect.objectContaining({ code: 'GW_ERR_UNAVAILABLE' }),
    );
    await advance(100); // second attempt, 100 ms after the first
    expect(batcher!.ready).toBe(false);
    await advance(199);
    expect(batcher!.ready).toBe(false);
    await advance(1); // third, 200 ms later (backoff doubles)
    expect(batcher!.ready).toBe(true);
    expect(trace).toEqual(['ids failed', 'ids failed']);
    enqueue('T1', [ev('e1', '1')]);
    expect(batcher!.stats.bufferedEvents).toBe(1);
  });

  it('when batches move, then the observer sees buffered totals, sends and failures', async () => {
    const seen: string[] = [];
    await start({
      observer: {
        buffered: (p, bytes, events) => seen.push(`buffered ${p} ${bytes} ${events}`),
        batchSent: (p, events, bytes) => seen.push(`sent ${p} ${events} ${bytes}`),
        sendFailed: (p, code, events) => seen.push(`failed ${p} ${code} ${events}`),
      },
    });
    enqueue('T1', [ev('e1', '1'), ev('e2', '1'), ev('e3', '2')]);
    await advance(5);
    sink.ack('1');
    sink.fail('2', 'UnauthorizedError', false);
    await settle();
    expect(seen).toEqual([
      'buffered 1 26 2',
      'buffered 2 13 1',
      'sent 1 2 25',
      'buffered 1 0 0',
      'failed 2 UnauthorizedError 1',
      'buffered 2 0 0',
    ]);
  });
});
