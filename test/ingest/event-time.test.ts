/**
 * Late and future readings per event type (`eventTime` in `<type>.settings.json`), through the real
 * server and emulator: flagged readings are stored with `late`/`future` and `lagSeconds`,
 * dead-letter rules divert them to the dead-letter hub, reject rules refuse them like invalid
 * readings; a type without rules keeps today's behaviour; /metrics shows the lag per type.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { ConfigError } from '../../src/config/load-config';
import { expectProblem } from '../support/expectations';
import { DEV_AUTH, REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

const DEAD_LETTER = 'dead-letter';
const HOUR_MS = 3_600_000;

function typesDir(rules: Record<string, Record<string, unknown> | undefined>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-event-time-'));
  for (const [name, eventTime] of Object.entries(rules)) {
    const schema = JSON.parse(
      readFileSync(resolve(REPO_ROOT, 'schemas/telemetry.schema.json'), 'utf8'),
    ) as object;
    // Each type's own $id: one compiler holds them all.
    const own = { ...schema, $id: `https://gateway.invalid/schemas/${name}.schema.json` };
    writeFileSync(join(dir, `${name}.schema.json`), JSON.stringify(own));
    const settings = {
      partitionKey: '/sensor_id',
      schemaVersion: '2.0.0',
      ...(eventTime ? { eventTime } : {}),
    };
    writeFileSync(join(dir, `${name}.settings.json`), JSON.stringify(settings));
  }
  return dir;
}

const bounds = { pointer: '/timestamp', lateAfterSeconds: 3600, maxFutureSkewSeconds: 300 };
const EVENT_TYPES_DIR = typesDir({
  flagged: { ...bounds, late: 'flag', future: 'flag' },
  diverted: { ...bounds, late: 'dead-letter', future: 'dead-letter' },
  refused: { ...bounds, late: 'reject', future: 'reject' },
  plain: undefined,
});

let emulator: Emulator;
let t: TestGateway;
beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    hubs: [
      { name: 'telemetry', partitionCount: 4 },
      { name: DEAD_LETTER, partitionCount: 2 },
    ],
  });
  t = await startTestGateway({ emulator, env: { EVENT_TYPES_DIR, DEAD_LETTER_EVENTHUB_NAME: DEAD_LETTER } });
});
afterAll(async () => {
  await t?.close();
  await emulator?.close();
});

/** An on-time (1 s old), a 2-hour-old and a 1-hour-ahead reading of one sensor. */
function threeReadings() {
  const sensor = uniqueSensorId('clock');
  const now = Date.now();
  return {
    sensor,
    batch: [
      reading(sensor, { timestamp: new Date(now - 1000).toISOString() }),
      reading(sensor, { timestamp: new Date(now - 2 * HOUR_MS).toISOString() }),
      reading(sensor, { timestamp: new Date(now + HOUR_MS).toISOString() }),
    ],
  };
}
const storedOf = (hub: string, sensor: string) =>
  emulator.store
    .allEvents(hub)
    .filter((e) => e.applicationProperties.partitionKey === sensor)
    .sort((a, b) => a.sequenceNumber - b.sequenceNumber);

