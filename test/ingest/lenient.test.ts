/**
 * Lenient handling (`Prefer: handling=lenient`) through the real server and emulator: the valid
 * readings of a batch are stored in order and acknowledged, the invalid ones are reported by index
 * and, with a dead-letter hub, found there as sent with their reasons; strict stays all-or-nothing;
 * device binding stays a whole-request 403.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { hashApiKey } from '../../src/auth';
import { pollUntil } from '../ops/prometheus-text';
import { newTestKey } from '../security/api-keys';
import { expectProblem, storedEventsOf } from '../support/expectations';
import { loadConfig } from '../../src/config/load-config';
import { startGateway } from '../../src/gateway';
import { captureLogs, DEV_AUTH, startTestGateway, TEST_ENV, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId, type Reading } from '../support/readings';

const DEAD_LETTER = 'dead-letter';
const writer = newTestKey('lenient-writer');
const device17 = newTestKey('lenient-device-17');

function keyFile(): string {
  const keys = [
    {
      id: writer.id,
      sha256: hashApiKey(writer.key),
      scopes: ['events:write'],
      eventTypes: ['*'],
      sensors: ['*'],
    },
    {
      id: device17.id,
      sha256: hashApiKey(device17.key),
      scopes: ['events:write'],
      eventTypes: ['telemetry'],
      sensors: ['sensor-17'],
    },
  ];
  const path = join(mkdtempSync(join(tmpdir(), 'gw-lenient-')), 'keys.json');
  writeFileSync(path, JSON.stringify({ keys }), { mode: 0o600 });
  return path;
}

let emulator: Emulator;
/** With DEAD_LETTER_EVENTHUB_NAME. */
let withHub: TestGateway;
/** Without one: refused readings are only reported. */
let withoutHub: TestGateway;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    hubs: [
      { name: 'telemetry', partitionCount: 4 },
      { name: DEAD_LETTER, partitionCount: 2 },
    ],
  });
  const API_KEYS_FILE = keyFile();
  withHub = await startTestGateway({
    emulator,
    env: { API_KEYS_FILE, DEAD_LETTER_EVENTHUB_NAME: DEAD_LETTER },
  });
  withoutHub = await startTestGateway({ emulator, env: { API_KEYS_FILE } });
});
afterAll(async () => {
  await withHub?.close();
  await withoutHub?.close();
  await emulator?.close();
});

const as = (key: { key: string }) => ({ Authorization: `Bearer ${key.key}` });
const INVALID = [7, 250, 499];

/** 500 readings of 5 sensors (seq-tagged), three of them invalid in different ways. */
function poisonedBatch(): { sensors: string[]; batch: Reading[] } {
  const sensors = Array.from({ length: 5 }, () => uniqueSensorId('lenient'));
  const batch = Array.from({ length: 500 }, (_, i) => reading(sensors[i % 5]!, { tags: { seq: String(i) } }));
  batch[7] = { ...batch[7]!, temperature: 'warm' as unknown as number };
  batch[250] = { ...batch[250]!, timestamp: 'yesterday' };
  const { sensor_id: _dropped, ...noSensor } = batch[499]!;
  batch[499] = noSensor as Reading;
  return { sensors, batch };
}

function expectStoredInOrder(sensors: readonly string[], batch: readonly Reading[]): void {
  let total = 0;
  for (const sensor of sensors) {
    const stored = storedEventsOf(emulator, sensor);
    expect(new Set(stored.map((e) => e.partitionId)).size).toBe(1);
    const seqs = stored.map((e) =>
      Number((JSON.parse(e.body.toString()) as { tags: { seq: string } }).tags.seq),
    );
    const expected = batch
      .map((r, i) => [r, i] as const)
      .filter(([r, i]) => r.sensor_id === sensor && !INVALID.includes(i))
      .map(([, i]) => i);
    expect(seqs).toEqual(expected);
    total += stored.length;
  }
  expect(total).toBe(497);
}

interface ItemBody {
  count: number;
  requestId: string;
  stored: number;
  deadLettered: number;
  rejected: number;
  failed: number;
  events: { status: string; code?: string; pointer?: string; partitionId?: string; messageId?: string }[];
  errors: { index: number; pointer: string; message: string }[];
}

function deadLettersOf(requestId: string) {
  return emulator.store.allEvents(DEAD_LETTER).filter((e) => e.applicationProperties.requestId === requestId);
}

