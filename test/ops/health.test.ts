/**
 * Health and readiness through the real gateway and emulator: /healthz is always 200 while the
 * process runs; /readyz turns 503 when the hub is unreachable and back when it returns, and 503
 * for the whole of a shutdown (observed on the ops port, which closes last).
 */
import { connect } from 'node:net';
import { startTestGateway, type TestGateway } from '../support/harness';
import { pollUntil } from './prometheus-text';

interface Probe {
  readonly status: number;
  readonly reason: unknown;
}

async function probe(url: string): Promise<Probe> {
  const res = await fetch(url);
  const body = (await res.json()) as { reason?: unknown };
  return { status: res.status, reason: body.reason };
}

describe('health and readiness', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // Partition ids re-read every 100 ms, so an outage is noticed without traffic.
    t = await startTestGateway({ env: { PARTITION_REFRESH_MS: '100', METRICS_PORT: '0' } });
  });
  afterAll(() => t.close());

  it('when the gateway runs, then /healthz and /readyz answer 200 unauthenticated on both ports', async () => {
    const health = await t.request.get('/healthz');
    expect(health.status).toBe(200);
    expect(health.headers['cache-control']).toBe('no-store');
    expect((await t.request.get('/readyz')).status).toBe(200);
    const ops = t.gateway.opsUrl!;
    expect((await probe(`${ops}/readyz`)).status).toBe(200);
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
  });

  it('when METRICS_PORT is set, then /metrics is served there and not on the public port', async () => {
    expect((await fetch(`${t.gateway.opsUrl!}/metrics`)).status).toBe(200);
    expect((await t.request.get('/metrics')).status).toBe(404);
  });

  it('when the emulator stops, then /readyz turns 503 and back to 200 when it returns, while /healthz stays 200', async () => {
    const readyz = `${t.gateway.url}/readyz`;
    await t.emulator.faults.stopListening();
    try {
      const down = await pollUntil(
        () => probe(readyz),
        (p) => p.status === 503,
      );
      expect(down.reason).toBe('hub-unreachable');
      const res = await t.request.get('/readyz');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'GW_ERR_UNAVAILABLE', reason: 'hub-unreachable' });
      expect((await t.request.get('/healthz')).status).toBe(200);
    } finally {
      await t.emulator.faults.startListening();
    }
    const up = await pollUntil(
      () => probe(readyz),
      (p) => p.status === 200,
      15_000,
    );
    expect(up.status).toBe(200);
  });

  it('when the gateway shuts down, then /readyz is 503 (draining) until the end', async () => {
    const ops = t.gateway.opsUrl!;
    await pollUntil(
      () => probe(`${ops}/readyz`),
      (p) => p.status === 200,
      15_000,
    );
    // A client mid-request keeps the public server from closing at once (it gets the grace period).
    const { hostname, port } = new URL(t.gateway.url);
    const halfway = connect(Number(port), hostname);
    await new Promise((resolve) => halfway.once('connect', resolve));
    halfway.write('POST /v1/events/telemetry HTTP/1.1\r\nHost: x\r\n');
    try {
      const closing = t.gateway.close();
      const draining = await probe(`${ops}/readyz`);
      expect(draining).toEqual({ status: 503, reason: 'draining' });
      await closing;
      await expect(fetch(`${ops}/readyz`)).rejects.toThrow();
    } finally {
      halfway.destroy();
    }
  });
});
