/**
 * The emulator's CBS is as strict as the service about the namespace host: the real SDK, given a
 * connection string whose SharedAccessSignature was signed (with the right key) for another
 * namespace's host than its Endpoint, is refused; the gateway built on it says so: /readyz 503
 * `hub-refused` (unauthorized) and devices get 500 GW_ERR_HUB_REFUSED, not a retryable 503.
 * The same token signed for the Endpoint's own host is accepted, so the host is what is refused.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { ROOT_POLICY } from '../../emulator/well-known';
import { signSas } from '../../src/tokens/sign-sas';
import { HUB, expectProblem } from '../support/expectations';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

function sasConnectionString(tokenHost: string): string {
  const token = signSas({
    resourceUri: `sb://${tokenHost}/${HUB}`,
    keyName: ROOT_POLICY.name,
    key: ROOT_POLICY.key,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  return `Endpoint=sb://127.0.0.1:${emulator.port}/;SharedAccessSignature=${token};EntityPath=${HUB};UseDevelopmentEmulator=true`;
}

async function readyBody(gw: TestGateway): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await gw.request.get('/readyz');
  return { status: res.status, body: res.body as Record<string, unknown> };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('when the token is signed for another namespace host, then the hub refuses it: /readyz 503 hub-refused and devices get 500 GW_ERR_HUB_REFUSED', async () => {
  const gw = await startTestGateway({
    emulator,
    env: { EVENTHUB_CONNECTION_STRING: sasConnectionString('other-ns.servicebus.windows.net') },
  });
  try {
    const ready = await until(
      () => readyBody(gw),
      (r) => r.status === 503 && r.body.reason === 'hub-refused',
    );
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toBe('hub-refused');
    expect(String(ready.body.detail)).toContain('unauthorized');

    const sensorId = uniqueSensorId('other-host');
    const res = await gw.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(sensorId));
    // Not a retryable 503: a token for another namespace never heals by itself.
    expectProblem(res, 500, 'GW_ERR_HUB_REFUSED');
    expect(
      emulator.store.allEvents(HUB).filter((e) => e.applicationProperties.partitionKey === sensorId),
    ).toEqual([]);
  } finally {
    await gw.close();
  }
});

it('when the same token is signed for the Endpoint host, then readings are stored', async () => {
  const gw = await startTestGateway({
    emulator,
    env: { EVENTHUB_CONNECTION_STRING: sasConnectionString(`127.0.0.1:${emulator.port}`) },
  });
  try {
    const sensorId = uniqueSensorId('own-host');
    await gw.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(sensorId)).expect(200);
    expect((await readyBody(gw)).status).toBe(200);
  } finally {
    await gw.close();
  }
});
