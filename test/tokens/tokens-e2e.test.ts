/**
 * POST /v1/tokens end to end: tokens issued by the gateway are used by the unmodified SDK and by
 * the emulator's REST send path, and the emulator verifies every one of them.
 */
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { startEmulator, type Emulator } from '../../emulator';
import { partitionIndexForKey } from '../../src/partitioning/partition-key';
import { bearer, KEYS } from '../auth/keys';
import { tokenApp } from './token-bed';

const RETRY = { maxRetries: 0, timeoutInMs: 3000, retryDelayInMs: 10 };

let emulator: Emulator;
let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++seq}`;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, restPort: 0 });
});
afterAll(async () => {
  await emulator.close();
});

interface Issued {
  token: string;
  connectionString?: string;
  restUrl?: string;
  resource: string;
  expiresOn: number;
  expiresAt: string;
}

async function issue(body: object, key: string = KEYS.partner, app = tokenApp(emulator)): Promise<Issued> {
  const res = await app.post('/v1/tokens').set(bearer(key)).send(body);
  expect(res.status).toBe(200);
  return res.body as Issued;
}

const bodies = (): string[] => emulator.store.allEvents('telemetry').map((e) => e.body.toString('utf8'));

async function sendWith(connectionString: string, marker: string, partitionKey?: string): Promise<void> {
  const producer = new EventHubProducerClient(connectionString, { retryOptions: RETRY });
  try {
    await producer.sendBatch([{ body: marker }], partitionKey === undefined ? {} : { partitionKey });
  } finally {
    await producer.close();
  }
}

const postRest = (url: string, token: string, body = '{"t":1}'): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body });

const restUrlFor = (path: string): string => `${emulator.restUrl}/telemetry/${path}/messages`;

describe('POST /v1/tokens with the emulator', () => {
  it('when a hub send token is issued, then the unmodified SDK sends through its connection string', async () => {
    const issued = await issue({ scope: 'hub', access: 'send' });
    expect(issued.connectionString).toMatch(
      /^Endpoint=sb:\/\/.+;SharedAccessSignature=SharedAccessSignature sr=.+;EntityPath=telemetry;UseDevelopmentEmulator=true$/,
    );
    const marker = unique('hub-send');
    await sendWith(issued.connectionString!, marker);
    expect(bodies().some((body) => body.includes(marker))).toBe(true);
  });

  it('when a listen token is issued, then the SDK consumer reads with it and a producer is refused', async () => {
    const key = unique('listen-key');
    const marker = unique('listen');
    await sendWith(emulator.connectionString, marker, key);
    const issued = await issue({ scope: 'hub', access: 'listen', ttlSeconds: 120 });
    const consumer = new EventHubConsumerClient('$Default', issued.connectionString!, {
      retryOptions: RETRY,
    });
    try {
      const partitionId = String(partitionIndexForKey(key, 4));
      const received = await new Promise<unknown>((resolve, reject) => {
        const subscription = consumer.subscribe(
          partitionId,
          {
            processEvents: async (events) => {
              const found = events.find((event) => event.body === marker);
              if (found) {
                await subscription.close();
                resolve(found.body);
              }
            },
            processError: async (error) => {
              await subscription.close();
              reject(error);
            },
          },
          { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 },
        );
      });
      expect(received).toBe(marker);
    } finally {
      await consumer.close();
    }
    const refused = unique('listen-send');
    await expect(sendWith(issued.connectionString!, refused)).rejects.toMatchObject({
      code: 'UnauthorizedError',
    });
    expect(bodies().some((body) => body.includes(refused))).toBe(false);
  });

  it('when a publisher token is issued, then it posts to its own publisher and is refused for another and for the hub', async () => {
    const issued = await issue({ publisher: 'sensor-17' });
    expect(issued.restUrl).toBe(restUrlFor('publishers/sensor-17'));
    expect(issued.connectionString).toBeUndefined();
    const marker = unique('publisher');
    const before = emulator.store.allEvents('telemetry').length;
    expect((await postRest(issued.restUrl!, issued.token, JSON.stringify({ marker }))).status).toBe(201);
    const stored = emulator.store.allEvents('telemetry').filter((e) => e.body.toString().includes(marker));
    expect(stored.map((e) => e.publisher)).toEqual(['sensor-17']);
    expect((await postRest(restUrlFor('publishers/sensor-18'), issued.token)).status).toBe(403);
    expect((await postRest(restUrlFor('publishers/sensor-170'), issued.token)).status).toBe(403);
    expect((await postRest(`${emulator.restUrl}/telemetry/messages`, issued.token)).status).toBe(403);
    expect(emulator.store.allEvents('telemetry').length).toBe(before + 1);
  });

  it('when a token is past its expiry, then the emulator refuses it on REST and AMQP', async () => {
    const past = tokenApp(emulator, { now: () => Date.now() - 2 * 3600_000 });
    const publisher = await issue({ publisher: 'plant-a-1', ttlSeconds: 60 }, KEYS.partner, past);
    expect(publisher.expiresOn * 1000).toBeLessThan(Date.now());
    expect((await postRest(publisher.restUrl!, publisher.token)).status).toBe(401);
    const hub = await issue({ scope: 'hub', access: 'send', ttlSeconds: 60 }, KEYS.partner, past);
    await expect(sendWith(hub.connectionString!, unique('expired'))).rejects.toMatchObject({
      code: 'UnauthorizedError',
    });
  });

  it('when one character of the signature is changed, then the emulator refuses it', async () => {
    const issued = await issue({ publisher: 'plant-a-2' });
    const sig = /sig=([^&]+)/.exec(issued.token)![1]!;
    const changed = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(
      (await postRest(issued.restUrl!, issued.token.replace(`sig=${sig}`, `sig=${changed}`))).status,
    ).toBe(401);
    expect((await postRest(issued.restUrl!, issued.token)).status).toBe(201);
  });

  it('when the gateway signs with the wrong key, then the emulator refuses the token', async () => {
    const wrong = tokenApp(emulator, {
      issuer: { sendPolicy: { name: 'gateway-send', key: 'not-the-emulator-key' } },
    });
    const publisher = await issue({ publisher: 'plant-a-3' }, KEYS.partner, wrong);
    expect((await postRest(publisher.restUrl!, publisher.token)).status).toBe(401);
    const hub = await issue({ scope: 'hub', access: 'send' }, KEYS.partner, wrong);
    await expect(sendWith(hub.connectionString!, unique('wrong-key'))).rejects.toMatchObject({
      code: 'UnauthorizedError',
    });
  });
});

describe('POST /v1/tokens refusals', () => {
  const app = () => tokenApp(emulator);

  it('when ttlSeconds is above the maximum, then 400 naming the maximum', async () => {
    const res = await app()
      .post('/v1/tokens')
      .set(bearer(KEYS.partner))
      .send({ publisher: 'sensor-17', ttlSeconds: 3601 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'GW_ERR_BAD_REQUEST', maxTtlSeconds: 3600 });
    const capped = await app()
      .post('/v1/tokens')
      .set(bearer(KEYS.capped))
      .send({ publisher: 'x', ttlSeconds: 301 });
    expect(capped.status).toBe(400);
    expect(capped.body.maxTtlSeconds).toBe(300);
  });

  it('when the key lacks tokens:issue, then 403', async () => {
    const res = await app().post('/v1/tokens').set(bearer(KEYS.device17)).send({ publisher: 'sensor-17' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'GW_ERR_FORBIDDEN', requiredScope: 'tokens:issue' });
  });

  it('when the publisher is outside the key patterns or hub access is not granted, then 403', async () => {
    expect(
      (await app().post('/v1/tokens').set(bearer(KEYS.partner)).send({ publisher: 'sensor-18' })).status,
    ).toBe(403);
    expect(
      (await app().post('/v1/tokens').set(bearer(KEYS.partner)).send({ publisher: 'plant-b-1' })).status,
    ).toBe(403);
    expect(
      (await app().post('/v1/tokens').set(bearer(KEYS.capped)).send({ scope: 'hub', access: 'send' })).status,
    ).toBe(403);
  });

  it('when the API key is missing, malformed or wrong, then 401 with WWW-Authenticate and no token', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic eDp5' },
      { 'x-api-key': 'short' },
      bearer(`${KEYS.partner}x`),
    ]) {
      const res = await app().post('/v1/tokens').set(headers).send({ publisher: 'sensor-17' });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="eventhubs-gateway"');
      expect(JSON.stringify(res.body)).not.toContain('SharedAccessSignature');
    }
  });

  it('when the request is well formed, then the answer is not cacheable and carries both expiry forms', async () => {
    const res = await app()
      .post('/v1/tokens')
      .set({ 'x-api-key': KEYS.partner })
      .send({ publisher: 'sensor-17', ttlSeconds: 60 });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Date.parse(res.body.expiresAt) / 1000).toBe(res.body.expiresOn);
    expect(res.body.namespace).toBe(`127.0.0.1:${emulator.port}`);
  });

  it('when the needed signing policy is not configured, then 501 naming the setting', async () => {
    const res = await tokenApp(emulator, { issuer: { listenPolicy: undefined } })
      .post('/v1/tokens')
      .set(bearer(KEYS.partner))
      .send({ scope: 'hub', access: 'listen' });
    expect(res.status).toBe(501);
    expect(res.body.detail).toContain('SAS_LISTEN_KEY_NAME');
  });

  it('when the body is not JSON, has unknown fields or a bad publisher name, then 400 or 415', async () => {
    const post = () => app().post('/v1/tokens').set(bearer(KEYS.partner));
    expect((await post().set('content-type', 'application/json').send('{')).status).toBe(400);
    expect((await post().set('content-type', 'text/plain').send('publisher=x')).status).toBe(415);
    expect((await post().send({ publisher: 'sensor-17', acess: 'listen' })).status).toBe(400);
    expect((await post().send({ publisher: 'sensor-17/../x' })).status).toBe(400);
  });
});
