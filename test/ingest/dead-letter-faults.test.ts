/**
 * The dead-letter hub and the event hub failing one without the other, through the real server
 * and emulator (the emulator refuses every partition of one hub). Only the dead-letter hub: valid
 * readings are still stored, the invalid ones are reported as not delivered (retryable, not as
 * dead-lettered), strict requests are untouched, /readyz stays ready and names the dead-letter hub,
 * and its batches show in the send metrics under its own hub label. Only the event hub: the
 * invalid readings are dead-lettered with their reasons, the valid ones reported as not delivered.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { pollUntil, sampleValue, sumOf } from '../ops/prometheus-text';
import { storedEventsOf } from '../support/expectations';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, readings, uniqueSensorId, type Reading } from '../support/readings';

const HUB = 'telemetry';
const DEAD_LETTER = 'dead-letter';
const BUSY = 'com.microsoft:server-busy';
const INVALID = [2, 5, 7];

let emulator: Emulator;
let t: TestGateway;
beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    hubs: [
      { name: HUB, partitionCount: 4 },
      { name: DEAD_LETTER, partitionCount: 2 },
    ],
  });
  t = await startTestGateway({ emulator, env: { DEAD_LETTER_EVENTHUB_NAME: DEAD_LETTER } });
});
afterAll(async () => {
  await t?.close();
  await emulator?.close();
});
afterEach(() => emulator.faults.clearPartitionFaults());

interface Item {
  readonly status: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly partitionId?: string;
}
interface ItemsBody {
  readonly requestId: string;
  readonly stored: number;
  readonly deadLettered: number;
  readonly rejected: number;
  readonly failed: number;
  readonly events: readonly Item[];
}

/** 10 readings of one sensor, seq-tagged, three of them invalid. */
function mixedBatch(sensor: string): Reading[] {
  const batch = readings(sensor, 10);
  for (const i of INVALID) batch[i] = { ...batch[i]!, temperature: 'warm' as unknown as number };
  return batch;
}

const lenient = (batch: readonly Reading[]) =>
  t.request.post('/v1/events/telemetry').set(DEV_AUTH).set('Prefer', 'handling=lenient').send(batch);

const refuseEveryPartition = (hub: string, count: number): void => {
  for (let p = 0; p < count; p++)
    emulator.faults.rejectPartition(String(p), BUSY, 'refused for the test', hub);
};

const deadLettersOf = (requestId: string) =>
  emulator.store.allEvents(DEAD_LETTER).filter((e) => e.applicationProperties.requestId === requestId);

const seqsOf = (sensor: string): number[] =>
  storedEventsOf(emulator, sensor).map((e) =>
    Number((JSON.parse(e.body.toString()) as { tags: { seq: string } }).tags.seq),
  );

const scrape = async (): Promise<string> => (await t.request.get('/metrics')).text;

