/**
 * Curl aids through the real server and emulator: schema discovery answers what the files say,
 * for the types the key may write; a dry run validates, binds and places readings as a real send
 * would, answers the receipt it would give, and sends nothing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashApiKey } from '../../src/auth';
import { newTestKey } from '../security/api-keys';
import { expectProblem, HUB, storedEventsOf } from '../support/expectations';
import { REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

const writer = newTestKey('aids-writer');
const device17 = newTestKey('aids-device-17');
const otherType = newTestKey('aids-other-type');
const tokensOnly = newTestKey('aids-tokens-only');

function keyFile(): string {
  const entry = (key: { id: string; key: string }, grants: Record<string, unknown>) => ({
    id: key.id,
    sha256: hashApiKey(key.key),
    ...grants,
  });
  const keys = [
    entry(writer, { scopes: ['events:write'], eventTypes: ['*'], sensors: ['*'] }),
    entry(device17, { scopes: ['events:write'], eventTypes: ['telemetry'], sensors: ['sensor-17'] }),
    entry(otherType, { scopes: ['events:write'], eventTypes: ['metering'], sensors: ['*'] }),
    entry(tokensOnly, {
      scopes: ['tokens:issue'],
      eventTypes: [],
      sensors: [],
      tokens: { publishers: ['*'] },
    }),
  ];
  const path = join(mkdtempSync(join(tmpdir(), 'gw-aids-')), 'keys.json');
  writeFileSync(path, JSON.stringify({ keys }), { mode: 0o600 });
  return path;
}

const as = (key: { key: string }) => ({ Authorization: `Bearer ${key.key}` });
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { API_KEYS_FILE: keyFile() } });
});
afterAll(() => t.close());

describe('schema discovery', () => {
  it('when a writer lists event types, then each has its schema version, partition-key pointer and schema URL', async () => {
    const res = await t.request.get('/v1/event-types').set(as(writer));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const settings = JSON.parse(
      readFileSync(resolve(REPO_ROOT, 'schemas/telemetry.settings.json'), 'utf8'),
    ) as {
      schemaVersion: string;
      partitionKey: string;
      description: string;
    };
    expect(res.body).toEqual({
      eventTypes: [
        {
          name: 'telemetry',
          description: settings.description,
          schemaVersion: settings.schemaVersion,
          partitionKey: settings.partitionKey,
          messageIdField: 'message_id',
          schemaUrl: '/v1/event-types/telemetry/schema',
        },
      ],
    });
  });

  it('when a key may write no listed type, then the list is empty', async () => {
    const res = await t.request.get('/v1/event-types').set(as(otherType));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ eventTypes: [] });
  });

  it('when the schema is fetched, then the answer is the schema file byte for byte', async () => {
    const file = readFileSync(resolve(REPO_ROOT, 'schemas/telemetry.schema.json'), 'utf8');
    const res = await t.request
      .get('/v1/event-types/telemetry/schema')
      .set(as(device17))
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/schema\+json/);
    expect(res.body).toBe(file);
  });

  it('when the type is unknown, not granted, or the key cannot write, then 404, 403 and 403', async () => {
    expectProblem(
      await t.request.get('/v1/event-types/nope/schema').set(as(writer)),
      404,
      'GW_ERR_UNKNOWN_TYPE',
    );
    expectProblem(
      await t.request.get('/v1/event-types/telemetry/schema').set(as(otherType)),
      403,
      'GW_ERR_FORBIDDEN',
    );
    expectProblem(await t.request.get('/v1/event-types').set(as(tokensOnly)), 403, 'GW_ERR_FORBIDDEN');
    expectProblem(await t.request.get('/v1/event-types'), 401, 'GW_ERR_UNAUTHENTICATED');
    expectProblem(await t.request.post('/v1/event-types').set(as(writer)), 405, 'GW_ERR_METHOD_NOT_ALLOWED');
  });
});

interface ReceiptBody {
  count: number;
  dryRun?: boolean;
  events: { messageId: string; partitionId: string }[];
}

describe('dry run (Prefer: dry-run)', () => {
  it('when readings of many sensors are dry-run, then nothing is stored and a real send gets the same partitions', async () => {
    const sensors = Array.from({ length: 24 }, () => uniqueSensorId('dry'));
    const batch = sensors.map((sensor, i) => reading(sensor, { message_id: `dry-${i}-${sensor}` }));
    const transfersBefore = t.emulator.faults.counters.transfers;
    const dry = await t.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'dry-run')
      .send(batch);
    expect(dry.status).toBe(200);
    expect(dry.headers['preference-applied']).toBe('dry-run');
    const dryBody = dry.body as ReceiptBody;
    expect(dryBody.dryRun).toBe(true);
    expect(dryBody.count).toBe(24);
    expect(t.emulator.faults.counters.transfers).toBe(transfersBefore);
    for (const sensor of sensors) expect(storedEventsOf(t.emulator, sensor)).toHaveLength(0);
    // The placement is spread, so equality below means something.
    expect(new Set(dryBody.events.map((e) => e.partitionId)).size).toBeGreaterThan(1);

    const real = await t.request.post('/v1/events/telemetry').set(as(writer)).send(batch);
    expect(real.status).toBe(200);
    const realBody = real.body as ReceiptBody;
    expect(realBody.dryRun).toBeUndefined();
    expect(dryBody.events).toEqual(realBody.events);
    sensors.forEach((sensor, i) => {
      const stored = storedEventsOf(t.emulator, sensor);
      expect(stored.map((e) => e.partitionId)).toEqual([dryBody.events[i]!.partitionId]);
    });
  });

  it('when a dry run has an invalid reading, then the 422 a real send gets, and nothing is stored', async () => {
    const sensor = uniqueSensorId('dry');
    const batch = [reading(sensor), { ...reading(sensor), temperature: 'warm' }];
    const dry = await t.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'dry-run')
      .send(batch);
    const real = await t.request.post('/v1/events/telemetry').set(as(writer)).send(batch);
    const dryProblem = expectProblem(dry, 422, 'GW_ERR_VALIDATION');
    const realProblem = expectProblem(real, 422, 'GW_ERR_VALIDATION');
    expect(dryProblem.errors).toEqual(realProblem.errors);
    expect(dryProblem.errors).toEqual([{ index: 1, pointer: '/temperature', message: 'must be number' }]);
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(0);
  });

  it('when a dry run names a sensor the key may not write, then 403 naming its index', async () => {
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(as(device17))
      .set('Prefer', 'dry-run')
      .send([reading('sensor-17'), reading('sensor-18')]);
    expect(expectProblem(res, 403, 'GW_ERR_FORBIDDEN')).toMatchObject({ index: 1 });
    expect(
      t.emulator.store.allEvents(HUB).filter((e) => e.applicationProperties.partitionKey === 'sensor-18'),
    ).toEqual([]);
  });
});
