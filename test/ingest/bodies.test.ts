/**
 * Single, array and NDJSON bodies (plain and gzip) land in the hub with exactly the bytes sent,
 * the right properties, and on the partition the reference hash gives; the 200 comes only once
 * they are stored.
 */
import { gzipSync } from 'node:zlib';
import { DEV_API_KEY } from '../../src/auth/dev-key';
import { generateApiKey } from '../../src/auth/generate-key';
import { partitionIndexForKey } from '../../src/partitioning/partition-key';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { asIs, storedEventsOf } from '../support/expectations';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

interface ReceiptBody {
  count: number;
  requestId: string;
  events: { messageId: string; partitionId: string }[];
}

describe('POST /v1/events/telemetry', () => {
  it('when one reading is posted, then 200 comes with a receipt and the event is already stored byte for byte', async () => {
    const sensor = uniqueSensorId();
    const body = JSON.stringify(reading(sensor, { message_id: `${sensor}-m1` }));
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('Content-Type', 'application/json')
      .send(body);

    expect(res.status).toBe(200);
    const receipt = res.body as ReceiptBody;
    const partitionId = String(partitionIndexForKey(sensor, 4));
    expect(receipt).toEqual({
      count: 1,
      requestId: res.headers['x-request-id'],
      events: [{ messageId: `${sensor}-m1`, partitionId }],
    });
    const [stored, ...rest] = storedEventsOf(t.emulator, sensor);
    expect(rest).toHaveLength(0);
    expect(stored?.body.toString('utf8')).toBe(body);
    expect(stored?.partitionId).toBe(partitionId);
    expect(stored?.messageId).toBe(`${sensor}-m1`);
    expect(stored?.contentType).toBe('application/json');
    expect(stored?.applicationProperties).toEqual({
      partitionKey: sensor,
      eventType: 'telemetry',
      schemaVersion: '1.0.0',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestId: receipt.requestId,
    });
  });

  it('when an array is posted, then each element lands with its own bytes as sent and a generated message id', async () => {
    const sensors = [uniqueSensorId(), uniqueSensorId(), uniqueSensorId()];
    const elements = sensors.map((s) => JSON.stringify(reading(s), null, 2));
    const body = `[\n${elements.join(' ,\n')}\n]`;
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .type('application/json')
      .send(body);

    expect(res.status).toBe(200);
    const receipt = res.body as ReceiptBody;
    expect(receipt.count).toBe(3);
    sensors.forEach((sensor, i) => {
      const [stored] = storedEventsOf(t.emulator, sensor);
      expect(stored?.body.toString('utf8')).toBe(elements[i]);
      expect(stored?.messageId).toBe(receipt.events[i]?.messageId);
      expect(stored?.messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(stored?.partitionId).toBe(String(partitionIndexForKey(sensor, 4)));
      expect(receipt.events[i]?.partitionId).toBe(stored?.partitionId);
    });
  });

  it('when NDJSON is posted, then each line lands with its own bytes', async () => {
    const sensor = uniqueSensorId();
    const lines = [1, 2, 3].map((n) => JSON.stringify(reading(sensor, { message_id: `${sensor}-${n}` })));
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('Content-Type', 'application/x-ndjson')
      .send(`${lines.join('\r\n')}\n`);

    expect(res.status).toBe(200);
    expect(storedEventsOf(t.emulator, sensor).map((e) => e.body.toString('utf8'))).toEqual(lines);
  });

  it('when the body is gzip-encoded, then it is inflated and lands unchanged', async () => {
    const sensor = uniqueSensorId();
    const body = JSON.stringify([reading(sensor), reading(sensor)]);
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize(asIs)
      .send(gzipSync(body));

    expect(res.status).toBe(200);
    expect(storedEventsOf(t.emulator, sensor).map((e) => e.body.toString('utf8'))).toEqual(
      (JSON.parse(body) as unknown[]).map((r) => JSON.stringify(r)),
    );
  });

  it('when the client sends a safe X-Request-Id, then it is echoed and stamped on the events; an unsafe one is replaced', async () => {
    const sensor = uniqueSensorId();
    const ok = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('X-Request-Id', 'client-id:42')
      .send(reading(sensor));
    expect(ok.headers['x-request-id']).toBe('client-id:42');
    expect(storedEventsOf(t.emulator, sensor)[0]?.applicationProperties.requestId).toBe('client-id:42');

    const unsafe = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('X-Request-Id', 'bad id <script>')
      .send(reading(sensor));
    expect(unsafe.status).toBe(200);
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("when the X-Request-Id could be a secret (an API key, the request's own key), then it is replaced: never echoed, logged or stored", async () => {
    const sensor = uniqueSensorId();
    const apiKey = generateApiKey();
    const ownKey = DEV_API_KEY;
    for (const secret of [apiKey, ownKey]) {
      const res = await t.request
        .post('/v1/events/telemetry')
        .set(DEV_AUTH)
        .set('X-Request-Id', secret)
        .send(reading(sensor, { message_id: secret === apiKey ? 'm-api-key' : 'm-own-key' }));
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(res.body)).not.toContain(secret);
    }
    const stored = storedEventsOf(t.emulator, sensor);
    expect(stored).toHaveLength(2);
    for (const event of stored) {
      expect(String(event.applicationProperties.requestId)).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(t.logs.text()).not.toContain(apiKey);
  });

  it('when Prefer: respond-async is sent, then 202 with Preference-Applied comes and the events land afterwards', async () => {
    const sensor = uniqueSensorId();
    const before = t.emulator.store.allEvents('telemetry').length;
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('Prefer', 'respond-async')
      .send([reading(sensor), reading(sensor)]);

    expect(res.status).toBe(202);
    expect(res.headers['preference-applied']).toBe('respond-async');
    expect((res.body as ReceiptBody).count).toBe(2);
    await t.emulator.store.waitForEvents('telemetry', before + 2, 5000);
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(2);
  });
});
