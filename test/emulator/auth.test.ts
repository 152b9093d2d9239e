/**
 * CBS authorisation through the SDK: every put-token is verified (signature, expiry, audience,
 * rights) and refusals surface as the SDK's UnauthorizedError; a lapsed claim stops a link until a
 * fresh token arrives. Publisher endpoints, which the SDK cannot address, go through a bare client.
 */
import { earliestEventPosition } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator/index';
import { LISTEN_POLICY, ROOT_POLICY, SEND_POLICY } from '../../emulator/well-known';
import { connectBareClient, encodeEvent } from './support/amqp-client';
import { failureCodes } from './support/errors';
import { consumerFor, producerFor, readEvents, sasToken, tokenConnectionString } from './support/sdk';

describe('emulator CBS authorisation', () => {
  let emulator: Emulator;
  const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    emulator = await startEmulator({
      hubs: [
        { name: 'telemetry', partitionCount: 2 },
        { name: 'audit', partitionCount: 1 },
      ],
    });
  });

  afterAll(() => emulator.close());

  beforeEach(() => emulator.store.reset());

  const sendFails = async (connectionString: string): Promise<string[]> => {
    const producer = producerFor(connectionString);
    try {
      return await failureCodes(() => producer.sendBatch([{ body: 'x' }], { partitionId: '0' }));
    } finally {
      await producer.close();
    }
  };

  it('when a token for the hub is valid, then sending and reading succeed', async () => {
    const producer = producerFor(
      tokenConnectionString(emulator, { resourcePath: 'telemetry', policy: SEND_POLICY }),
    );
    const consumer = consumerFor(
      tokenConnectionString(emulator, { resourcePath: 'telemetry', policy: LISTEN_POLICY }),
    );
    try {
      await producer.sendBatch([{ body: 'ok' }], { partitionId: '1' });
      const events = await readEvents(consumer, '1', earliestEventPosition, 1);
      expect(events[0]?.body).toBe('ok');
    } finally {
      await producer.close();
      await consumer.close();
    }
  });

  it('when the key is wrong, then the send is refused as unauthorized', async () => {
    const connectionString = emulator.connectionString.replace(
      ROOT_POLICY.key,
      Buffer.from('wrong').toString('base64'),
    );
    expect(await sendFails(connectionString)).toContain('UnauthorizedError');
    expect(emulator.store.allEvents('telemetry')).toHaveLength(0);
  });

  it('when the token has expired, then the send is refused as unauthorized', async () => {
    const expired = Math.floor(Date.now() / 1000) - 10;
    expect(
      await sendFails(
        tokenConnectionString(emulator, { resourcePath: 'telemetry', policy: SEND_POLICY, expiry: expired }),
      ),
    ).toContain('UnauthorizedError');
  });

  it('when the token is for another hub, then the send is refused as unauthorized', async () => {
    expect(
      await sendFails(tokenConnectionString(emulator, { resourcePath: 'audit', policy: SEND_POLICY })),
    ).toContain('UnauthorizedError');
  });

  it('when a publisher token is used for the hub, then the send is refused as unauthorized', async () => {
    expect(
      await sendFails(
        tokenConnectionString(emulator, { resourcePath: 'telemetry/publishers/dev-1', policy: SEND_POLICY }),
      ),
    ).toContain('UnauthorizedError');
  });

  it('when a Listen-only policy is used to send, then the send is refused as unauthorized', async () => {
    expect(await sendFails(emulator.connectionStringFor(LISTEN_POLICY.name))).toContain('UnauthorizedError');
  });

  it('when a Send-only policy is used to read, then the receiver is refused as unauthorized', async () => {
    const consumer = consumerFor(emulator.connectionStringFor(SEND_POLICY.name));
    try {
      const codes = await failureCodes(() => readEvents(consumer, '0', earliestEventPosition, 1, 3000));
      expect(codes).toContain('UnauthorizedError');
    } finally {
      await consumer.close();
    }
  });

  it('when a token is signed with an unknown policy name, then the send is refused as unauthorized', async () => {
    const stranger = { name: 'nobody', key: 'k', rights: ['Send'] as const };
    expect(
      await sendFails(tokenConnectionString(emulator, { resourcePath: 'telemetry', policy: stranger })),
    ).toContain('UnauthorizedError');
  });

  it('when a lapsed claim is renewed with a fresh put-token, then the link works again', async () => {
    const audience = `${emulator.endpoint}telemetry/Partitions/0`;
    const client = connectBareClient(emulator);
    try {
      const expiry = Math.floor(Date.now() / 1000) + 2;
      expect(await client.putToken(audience, sasToken(audience, SEND_POLICY, expiry))).toBe(202);
      expect(await client.send('telemetry/Partitions/0', encodeEvent('one'))).toBe('accepted');
      // Wait for the wall clock to pass the token's expiry (seconds granularity).
      while (Date.now() <= expiry * 1000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await client.send('telemetry/Partitions/0', encodeEvent('two'))).toBe(
        'amqp:unauthorized-access',
      );
      expect(await client.putToken(audience, sasToken(audience, SEND_POLICY, inAnHour()))).toBe(202);
      expect(await client.send('telemetry/Partitions/0', encodeEvent('three'))).toBe('accepted');
    } finally {
      await client.close();
    }
  });

  it('when a token lapses while its link is open, then sends on that link are refused', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 2;
    const producer = producerFor(
      tokenConnectionString(emulator, { resourcePath: 'telemetry', policy: SEND_POLICY, expiry }),
    );
    try {
      await producer.sendBatch([{ body: 'before' }], { partitionId: '0' });
      // Wait for the wall clock to pass the token's expiry (seconds granularity).
      while (Date.now() <= expiry * 1000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(
        await failureCodes(() => producer.sendBatch([{ body: 'after' }], { partitionId: '0' })),
      ).toContain('UnauthorizedError');
      expect(emulator.store.allEvents('telemetry').map((e) => e.body.toString())).toEqual(['"before"']);
    } finally {
      await producer.close();
    }
  });

  it('when a publisher sends with its own token, then the event is stored with the publisher as partition key', async () => {
    const audience = `${emulator.endpoint}telemetry/publishers/dev-1`;
    const client = connectBareClient(emulator);
    try {
      expect(await client.putToken(audience, sasToken(audience, SEND_POLICY, inAnHour()))).toBe(202);
      expect(await client.send('telemetry/publishers/dev-1', encodeEvent('hello'))).toBe('accepted');
    } finally {
      await client.close();
    }
    const [event] = emulator.store.allEvents('telemetry');
    expect(event).toMatchObject({ publisher: 'dev-1', partitionKey: 'dev-1' });
    expect(event?.body.toString()).toBe('hello');
  });

  it("when a publisher uses another publisher's token, then the put-token is refused and the link with it", async () => {
    const token = sasToken(`${emulator.endpoint}telemetry/publishers/dev-1`, SEND_POLICY, inAnHour());
    const client = connectBareClient(emulator);
    try {
      expect(await client.putToken(`${emulator.endpoint}telemetry/publishers/dev-2`, token)).toBe(401);
      expect(await client.send('telemetry/publishers/dev-2', encodeEvent('hello'))).toBe(
        'amqp:unauthorized-access',
      );
    } finally {
      await client.close();
    }
    expect(emulator.store.allEvents('telemetry')).toHaveLength(0);
  });
});