describe('Prefer: handling=lenient', () => {
  it('when 3 of 500 readings are invalid and no dead-letter hub is set, then 497 are stored in order and the 3 reported by index', async () => {
    const { sensors, batch } = poisonedBatch();
    const res = await withoutHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'handling=lenient')
      .send(batch);
    expect(res.status).toBe(207);
    expect(res.headers['preference-applied']).toBe('handling=lenient');
    const body = res.body as ItemBody;
    expect(body).toMatchObject({ count: 500, stored: 497, rejected: 3, deadLettered: 0, failed: 0 });
    expect(body.events).toHaveLength(500);
    expect(INVALID.map((i) => body.events[i])).toEqual([
      { status: 'rejected', code: 'GW_ERR_VALIDATION', pointer: '/temperature', message: 'must be number' },
      {
        status: 'rejected',
        code: 'GW_ERR_VALIDATION',
        pointer: '/timestamp',
        message: 'must match format "date-time"',
      },
      {
        status: 'rejected',
        code: 'GW_ERR_VALIDATION',
        pointer: '/sensor_id',
        message: "must have required property 'sensor_id'",
      },
    ]);
    expect([...new Set(body.errors.map((e) => e.index))]).toEqual(INVALID);
    expect(body.events.filter((e) => e.status === 'stored').every((e) => e.partitionId && e.messageId)).toBe(
      true,
    );
    expectStoredInOrder(sensors, batch);
    expect(deadLettersOf(body.requestId)).toHaveLength(0);
  });

  it('when a dead-letter hub is set, then the 3 are found there as sent, with their reasons', async () => {
    const { sensors, batch } = poisonedBatch();
    const res = await withHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'handling=lenient')
      .send(batch);
    expect(res.status).toBe(207);
    const body = res.body as ItemBody;
    expect(body).toMatchObject({ stored: 497, deadLettered: 3, rejected: 0, failed: 0 });
    expect(INVALID.map((i) => body.events[i]!.status)).toEqual([
      'dead-lettered',
      'dead-lettered',
      'dead-lettered',
    ]);
    expectStoredInOrder(sensors, batch);

    const dead = deadLettersOf(body.requestId).sort(
      (a, b) => Number(a.applicationProperties.index) - Number(b.applicationProperties.index),
    );
    expect(dead.map((e) => e.body.toString())).toEqual(INVALID.map((i) => JSON.stringify(batch[i])));
    expect(dead.map((e) => e.applicationProperties)).toEqual(
      INVALID.map((index, n): unknown =>
        expect.objectContaining({
          reason: 'GW_ERR_VALIDATION',
          pointer: ['/temperature', '/timestamp', '/sensor_id'][n],
          message: expect.any(String),
          eventType: 'telemetry',
          schemaVersion: '1.0.0',
          keyId: writer.id,
          requestId: body.requestId,
          index,
        }),
      ),
    );
    // The answer names where each one went on the dead-letter hub.
    for (const event of dead) {
      const item = body.events[Number(event.applicationProperties.index)]!;
      expect({ messageId: item.messageId, partitionId: item.partitionId }).toEqual({
        messageId: event.messageId,
        partitionId: event.partitionId,
      });
    }
    const metrics = await withHub.gateway.metrics.render();
    expect(metrics).toMatch(
      /gateway_events_dead_lettered_total\{type="telemetry",reason="GW_ERR_VALIDATION"\} 3\b/,
    );
  });

  it('when the same batch is sent strictly, then 422 lists the 3 and nothing is stored', async () => {
    const { sensors, batch } = poisonedBatch();
    for (const prefer of [undefined, 'handling=strict']) {
      const request = withHub.request.post('/v1/events/telemetry').set(as(writer));
      const res = await (prefer === undefined ? request : request.set('Prefer', prefer)).send(batch);
      const problem = expectProblem(res, 422, 'GW_ERR_VALIDATION');
      expect([...new Set((problem.errors as { index: number }[]).map((e) => e.index))]).toEqual(INVALID);
      expect(res.headers['preference-applied']).toBeUndefined();
      expect(deadLettersOf(problem.requestId as string)).toHaveLength(0);
    }
    for (const sensor of sensors) expect(storedEventsOf(emulator, sensor)).toHaveLength(0);
  });

  it('when every reading is refused, then 422 as in strict mode, after dead-lettering them when a hub is set', async () => {
    const sensor = uniqueSensorId('lenient');
    const batch = [
      { ...reading(sensor), temperature: 'warm' },
      { ...reading(sensor), humidity: 500 },
    ];
    const without = await withoutHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'handling=lenient')
      .send(batch);
    expect(expectProblem(without, 422, 'GW_ERR_VALIDATION')).not.toHaveProperty('deadLettered');
    const withDead = await withHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'handling=lenient')
      .send(batch);
    const problem = expectProblem(withDead, 422, 'GW_ERR_VALIDATION');
    expect(problem.deadLettered).toBe(2);
    expect(deadLettersOf(problem.requestId as string)).toHaveLength(2);
    expect(storedEventsOf(emulator, sensor)).toHaveLength(0);
  });

  it('when a reading names a sensor the key may not write, then 403 for the whole request, invalid or not', async () => {
    for (const foreign of [reading('sensor-18'), { ...reading('sensor-18'), temperature: 'warm' }]) {
      const res = await withHub.request
        .post('/v1/events/telemetry')
        .set(as(device17))
        .set('Prefer', 'handling=lenient')
        .send([reading('sensor-17'), foreign]);
      expect(expectProblem(res, 403, 'GW_ERR_FORBIDDEN')).toMatchObject({ index: 1 });
      expect(deadLettersOf(res.body.requestId as string)).toHaveLength(0);
    }
  });

  it('when lenient handling is a dry run, then the answer names both hubs’ partitions and neither hub gets anything', async () => {
    const { sensors, batch } = poisonedBatch();
    const transfers = emulator.faults.counters.transfers;
    const res = await withHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'handling=lenient, dry-run')
      .send(batch);
    expect(res.status).toBe(207);
    expect(res.headers['preference-applied']).toBe('handling=lenient, dry-run');
    const body = res.body as ItemBody & { dryRun?: boolean };
    expect(body).toMatchObject({ dryRun: true, stored: 497, deadLettered: 3 });
    expect(INVALID.map((i) => body.events[i]!.partitionId)).toEqual([
      expect.stringMatching(/^[01]$/),
      expect.stringMatching(/^[01]$/),
      expect.stringMatching(/^[01]$/),
    ]);
    expect(emulator.faults.counters.transfers).toBe(transfers);
    for (const sensor of sensors) expect(storedEventsOf(emulator, sensor)).toHaveLength(0);
    expect(deadLettersOf(body.requestId)).toHaveLength(0);
  });

  it('when lenient handling asks for respond-async, then 202 with the per-reading results, delivered afterwards', async () => {
    const sensor = uniqueSensorId('lenient');
    const batch = [reading(sensor), { ...reading(sensor), temperature: 'warm' }];
    const res = await withHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'respond-async, handling=lenient')
      .send(batch);
    expect(res.status).toBe(202);
    expect(res.headers['preference-applied']).toBe('respond-async, handling=lenient');
    const body = res.body as ItemBody;
    expect(body.events.map((e) => e.status)).toEqual(['stored', 'dead-lettered']);
    await pollUntil(
      () => Promise.resolve([storedEventsOf(emulator, sensor).length, deadLettersOf(body.requestId).length]),
      ([stored, dead]) => stored === 1 && dead === 1,
      10_000,
    );
  });

  it('when the dead-letter hub refuses the send, then 503 for the readings bound there', async () => {
    const sensor = uniqueSensorId('lenient');
    // One attempt and one retry (SEND_MAX_RETRIES=1): the only publication is the dead letter's.
    emulator.faults.rejectNextSends(2, 'com.microsoft:server-busy', 'busy');
    const res = await withHub.request
      .post('/v1/events/telemetry')
      .set(as(writer))
      .set('Prefer', 'handling=lenient')
      .send([{ ...reading(sensor), temperature: 'warm' }]);
    expectProblem(res, 503, 'GW_ERR_SEND_FAILED');
    expect(res.headers['retry-after']).toBeDefined();
    expect(deadLettersOf(res.body.requestId as string)).toHaveLength(0);
  });
});

