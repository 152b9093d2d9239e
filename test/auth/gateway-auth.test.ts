/**
 * API keys through the real gateway and emulator: every /v1 route refuses missing, malformed and
 * wrong keys; device binding refuses a whole request naming the failing index, and nothing of it
 * reaches the hub; a configuration targeting Azure without keys refuses to start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { loadConfig } from '../../src/config/load-config';
import { startGateway } from '../../src/gateway';
import { reading, uniqueSensorId } from '../support/readings';
import { startTestGateway, TEST_ENV, type TestGateway } from '../support/harness';
import { bearer, DEV_AUTH, KEY_ENTRIES, KEYS } from './keys';

let emulator: Emulator;
let dir: string;
let keysFile: string;
let withKeys: TestGateway;
let development: TestGateway;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, restPort: 0 });
  dir = mkdtempSync(join(tmpdir(), 'gateway-auth-'));
  keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: KEY_ENTRIES }));
  withKeys = await startTestGateway({
    emulator,
    env: { API_KEYS_FILE: keysFile, EVENTHUB_REST_URL: emulator.restUrl! },
  });
  development = await startTestGateway({ emulator, deps: { printBanner: () => undefined } });
});
afterAll(async () => {
  await withKeys?.close();
  await development?.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

// The gateway picks partitions itself (no partition-key annotation), so events are found by body.
const storedFor = (sensor: string) =>
  emulator.store.allEvents('telemetry').filter((e) => e.body.toString('utf8').includes(`"${sensor}"`));

describe('every /v1 route refuses missing, malformed and wrong keys', () => {
  const refusals: [string, Record<string, string>][] = [
    ['missing', {}],
    ['malformed Authorization', { authorization: 'Bearer' }],
    ['another scheme', { authorization: 'Basic eDp5' }],
    ['malformed X-API-Key', { 'x-api-key': 'a b' }],
    ['wrong key', bearer('ehgw_not-a-key-of-this-gateway-000000000000000')],
    ['the development key on a gateway with a key file', DEV_AUTH],
  ];
  it.each(refusals)(
    'when the key is %s, then 401 with WWW-Authenticate on events and tokens',
    async (_name, headers) => {
      const sensor = uniqueSensorId();
      const events = await withKeys.request.post('/v1/events/telemetry').set(headers).send(reading(sensor));
      const tokens = await withKeys.request.post('/v1/tokens').set(headers).send({ publisher: 'sensor-17' });
      const other = await withKeys.request.get('/v1/anything').set(headers);
      for (const res of [events, tokens, other]) {
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="eventhubs-gateway"');
        expect(res.body.code).toBe('GW_ERR_UNAUTHENTICATED');
      }
      expect(storedFor(sensor)).toEqual([]);
    },
  );

  it('when a key without tokens:issue asks for a token, or one without events:write sends, then 403', async () => {
    const tokens = await withKeys.request
      .post('/v1/tokens')
      .set(bearer(KEYS.device17))
      .send({ publisher: 'sensor-17' });
    expect(tokens.status).toBe(403);
    const sensor = uniqueSensorId();
    const events = await withKeys.request
      .post('/v1/events/telemetry')
      .set(bearer(KEYS.partner))
      .send(reading(sensor));
    expect(events.status).toBe(403);
    expect(storedFor(sensor)).toEqual([]);
  });
});

describe('device binding', () => {
  it('when a device key writes its own readings, then 200 and they land', async () => {
    const res = await withKeys.request
      .post('/v1/events/telemetry')
      .set(bearer(KEYS.device17))
      .send([reading('sensor-17'), reading('sensor-17')]);
    expect(res.status).toBe(200);
  });

  it("when a device key writes another sensor's reading, then 403 names the index and nothing reaches the emulator", async () => {
    const other = uniqueSensorId('sensor-18');
    const before = emulator.store.allEvents('telemetry').length;
    const res = await withKeys.request
      .post('/v1/events/telemetry')
      .set({ 'x-api-key': KEYS.device17 })
      .send([reading('sensor-17', { message_id: `${other}-own` }), reading(other)]);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'GW_ERR_FORBIDDEN', index: 1 });
    expect(res.body.detail).toContain(other);
    expect(storedFor(other)).toEqual([]);
    expect(emulator.store.allEvents('telemetry').length).toBe(before);
  });

  it('when a fleet key writes readings under its prefix, then 200; outside it, then 403', async () => {
    const inside = `plant-a/${uniqueSensorId()}`;
    const ok = await withKeys.request
      .post('/v1/events/telemetry')
      .set(bearer(KEYS.fleetA))
      .send(reading(inside));
    expect(ok.status).toBe(200);
    expect(storedFor(inside)).toHaveLength(1);
    const outside = `plant-b/${uniqueSensorId()}`;
    const refused = await withKeys.request
      .post('/v1/events/telemetry')
      .set(bearer(KEYS.fleetA))
      .send(reading(outside));
    expect(refused.status).toBe(403);
    expect(refused.body.index).toBe(0);
  });
});

describe('tokens through the gateway', () => {
  it('when the development key asks a development gateway for a publisher token, then the emulator accepts it', async () => {
    const res = await development.request.post('/v1/tokens').set(DEV_AUTH).send({ publisher: 'dev-sensor' });
    expect(res.status).toBe(200);
    expect(res.body.resource).toBe(`${emulator.endpoint}telemetry/publishers/dev-sensor`);
    const sent = await fetch(`${emulator.restUrl}/telemetry/publishers/dev-sensor/messages`, {
      method: 'POST',
      headers: { authorization: res.body.token },
      body: '{"t":1}',
    });
    expect(sent.status).toBe(201);
  });

  it('when a key file is configured, then its keys get tokens with the configured REST url', async () => {
    const res = await withKeys.request
      .post('/v1/tokens')
      .set(bearer(KEYS.partner))
      .send({ publisher: 'plant-a-9' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.restUrl).toBe(`${emulator.restUrl}/telemetry/publishers/plant-a-9/messages`);
  });

  it('when tokens and keys are used, then neither appears in the logs', async () => {
    const res = await withKeys.request
      .post('/v1/tokens')
      .set(bearer(KEYS.partner))
      .send({ scope: 'hub', access: 'send' });
    expect(res.status).toBe(200);
    await withKeys.request
      .post('/v1/tokens')
      .set({ 'x-api-key': KEYS.capped })
      .send({ publisher: 'x', ttlSeconds: 9999 });
    const logs = withKeys.logs.text();
    expect(logs).not.toContain(KEYS.partner);
    expect(logs).not.toContain(KEYS.capped);
    expect(logs).not.toContain(/sig=([^&]+)/.exec(res.body.token as string)![1]!);
  });
});

describe('secure by default', () => {
  it('when the target is Azure and no API_KEYS_FILE is set, then the gateway refuses to start', async () => {
    const config = loadConfig({
      ...TEST_ENV,
      EVENTHUB_CONNECTION_STRING:
        'Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=gw;SharedAccessKey=abc;EntityPath=telemetry',
    });
    await expect(startGateway(config, { printBanner: () => undefined })).rejects.toThrow(
      /API_KEYS_FILE is not set/,
    );
  });
});
