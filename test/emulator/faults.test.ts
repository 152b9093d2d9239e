/**
 * Fault injection as the SDK experiences it: each injected condition surfaces as the SDK error the
 * reference table gives, and link, connection and listener faults are recovered from.
 */
import type { EventHubProducerClient } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator/index';
import { connectBareClient, encodeEvent } from './support/amqp-client';
import { failureCodes } from './support/errors';
import { producerFor, sasToken } from './support/sdk';
import { ROOT_POLICY } from '../../emulator/well-known';

describe('emulator fault injection', () => {
  let emulator: Emulator;
  let producer: EventHubProducerClient;

  beforeAll(async () => {
    emulator = await startEmulator({
      hubs: [{ name: 'telemetry', partitionCount: 2 }],
      maxMessageSize: 65536,
    });
    producer = producerFor(emulator.connectionString, {
      maxRetries: 2,
      retryDelayInMs: 10,
      timeoutInMs: 3000,
    });
  });

  afterAll(async () => {
    await producer.close();
    await emulator.close();
  });

  beforeEach(() => {
    emulator.store.reset();
    emulator.faults.rejectNextSends(0, 'none');
    emulator.faults.delayDispositions(0);
  });

  const send = (body = 'x'): Promise<void> => producer.sendBatch([{ body }], { partitionId: '0' });

  it.each([
    ['com.microsoft:server-busy', 'ServerBusyError'],
    ['com.microsoft:timeout', 'ServiceUnavailableError'],
    ['amqp:internal-error', 'InternalServerError'],
  ])('when sends are rejected with %s, then the SDK retries and reports %s', async (condition, code) => {
    const before = emulator.faults.counters.rejected;
    emulator.faults.rejectNextSends(3, condition);
    expect(await failureCodes(() => send())).toEqual([code, code, code]);
    expect(emulator.faults.counters.rejected - before).toBe(3);
    await send('after');
    expect(emulator.store.allEvents('telemetry')).toHaveLength(1);
  });

  it('when one send is rejected as busy, then the retry stores the event once', async () => {
    emulator.faults.rejectNextSends(1, 'com.microsoft:server-busy');
    await send('retried');
    expect(emulator.store.allEvents('telemetry').map((e) => e.body.toString())).toEqual(['"retried"']);
  });

  it('when a send is rejected as too large, then the SDK reports MessageTooLargeError without retrying', async () => {
    emulator.faults.rejectNextSends(1, 'amqp:link:message-size-exceeded');
    expect(await failureCodes(() => send())).toEqual(['MessageTooLargeError']);
  });

  it('when an event is over the size limit, then it is refused', async () => {
    expect(
      await failureCodes(() => producer.sendBatch([{ body: Buffer.alloc(70_000) }], { partitionId: '0' })),
    ).toContain('MessageTooLargeError');
    // A client that ignores the advertised limit is refused by the emulator itself.
    const client = connectBareClient(emulator);
    try {
      expect(await client.putToken(`${emulator.endpoint}telemetry`, sasFromConnectionString())).toBe(202);
      expect(await client.send('telemetry/Partitions/0', encodeEvent(Buffer.alloc(70_000)))).toBe(
        'amqp:link:message-size-exceeded',
      );
    } finally {
      await client.close();
    }
    expect(emulator.store.allEvents('telemetry')).toHaveLength(0);
  });

  it('when dispositions are delayed, then sends wait for them', async () => {
    emulator.faults.delayDispositions(300);
    const started = Date.now();
    await send();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('when dispositions are withheld past the timeout, then the SDK reports OperationTimeoutError', async () => {
    emulator.faults.delayDispositions(2000);
    const impatient = producerFor(emulator.connectionString, { maxRetries: 0, timeoutInMs: 500 });
    try {
      await impatient.getPartitionIds(); // warm up the connection outside the timed send
      expect(await failureCodes(() => impatient.sendBatch([{ body: 1 }], { partitionId: '1' }))).toEqual([
        'OperationTimeoutError',
      ]);
    } finally {
      emulator.faults.delayDispositions(0);
      await impatient.close();
    }
  });

  it('when all links are detached, then the next send re-attaches and succeeds', async () => {
    await send('before');
    // SDK 6.0.4 overwrites a re-created sender's token-refresh loop without stopping the old one,
    // which would keep jest alive for 45 minutes: stop the old loop ourselves once this test is done.
    const senders = (producer as unknown as { _sendersMap: Map<string, { authLoop?: { stop(): void } }> })
      ._sendersMap;
    const staleLoop = senders.get('0')?.authLoop;
    emulator.faults.detachAllLinks();
    // A management round trip on the same connection: the client has seen the detach after it.
    await producer.getEventHubProperties();
    await send('after');
    staleLoop?.stop();
    expect(emulator.store.allEvents('telemetry')).toHaveLength(2);
  });

  it('when all connections are dropped, then the SDK reconnects and a retried send succeeds', async () => {
    // A send racing the drop times out on the dead connection; the retry reconnects.
    const quick = producerFor(emulator.connectionString, {
      maxRetries: 3,
      retryDelayInMs: 10,
      timeoutInMs: 500,
    });
    try {
      await quick.sendBatch([{ body: 'before' }], { partitionId: '0' });
      const connections = emulator.faults.counters.connections;
      emulator.faults.dropConnections();
      await quick.sendBatch([{ body: 'after' }], { partitionId: '0' });
      expect(emulator.faults.counters.connections).toBeGreaterThan(connections);
    } finally {
      await quick.close();
    }
    expect(emulator.store.allEvents('telemetry').map((e) => e.body.toString())).toEqual([
      '"before"',
      '"after"',
    ]);
  });

  it('when the emulator stops listening, then sends fail; when it listens again, then they succeed', async () => {
    await send('before');
    await emulator.faults.stopListening();
    const outage = producerFor(emulator.connectionString, { maxRetries: 0, timeoutInMs: 1000 });
    try {
      expect(
        (await failureCodes(() => outage.sendBatch([{ body: 'lost' }], { partitionId: '0' }))).length,
      ).toBeGreaterThan(0);
      await emulator.faults.startListening();
      await outage.sendBatch([{ body: 'recovered' }], { partitionId: '0' });
      await send('after');
    } finally {
      await outage.close();
    }
    expect(emulator.store.allEvents('telemetry').map((e) => e.body.toString())).toEqual([
      '"before"',
      '"recovered"',
      '"after"',
    ]);
  });

  it('when traffic arrives, then the counters account for it', async () => {
    const before = emulator.faults.counters;
    await producer.sendBatch([{ body: 1 }, { body: 2 }], { partitionId: '1' });
    const after = emulator.faults.counters;
    expect(after.transfers - before.transfers).toBe(1);
    expect(after.eventsStored - before.eventsStored).toBe(2);
    expect(after.putTokens).toBeGreaterThan(0);
  });

  function sasFromConnectionString(): string {
    return sasToken(`${emulator.endpoint}telemetry`, ROOT_POLICY, Math.floor(Date.now() / 1000) + 3600);
  }
});
