import express from 'express';
import request from 'supertest';
import { createMetrics } from './metrics';
import { requestMetrics, ROUTE_LABEL_LOCAL } from './request-metrics';

/** The value of one sample line `name{labels} value` in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  it('when two gateways exist, then their registries are separate', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.tokensIssued('send');
    expect(sample(await a.render(), 'gateway_tokens_issued_total{kind="send"}')).toBe(1);
    expect(sample(await b.render(), 'gateway_tokens_issued_total{kind="send"}')).toBeUndefined();
  });

  it('when ingest hooks are called, then counters move by the amounts given', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.eventsAccepted('temperature', 3);
    m.eventsAccepted('temperature', 2);
    m.eventsRejected('humidity', 'GW_ERR_VALIDATION', 4);
    m.rateLimited('events');
    m.tokensIssued('listen');
    const text = await m.render();
    expect(sample(text, 'gateway_events_accepted_total{type="temperature"}')).toBe(5);
    expect(sample(text, 'gateway_events_rejected_total{type="humidity",reason="GW_ERR_VALIDATION"}')).toBe(4);
    expect(sample(text, 'gateway_rate_limited_total{budget="events"}')).toBe(1);
    expect(sample(text, 'gateway_rate_limited_total{budget="tokens"}')).toBe(0);
    expect(sample(text, 'gateway_tokens_issued_total{kind="listen"}')).toBe(1);
  });

  it('when the batcher reports, then batches, histograms, gauges and failures follow', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const hub = m.batcherObserverFor('telemetry');
    const deadLetter = m.batcherObserverFor('dead-letter');
    hub.buffered('0', 2048, 7);
    hub.buffered('0', 1024, 3);
    hub.batchSent('0', 100, 200_000, 12);
    hub.batchSent('1', 1, 150, 3);
    hub.sendFailed('1', 'GW_ERR_SEND_FAILED', 9);
    deadLetter.batchSent('0', 4, 400, 2);
    deadLetter.sendFailed('0', 'GW_ERR_HUB_BUSY', 2);
    const text = await m.render();
    expect(sample(text, 'gateway_buffered_bytes{hub="telemetry",partition="0"}')).toBe(1024);
    expect(sample(text, 'gateway_buffered_events{hub="telemetry",partition="0"}')).toBe(3);
    expect(sample(text, 'gateway_batches_sent_total{hub="telemetry",partition="0"}')).toBe(1);
    expect(sample(text, 'gateway_batch_events_count{hub="telemetry"}')).toBe(2);
    expect(sample(text, 'gateway_batch_events_sum{hub="telemetry"}')).toBe(101);
    expect(sample(text, 'gateway_batch_bytes_sum{hub="telemetry"}')).toBe(200_150);
    expect(sample(text, 'gateway_send_duration_seconds_sum{hub="telemetry"}')).toBeCloseTo(0.015);
    expect(sample(text, 'gateway_send_duration_seconds_bucket{le="0.005",hub="telemetry"}')).toBe(1);
    expect(sample(text, 'gateway_send_failures_total{hub="telemetry",code="GW_ERR_SEND_FAILED"}')).toBe(1);
    expect(sample(text, 'gateway_send_failed_events_total{hub="telemetry",code="GW_ERR_SEND_FAILED"}')).toBe(
      9,
    );
    // The dead-letter hub's batches are in the same series, under its own hub label.
    expect(sample(text, 'gateway_batches_sent_total{hub="dead-letter",partition="0"}')).toBe(1);
    expect(sample(text, 'gateway_batch_events_sum{hub="dead-letter"}')).toBe(4);
    expect(sample(text, 'gateway_send_failures_total{hub="dead-letter",code="GW_ERR_HUB_BUSY"}')).toBe(1);
    expect(sample(text, 'gateway_send_failed_events_total{hub="dead-letter",code="GW_ERR_HUB_BUSY"}')).toBe(
      2,
    );
  });

  it('when clients invent more label values than the cap, then the rest fold into other', async () => {
    const m = createMetrics({ defaultMetrics: false, maxLabelValues: 2 });
    for (const type of ['a', 'b', 'c', 'd']) m.eventsRejected(type, 'GW_ERR_UNKNOWN_TYPE', 1);
    const text = await m.render();
    expect(sample(text, 'gateway_events_rejected_total{type="a",reason="GW_ERR_UNKNOWN_TYPE"}')).toBe(1);
    expect(sample(text, 'gateway_events_rejected_total{type="other",reason="other"}')).toBe(2);
    expect(text).not.toContain('type="d"');
  });

  it('when default metrics are on, then process metrics carry the prefix', async () => {
    const text = await createMetrics().render();
    expect(text).toContain('gateway_process_cpu_seconds_total');
  });

  it('when the cap is not a positive integer, then creation fails naming the option', () => {
    expect(() => createMetrics({ maxLabelValues: 0 })).toThrow(/maxLabelValues/);
  });
});

describe('requestMetrics', () => {
  it('when requests hit routes, miss them, or name their route, then each is counted by pattern', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const app = express();
    app.use(requestMetrics(m, { prefixes: ['/v1/limited', '/v1/auth'] }));
    const router = express.Router();
    router.post('/events/:type', (_req, res) => {
      res.status(202).end();
    });
    app.use('/v1/limited', (_req, res) => {
      res.status(429).end();
    });
    app.use('/v1', router);
    app.use('/v1/auth', (_req, _res, next) => next(new Error('refused')));
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(401).end();
    });
    app.get('/named', (_req, res, next) => {
      res.locals[ROUTE_LABEL_LOCAL] = '/custom';
      next();
    });
    await request(app).post('/v1/events/temperature').expect(202);
    await request(app).post('/v1/events/humidity').expect(202);
    await request(app).get('/does/not/exist/123').expect(404);
    await request(app).get('/named').expect(404);
    await request(app).post('/v1/limited/x').expect(429);
    await request(app).post('/v1/auth?x=1').expect(401);
    await request(app).post('/v1/authx').expect(404);
    const text = await m.render();
    expect(
      sample(text, 'gateway_http_requests_total{method="POST",route="/v1/events/:type",status="202"}'),
    ).toBe(2);
    expect(sample(text, 'gateway_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(sample(text, 'gateway_http_requests_total{method="POST",route="unmatched",status="404"}')).toBe(1);
    expect(sample(text, 'gateway_http_requests_total{method="POST",route="/v1/auth/*",status="401"}')).toBe(
      1,
    );
    expect(sample(text, 'gateway_http_requests_total{method="GET",route="/custom",status="404"}')).toBe(1);
    expect(
      sample(text, 'gateway_http_requests_total{method="POST",route="/v1/limited/*",status="429"}'),
    ).toBe(1);
  });
});
