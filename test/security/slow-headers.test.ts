/**
 * Slowloris: a client that sends its headers byte by byte is cut off by HEADERS_TIMEOUT_MS with a
 * 408, while well-behaved clients keep being served by the same gateway.
 */
import { connect } from 'node:net';
import { reading, uniqueSensorId } from '../support/readings';
import { startTestGateway, type TestGateway } from '../support/harness';
import { DEV_API_KEY } from '../../src/auth';

describe('slow clients', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '2000' } });
  });
  afterAll(() => t.close());

  it('when a client sends headers byte by byte, then it is cut off by the timeout while others are served', async () => {
    const { hostname, port } = new URL(t.gateway.url);
    const slow = connect(Number(port), hostname);
    let received = '';
    slow.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const started = Date.now();
    const closedAt = new Promise<number>((resolve) => slow.on('close', () => resolve(Date.now())));
    const header = `POST /v1/events/telemetry HTTP/1.1\r\nHost: ${hostname}\r\nX-API-Key: ${DEV_API_KEY}\r\nX-Padding: ${'a'.repeat(500)}`;
    let sent = 0;
    const drip = setInterval(() => {
      if (!slow.destroyed && sent < header.length) slow.write(header[sent++]!);
    }, 10);
    try {
      // While the slow client dribbles, others are answered normally (with durable acks).
      let served = 0;
      while (Date.now() - started < 400) {
        const res = await t.request
          .post('/v1/events/telemetry')
          .set('X-API-Key', DEV_API_KEY)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify([reading(uniqueSensorId())]));
        expect(res.status).toBe(200);
        served += 1;
      }
      expect(served).toBeGreaterThan(0);

      const elapsed = (await closedAt) - started;
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(3000);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(sent).toBeLessThan(header.length);

      // And the gateway still serves after cutting it off.
      expect((await t.request.get('/healthz')).status).toBe(200);
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
  });
});
