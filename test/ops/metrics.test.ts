/**
 * `/metrics` through the real gateway: after a known sequence of requests, each counter moved by
 * exactly the expected amount (deltas, so the test does not depend on start-up traffic).
 */
import { DEV_API_KEY } from '../../src/auth';
import { reading, readings, uniqueSensorId } from '../support/readings';
import { startTestGateway, type TestGateway } from '../support/harness';
import { sampleValue, sumOf } from './prometheus-text';

describe('GET /metrics', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // Budget of 8 readings per minute per key: the 5th request of the sequence (the 9th reading) is refused.
    t = await startTestGateway({ env: { RATE_LIMIT_EVENTS_PER_MINUTE: '8' } });
  });
  afterAll(() => t.close());

  const scrape = async (): Promise<string> => {
    const res = await t.request.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };
  const post = (events: unknown[], key: string | null = DEV_API_KEY) => {
    const req = t.request.post('/v1/events/telemetry').set('Content-Type', 'application/json');
    return (key === null ? req : req.set('X-API-Key', key)).send(JSON.stringify(events));
  };

  it('when a known sequence of requests is made, then the counters move by the expected amounts', async () => {
    const before = await scrape();
    const sensor = uniqueSensorId();

    expect((await post(readings(sensor, 3))).status).toBe(200);
    expect((await post(readings(sensor, 2))).status).toBe(200);
    expect((await post([reading(sensor, { timestamp: 'not a time' }), reading(sensor)])).status).toBe(422);
    expect((await post([reading(sensor)])).status).toBe(200);
    expect((await post([reading(sensor)])).status).toBe(429);
    expect((await post([reading(sensor)], null)).status).toBe(401);
    expect((await t.request.get('/no/such/path')).status).toBe(404);

    const after = await scrape();
    const delta = (series: string): number => sampleValue(after, series) - sampleValue(before, series);
    const deltaSum = (name: string): number => sumOf(after, name) - sumOf(before, name);

    expect(delta('gateway_events_accepted_total{type="telemetry"}')).toBe(6);
    expect(delta('gateway_events_rejected_total{type="telemetry",reason="GW_ERR_VALIDATION"}')).toBe(2);
    expect(delta('gateway_http_requests_total{method="POST",route="/v1/events/:type",status="200"}')).toBe(3);
    expect(delta('gateway_http_requests_total{method="POST",route="/v1/events/:type",status="422"}')).toBe(1);
    expect(delta('gateway_http_requests_total{method="POST",route="/v1/events/*",status="429"}')).toBe(1);
    expect(delta('gateway_http_requests_total{method="POST",route="/v1/events/*",status="401"}')).toBe(1);
    expect(delta('gateway_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(delta('gateway_rate_limited_total{budget="events"}')).toBe(1);

    // Batches: every accepted event went out in some batch, each batch timed once.
    expect(delta('gateway_batch_events_sum{hub="telemetry"}')).toBe(6);
    const batches = deltaSum('gateway_batches_sent_total');
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(3);
    expect(delta('gateway_batch_events_count{hub="telemetry"}')).toBe(batches);
    expect(delta('gateway_batch_bytes_count{hub="telemetry"}')).toBe(batches);
    expect(delta('gateway_send_duration_seconds_count{hub="telemetry"}')).toBe(batches);
    expect(delta('gateway_batch_bytes_sum{hub="telemetry"}')).toBeGreaterThan(6 * 50);
    // Everything acknowledged: nothing left in the buffer.
    expect(sumOf(after, 'gateway_buffered_bytes')).toBe(0);
    expect(sumOf(after, 'gateway_buffered_events')).toBe(0);
    expect(deltaSum('gateway_send_failures_total')).toBe(0);
  });
});

describe('GET /metrics when sends fail', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('when the hub refuses a batch, then the failure is counted by error code', async () => {
    const scrape = async (): Promise<string> => (await t.request.get('/metrics')).text;
    const before = await scrape();
    // More rejections than the gateway's retries (SEND_MAX_RETRIES=1 in tests).
    t.emulator.faults.rejectNextSends(10, 'com.microsoft:server-busy', 'busy');
    const res = await t.request
      .post('/v1/events/telemetry')
      .set('X-API-Key', DEV_API_KEY)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify([reading(uniqueSensorId())]));
    expect(res.status).toBe(503);
    const after = await scrape();
    expect(sumOf(after, 'gateway_send_failures_total') - sumOf(before, 'gateway_send_failures_total')).toBe(
      1,
    );
    expect(
      sumOf(after, 'gateway_send_failed_events_total') - sumOf(before, 'gateway_send_failed_events_total'),
    ).toBe(1);
    // The code is the sink's (SDK error name), e.g. ServerBusyError.
    expect(after).toMatch(/gateway_send_failures_total\{hub="telemetry",code="ServerBusyError"\} 1/);
  });
});
