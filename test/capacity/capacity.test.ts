/**
 * GET /v1/capacity through the real gateway and the emulator: a driven load of known rate and
 * size comes back within 10 % (events/s and bytes/s, per hub and per event type), with the sizing
 * advice, throttling (ServerBusy injected into the emulator) and batch fill; the route needs the
 * scope ops:read on the public port and is open on the ops port.
 */
import { HUB } from '../support/expectations';
import { startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey } from '../../src/auth';
import { newTestKey } from '../security/api-keys';

const OPERATOR = newTestKey('operator');
const WRITER = newTestKey('writer');

let t: TestGateway;
let listeningAt: number;
beforeAll(async () => {
  const keys = join(mkdtempSync(join(tmpdir(), 'gw-capacity-')), 'keys.json');
  const entry = (k: { id: string; key: string }, scopes: string[]) => ({
    id: k.id,
    sha256: hashApiKey(k.key),
    scopes,
    eventTypes: ['*'],
    sensors: ['*'],
  });
  writeFileSync(
    keys,
    JSON.stringify({ keys: [entry(OPERATOR, ['ops:read']), entry(WRITER, ['events:write'])] }),
  );
  t = await startTestGateway({ env: { API_KEYS_FILE: keys, METRICS_PORT: '0', LINGER_MS: '5' } });
  listeningAt = Date.now();
});
afterAll(() => t.close());

const READINGS_PER_REQUEST = 10;
const REQUESTS_PER_SECOND = 20;
const SECONDS = 4;

async function post(sensor: string, n: number): Promise<number> {
  const res = await fetch(`${t.gateway.url}/v1/events/telemetry`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${WRITER.key}`, 'Content-Type': 'application/json' },
    // ~500 bytes of tags makes the body dominate each event's size.
    body: JSON.stringify(
      Array.from({ length: n }, () => reading(sensor, { tags: { a: 'x'.repeat(250), b: 'y'.repeat(250) } })),
    ),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('GET /v1/capacity', () => {
  it('when a known rate and size is driven, then the figures match it within 10 % and the advice follows the sizing rules', async () => {
    // One ServerBusy refusal, retried by the gateway: throttling seen.
    t.emulator.faults.rejectNextSends(1, 'com.microsoft:server-busy');
    const sensor = uniqueSensorId('capacity');
    const started = Date.now();
    const sent: Promise<number>[] = [];
    for (let i = 0; i < REQUESTS_PER_SECOND * SECONDS; i++) {
      const due = started + (i * 1000) / REQUESTS_PER_SECOND;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      sent.push(post(sensor, READINGS_PER_REQUEST));
    }
    expect(new Set(await Promise.all(sent))).toEqual(new Set([200]));
    const res = await fetch(`${t.gateway.url}/v1/capacity?consumers=2`, {
      headers: { Authorization: `Bearer ${OPERATOR.key}` },
    });
    const answeredAt = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const report = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

    // What the test drove, over the time the gateway has been serving (under a minute: the window).
    const events = REQUESTS_PER_SECOND * SECONDS * READINGS_PER_REQUEST;
    const stored = t.emulator.store
      .allEvents(HUB)
      .filter((e) => e.applicationProperties.partitionKey === sensor);
    expect(stored).toHaveLength(events);
    // Bytes as the hub received them: each event's encoded AMQP message.
    const bytes = stored.reduce((sum, e) => sum + e.raw.length, 0);
    const seconds = (answeredAt - listeningAt) / 1000;
    const hub = report.hubs.find((h: { hub: string }) => h.hub === HUB);
    const last = hub.ingress.lastMinute;
    expect(last.seconds).toBeGreaterThan(seconds * 0.9);
    expect(last.seconds).toBeLessThan(seconds * 1.1);
    expect(last.eventsPerSecond).toBeGreaterThan((events / seconds) * 0.9);
    expect(last.eventsPerSecond).toBeLessThan((events / seconds) * 1.1);
    expect(last.bytesPerSecond).toBeGreaterThan((bytes / seconds) * 0.9);
    expect(last.bytesPerSecond).toBeLessThan((bytes / seconds) * 1.1);
    // Under a minute of metering, the peak minute is the same figure.
    expect(hub.ingress.peakMinute).toMatchObject({ eventsPerSecond: last.eventsPerSecond });
    const type = hub.eventTypes.find((e: { type: string }) => e.type === 'telemetry');
    expect(type.ingress.lastMinute).toEqual(last);

    // ~200 events/s and ~170 KB/s: one TU; partitions: max(consumers 2, ceil(0.2 × 2)) = 2 of 4.
    expect(hub.throughputUnits).toEqual({ lastMinute: 1, peakMinute: 1 });
    expect(type.throughputUnits).toEqual({ lastMinute: 1, peakMinute: 1 });
    expect(hub.partitions).toEqual({ actual: 4, advised: 2, max: 32 });
    expect(report.assumptions).toMatchObject({
      tier: 'standard',
      growthFactor: 2,
      consumers: 2,
      perThroughputUnit: { ingressBytesPerSecond: 1_048_576, ingressEventsPerSecond: 1000 },
    });
    expect(hub.throttling.serverBusyLastMinute).toBe(1);
    expect(hub.recommendation).toContain('ServerBusy');
    expect(hub.recommendation).toContain('partitions are enough');
    const batches = hub.batches.lastMinute;
    expect(batches.count).toBeGreaterThan(0);
    expect(batches.eventsPerBatch * batches.count).toBeGreaterThanOrEqual(events * 0.9);
    expect(batches.fillPercent).toBeGreaterThan(0);
    expect(batches.fillPercent).toBeLessThanOrEqual(100);
    expect(report.scope).toBe('replica');
    expect(report.note).toContain('npm run capacity');

    // The ops port serves the same report without a key.
    const ops = await fetch(`${t.gateway.opsUrl}/v1/capacity`);
    expect(ops.status).toBe(200);
    expect(((await ops.json()) as { hubs: unknown[] }).hubs).toHaveLength(1);
  }, 30_000);

  it('when the key lacks ops:read, there is no key, or a parameter is wrong, then 403, 401 and 400 problems', async () => {
    const get = (query: string, key?: string) =>
      fetch(`${t.gateway.url}/v1/capacity${query}`, {
        headers: key === undefined ? {} : { Authorization: `Bearer ${key}` },
      });
    const forbidden = await get('', WRITER.key);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'GW_ERR_FORBIDDEN', requiredScope: 'ops:read' });
    expect((await get('')).status).toBe(401);
    const bad = await get('?tier=basic', OPERATOR.key);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'GW_ERR_BAD_REQUEST',
      detail: 'tier must be standard or premium.',
    });
    expect((await get('?growth=0', OPERATOR.key)).status).toBe(400);
    expect((await get('?window=1h', OPERATOR.key)).status).toBe(400);
  });
});
