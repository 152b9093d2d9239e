/**
 * Rate limits through the real gateway and emulator: per-key budgets with standard headers, 429
 * problem+json with Retry-After, recovery after the window, and isolation between keys.
 */
import { reading, readings, uniqueSensorId } from '../support/readings';
import { storedEventsOf } from '../support/expectations';
import { startTestGateway, type TestGateway } from '../support/harness';
import { pollUntil, sampleValue } from '../ops/prometheus-text';
import { newTestKey, writeKeyFile } from './api-keys';

const NOISY = newTestKey('noisy');
const QUIET = newTestKey('quiet');

describe('rate limits', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      env: {
        API_KEYS_FILE: writeKeyFile([NOISY, QUIET]),
        // 60 per minute over a 2 s window = 2 requests per window per key.
        RATE_LIMIT_EVENTS_PER_MINUTE: '60',
        RATE_LIMIT_WINDOW_MS: '2000',
        // 90 per minute over 2 s = 3 failed authentications per window per IP.
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '90',
      },
    });
  });
  afterAll(() => t.close());

  const post = (key: string) =>
    t.request
      .post('/v1/events/telemetry')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify([reading(uniqueSensorId())]));

  it('when a key exceeds its budget, then 429 problem+json with Retry-After and RateLimit headers, and it recovers after the window', async () => {
    const first = await post(NOISY.key);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('2;w=2');
    expect(first.headers.ratelimit).toMatch(/^limit=2, remaining=1, reset=[12]$/);
    expect((await post(NOISY.key)).status).toBe(200);

    const refused = await post(NOISY.key);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toMatch(/^[12]$/);
    expect(refused.headers.ratelimit).toMatch(/remaining=0/);
    expect(refused.body).toMatchObject({
      status: 429,
      code: 'GW_ERR_RATE_LIMITED',
      retryable: true,
      budget: 'events',
    });
    expect(refused.body.requestId).toBe(refused.headers['x-request-id']);

    // Nothing of the refused request reached the hub: its body was never read.
    const recovered = await pollUntil(
      async () => (await post(NOISY.key)).status,
      (status) => status !== 429,
      5000,
      100,
    );
    expect(recovered).toBe(200);

    const metrics = await t.request.get('/metrics');
    expect(sampleValue(metrics.text, 'gateway_rate_limited_total{budget="events"}')).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('when one key is noisy, then another key’s budget is untouched', async () => {
    // Exhaust the noisy key (up to the 3rd request of a fresh or running window).
    let status = 0;
    for (let i = 0; i < 3 && status !== 429; i += 1) status = (await post(NOISY.key)).status;
    expect(status).toBe(429);
    const quiet = await post(QUIET.key);
    expect(quiet.status).toBe(200);
    expect(quiet.headers.ratelimit).toMatch(/remaining=1/);
  });

  it('when a client keeps presenting a wrong key, then its failures are limited per IP while valid keys still pass', async () => {
    const wrong = newTestKey('wrong').key;
    let status = 401;
    let failures = 0;
    while (status === 401 && failures < 40) {
      status = (await post(wrong)).status;
      failures += 1;
    }
    expect(status).toBe(429);
    expect(failures).toBe(4);
    expect((await post(QUIET.key)).status).toBe(200);
  });
});

describe('when a key sends batches against its events budget', () => {
  let t: TestGateway;
  const DEVICE = newTestKey('batches');
  beforeAll(async () => {
    t = await startTestGateway({
      env: { API_KEYS_FILE: writeKeyFile([DEVICE]), RATE_LIMIT_EVENTS_PER_MINUTE: '10' },
    });
  });
  afterAll(() => t.close());

  const send = (sensor: string, n: number) =>
    t.request
      .post('/v1/events/telemetry')
      .set('Authorization', `Bearer ${DEVICE.key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(readings(sensor, n)));

  it('then a batch that does not fit what is left is refused whole, costs its arrival only, and the headers say what is left', async () => {
    const sensor = uniqueSensorId('fit');
    const first = await send(sensor, 7);
    expect(first.status).toBe(200);
    expect(first.headers.ratelimit).toMatch(/^limit=10, remaining=3, reset=\d+$/);

    const tooMany = await send(sensor, 5);
    expect(tooMany.status).toBe(429);
    expect(tooMany.headers['retry-after']).toMatch(/^\d+$/);
    expect(tooMany.headers.ratelimit).toMatch(/^limit=10, remaining=2, reset=\d+$/);
    expect(tooMany.body).toMatchObject({ code: 'GW_ERR_RATE_LIMITED', budget: 'events' });
    expect(tooMany.body.detail).toMatch(/5 readings are more than the 3 left/);

    const fits = await send(sensor, 2);
    expect(fits.status).toBe(200);
    expect(fits.headers.ratelimit).toMatch(/^limit=10, remaining=0, reset=\d+$/);
    expect((await send(sensor, 1)).status).toBe(429);
    // What landed: the 7 and the 2, nothing of the refused batch.
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(9);
  });
});