describe('when only the dead-letter hub fails', () => {
  it('then valid readings are stored, the invalid ones are reported undelivered, /readyz names the dead-letter hub, and its sends show in the metrics', async () => {
    const before = await scrape();
    refuseEveryPartition(DEAD_LETTER, 2);
    const sensor = uniqueSensorId('dl-down');
    const res = await lenient(mixedBatch(sensor));

    expect(res.status).toBe(207);
    const body = res.body as ItemsBody;
    expect(body).toMatchObject({ stored: 7, deadLettered: 0, rejected: 0, failed: 3 });
    for (const i of INVALID) expect(body.events[i]).toMatchObject({ status: 'failed', retryable: true });
    expect(body.events.filter((e) => e.status === 'stored')).toHaveLength(7);
    // What landed: the 7 valid ones in order on the event hub, nothing on the dead-letter hub.
    expect(seqsOf(sensor)).toEqual([0, 1, 3, 4, 6, 8, 9]);
    expect(deadLettersOf(body.requestId)).toHaveLength(0);

    // Strict requests never touch the dead-letter hub.
    const strict = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .send([reading(sensor)]);
    expect(strict.status).toBe(200);

    const expectReadyNamingDeadLetterHub = async (): Promise<void> => {
      const ready = await t.request.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'degraded',
        partitions: [],
        deadLetterHub: { hub: DEAD_LETTER, state: 'degraded' },
      });
      const { partitions } = (ready.body as { deadLetterHub: { partitions: Item[] } }).deadLetterHub;
      expect(partitions.length).toBeGreaterThan(0);
      for (const p of partitions) expect(p).toMatchObject({ state: 'failing', reason: expect.any(String) });
    };
    await expectReadyNamingDeadLetterHub();

    const after = await scrape();
    const failures = (text: string) => sumOf(text, 'gateway_send_failures_total');
    expect(failures(after) - failures(before)).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/gateway_send_failures_total\{hub="dead-letter",code="[^"]+"\} \d+/);
    expect(after).not.toMatch(/gateway_send_failures_total\{hub="telemetry"/);
    const batchSum = (text: string, hub: string) =>
      sampleValue(text, `gateway_batch_events_sum{hub="${hub}"}`);
    expect(batchSum(after, HUB) - batchSum(before, HUB)).toBe(8);
    // One WARN naming the dead-letter hub; /readyz still says so after the hub answered other
    // calls (its partition-id probe follows a failed send within moments), since nothing was
    // dead-lettered since.
    const warned = t.logs.lines.filter(
      (l) => l.hub === DEAD_LETTER && String(l.msg).startsWith('dead-letter hub failing'),
    );
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expectReadyNamingDeadLetterHub();
  });

  it('then once it takes sends again, the invalid readings are dead-lettered, counted in its batch metrics, and /readyz is plainly ready', async () => {
    const before = await scrape();
    const sensor = uniqueSensorId('dl-back');
    const res = await pollUntil(
      () => lenient(mixedBatch(uniqueSensorId('dl-probe'))),
      (r) => (r.body as ItemsBody).deadLettered === 3,
      10_000,
      200,
    );
    expect(res.status).toBe(207);
    const answer = await lenient(mixedBatch(sensor));
    const body = answer.body as ItemsBody;
    expect(body).toMatchObject({ stored: 7, deadLettered: 3, failed: 0 });
    expect(deadLettersOf(body.requestId)).toHaveLength(3);

    const after = await scrape();
    const batchSum = (text: string) => sampleValue(text, `gateway_batch_events_sum{hub="${DEAD_LETTER}"}`);
    expect(batchSum(after) - batchSum(before)).toBeGreaterThanOrEqual(3);
    const deadLetterBatches = [
      ...after.matchAll(/^gateway_batches_sent_total\{hub="dead-letter",[^}]*\} (\d+)/gm),
    ];
    expect(deadLetterBatches.reduce((sum, m) => sum + Number(m[1]), 0)).toBeGreaterThanOrEqual(1);
    // A partition is named until a dead-letter batch to it is acknowledged: fresh sensors (keyed
    // to either partition) until both delivered.
    const ready = await pollUntil(
      async () => {
        await lenient(mixedBatch(uniqueSensorId('dl-probe')));
        return t.request.get('/readyz');
      },
      (r) => (r.body as { status?: string }).status === 'ready',
      10_000,
      50,
    );
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
    expect(
      t.logs.lines.filter((l) => l.hub === DEAD_LETTER && l.msg === 'dead-letter hub delivering again'),
    ).toHaveLength(1);
  });
});

describe('when only the event hub fails', () => {
  it('then the invalid readings are dead-lettered with their reasons and the valid ones are reported undelivered', async () => {
    refuseEveryPartition(HUB, 4);
    const sensor = uniqueSensorId('hub-down');
    const res = await lenient(mixedBatch(sensor));

    expect(res.status).toBe(207);
    const body = res.body as ItemsBody;
    expect(body).toMatchObject({ stored: 0, deadLettered: 3, rejected: 0, failed: 7 });
    for (const i of INVALID) expect(body.events[i]).toMatchObject({ status: 'dead-lettered' });
    expect(body.events.filter((e) => e.status === 'failed').every((e) => e.retryable === true)).toBe(true);
    expect(storedEventsOf(emulator, sensor)).toHaveLength(0);
    const dead = deadLettersOf(body.requestId);
    expect(dead.map((e) => Number(e.applicationProperties.index)).sort((a, b) => a - b)).toEqual(INVALID);
    expect(dead.every((e) => e.applicationProperties.reason === 'GW_ERR_VALIDATION')).toBe(true);

    // A strict request has nowhere to go: 503, and the metrics name the event hub.
    const strict = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .send([reading(sensor)]);
    expect(strict.status).toBe(503);
    // The dead-letter hub delivered: /readyz does not name it (what it says of the event hub
    // is the batcher's judgement, tested with the faults).
    expect((await t.request.get('/readyz')).body).not.toHaveProperty('deadLetterHub');
    const text = await scrape();
    expect(text).toMatch(/gateway_send_failures_total\{hub="telemetry",code="[^"]+"\} \d+/);
  });
});
