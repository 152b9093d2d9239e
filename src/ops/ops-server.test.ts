import { createMetrics } from '../observability/metrics';
import { createReadiness } from './readiness';
import { startOpsServer, type OpsServer } from './ops-server';

describe('startOpsServer', () => {
  let ops: OpsServer;
  const hub = { reachable: true };
  const readiness = createReadiness({
    hubReachable: () => hub.reachable,
    bufferedBytes: () => 0,
    maxBufferedBytes: 100,
  });
  const metrics = createMetrics({ defaultMetrics: false });

  beforeAll(async () => {
    ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, readiness });
  });
  afterAll(() => ops.close());

  it('when probed, then healthz is 200 and readyz follows readiness with problem+json on 503', async () => {
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    const starting = await fetch(`${ops.url}/readyz`);
    expect(starting.status).toBe(503);
    expect(starting.headers.get('content-type')).toBe('application/problem+json');
    expect(starting.headers.get('retry-after')).toBe('1');
    expect(await starting.json()).toMatchObject({ code: 'GW_ERR_UNAVAILABLE', reason: 'starting' });
    readiness.markServing();
    const ready = await fetch(`${ops.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    hub.reachable = false;
    expect(await (await fetch(`${ops.url}/readyz`)).json()).toMatchObject({ reason: 'hub-unreachable' });
  });

  it('when scraped, then metrics are Prometheus text', async () => {
    metrics.tokensIssued('send');
    const res = await fetch(`${ops.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('gateway_tokens_issued_total{kind="send"} 1');
  });

  it('when another path or method is asked, then 404 or 405 problem+json', async () => {
    expect((await fetch(`${ops.url}/v1/events/x`)).status).toBe(404);
    const post = await fetch(`${ops.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