describe('deadline', () => {
  it('when neither hub acknowledges within the deadline, then 503 GW_ERR_DEADLINE, as in strict mode', async () => {
    const slow = await startTestGateway({
      emulator,
      env: { API_KEYS_FILE: keyFile(), DEAD_LETTER_EVENTHUB_NAME: DEAD_LETTER, REQUEST_DEADLINE_MS: '400' },
    });
    emulator.faults.delayDispositions(1500);
    try {
      const sensor = uniqueSensorId('lenient');
      const res = await slow.request
        .post('/v1/events/telemetry')
        .set(as(writer))
        .set('Prefer', 'handling=lenient')
        .send([reading(sensor), { ...reading(sensor), temperature: 'warm' }]);
      expectProblem(res, 503, 'GW_ERR_DEADLINE');
    } finally {
      emulator.faults.delayDispositions(0);
      await slow.close();
    }
  });
});

describe('the development default', () => {
  it('when the gateway runs its embedded emulator with default settings, then lenient refusals are dead-lettered there', async () => {
    const gateway = await startGateway(loadConfig({ ...TEST_ENV, EMULATOR_PORT: '0' }), {
      logDestination: captureLogs(),
      printBanner: () => undefined,
      // As the gateway's own default does (jest cannot run its dynamic import): the hubs come
      // from the gateway's configuration (EMULATOR_HUBS' default).
      startEmulator: ({ host, port, hubs }) =>
        startEmulator({ host, port, restPort: 0, ...(hubs ? { hubs: hubs.map((h) => ({ ...h })) } : {}) }),
    });
    try {
      expect(gateway.config.ingest.deadLetterHub).toBe('dead-letter');
      const sensor = uniqueSensorId('lenient');
      const res = await fetch(`${gateway.url}/v1/events/telemetry`, {
        method: 'POST',
        headers: { ...DEV_AUTH, 'Content-Type': 'application/json', Prefer: 'handling=lenient' },
        body: JSON.stringify([reading(sensor), { ...reading(sensor), temperature: 'warm' }]),
      });
      expect(res.status).toBe(207);
      const body = (await res.json()) as ItemBody;
      expect(body.events.map((e) => e.status)).toEqual(['stored', 'dead-lettered']);
    } finally {
      await gateway.close();
    }
  });
});