describe('late and future readings', () => {
  it('when the rules say flag, then all are stored and the late and future ones carry flags and their lag', async () => {
    const { sensor, batch } = threeReadings();
    const res = await t.request.post('/v1/events/flagged').set(DEV_AUTH).send(batch);
    expect(res.status).toBe(200);
    expect((res.body as { count: number }).count).toBe(3);
    const [onTime, late, future] = storedOf('telemetry', sensor).map((e) => e.applicationProperties);
    expect(onTime).not.toHaveProperty('late');
    expect(onTime).not.toHaveProperty('future');
    expect(late).toMatchObject({ late: true });
    expect(late!.lagSeconds as number).toBeGreaterThan(7190);
    expect(late!.lagSeconds as number).toBeLessThan(7300);
    expect(future).toMatchObject({ future: true });
    expect(future!.lagSeconds as number).toBeLessThan(-3500);
    const metrics = await t.gateway.metrics.render();
    expect(metrics).toMatch(/gateway_events_flagged_total\{type="flagged",reason="late"\} 1\b/);
    expect(metrics).toMatch(/gateway_events_flagged_total\{type="flagged",reason="future"\} 1\b/);
    expect(metrics).toMatch(/gateway_event_time_lag_seconds_count\{type="flagged"\} 3\b/);
    expect(metrics).toMatch(/gateway_event_time_lag_seconds_bucket\{le="0",type="flagged"\} 1\b/);
  });

  it('when the rules say dead-letter, then the on-time one is stored and the others go to the dead-letter hub', async () => {
    const { sensor, batch } = threeReadings();
    const res = await t.request.post('/v1/events/diverted').set(DEV_AUTH).send(batch);
    expect(res.status).toBe(207);
    const body = res.body as {
      stored: number;
      deadLettered: number;
      events: { status: string; code?: string }[];
    };
    expect(body).toMatchObject({ stored: 1, deadLettered: 2 });
    expect(body.events.map((e) => [e.status, e.code])).toEqual([
      ['stored', undefined],
      ['dead-lettered', 'GW_ERR_LATE_READING'],
      ['dead-lettered', 'GW_ERR_FUTURE_READING'],
    ]);
    expect(storedOf('telemetry', sensor).map((e) => e.body.toString())).toEqual([JSON.stringify(batch[0])]);
    const dead = storedOf(DEAD_LETTER, sensor);
    expect(dead.map((e) => e.body.toString())).toEqual([JSON.stringify(batch[1]), JSON.stringify(batch[2])]);
    expect(dead.map((e) => e.applicationProperties)).toEqual([
      expect.objectContaining({
        reason: 'GW_ERR_LATE_READING',
        pointer: '/timestamp',
        eventType: 'diverted',
      }),
      expect.objectContaining({
        reason: 'GW_ERR_FUTURE_READING',
        pointer: '/timestamp',
        schemaVersion: '2.0.0',
      }),
    ]);
  });

  it('when the rules say reject, then strict requests get 422 and lenient ones keep the on-time reading', async () => {
    const { sensor, batch } = threeReadings();
    const late = expectProblem(
      await t.request.post('/v1/events/refused').set(DEV_AUTH).send([batch[0], batch[1]]),
      422,
      'GW_ERR_LATE_READING',
    );
    expect(late.errors).toEqual([
      { index: 1, pointer: '/timestamp', message: expect.stringContaining('late after 3600 s') },
    ]);
    expectProblem(
      await t.request.post('/v1/events/refused').set(DEV_AUTH).send([batch[2]]),
      422,
      'GW_ERR_FUTURE_READING',
    );
    expect(storedOf('telemetry', sensor)).toHaveLength(0);

    const lenient = await t.request
      .post('/v1/events/refused')
      .set(DEV_AUTH)
      .set('Prefer', 'handling=lenient')
      .send(batch);
    expect(lenient.status).toBe(207);
    // Lenient refusals go to the dead-letter hub when there is one.
    expect((lenient.body as { events: { status: string }[] }).events.map((e) => e.status)).toEqual([
      'stored',
      'dead-lettered',
      'dead-lettered',
    ]);
    expect(storedOf('telemetry', sensor)).toHaveLength(1);
  });

  it('when a strict request has more refusals than the report holds, then judging stops there, as on the strict path', async () => {
    const sensor = uniqueSensorId('clock');
    const old = new Date(Date.now() - 2 * HOUR_MS).toISOString();
    const batch = Array.from({ length: 60 }, () => reading(sensor, { timestamp: old }));
    const problem = expectProblem(
      await t.request.post('/v1/events/refused').set(DEV_AUTH).send(batch),
      422,
      'GW_ERR_LATE_READING',
    );
    expect(problem).toMatchObject({ errorCount: 50, truncated: true });
    expect(problem.detail).toContain('first 50 of 60');
    expect((problem.errors as unknown[]).length).toBe(50);
  });

  it('when a type has no rules, then late and future readings are stored as today, unflagged', async () => {
    const { sensor, batch } = threeReadings();
    const res = await t.request.post('/v1/events/plain').set(DEV_AUTH).send(batch);
    expect(res.status).toBe(200);
    const stored = storedOf('telemetry', sensor);
    expect(stored).toHaveLength(3);
    for (const event of stored) {
      expect(event.applicationProperties).not.toHaveProperty('late');
      expect(event.applicationProperties).not.toHaveProperty('lagSeconds');
    }
  });

  it('when a type says dead-letter but no dead-letter hub is set, then the gateway does not start, naming the setting', async () => {
    await expect(startTestGateway({ emulator, env: { EVENT_TYPES_DIR } })).rejects.toThrow(ConfigError);
    await expect(startTestGateway({ emulator, env: { EVENT_TYPES_DIR } })).rejects.toThrow(
      /DEAD_LETTER_EVENTHUB_NAME: required by event type "diverted"/,
    );
  });

  it('when a rule names an action without its bound, then the types do not load', async () => {
    const dir = typesDir({ broken: { pointer: '/timestamp', late: 'flag' } });
    await expect(startTestGateway({ emulator, env: { EVENT_TYPES_DIR: dir } })).rejects.toThrow(
      /eventTime.late is "flag" but eventTime.lateAfterSeconds is not set/,
    );
  });
});
