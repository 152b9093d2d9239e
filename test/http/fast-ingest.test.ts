/**
 * Which requests the ingest fast path serves itself and which it leaves to Express: only an
 * authorised `POST /v1/events/{plain type}`; refusals and unusual URLs go to the fallback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEV_API_KEY, DEV_KEY_ENTRY } from '../../src/auth/dev-key';
import { createKeyStore } from '../../src/auth/key-store';
import { createFastIngest } from '../../src/http/fast-ingest';
import { securityHeaderList } from '../../src/http/hardening';

describe('createFastIngest', () => {
  let server: Server;
  let url: string;
  const served: string[] = [];
  const logged: number[] = [];

  beforeAll(async () => {
    const listener = createFastIngest({
      fallback: (req, res) => {
        served.push(`express ${req.method} ${req.url}`);
        res.end();
      },
      keyStore: createKeyStore([DEV_KEY_ENTRY], { development: true }),
      ingest: (req, res) => {
        served.push(`fast ${req.url}`);
        req.resume();
        req.on('end', () => res.end());
      },
      accessLog: (_req, res) => logged.push(res.statusCode),
      securityHeaders: securityHeaderList(),
    });
    server = createServer(listener);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('when requests vary in method, path and key, then only authorised plain ingest posts are served fast', async () => {
    const auth = { Authorization: `Bearer ${DEV_API_KEY}` };
    const calls: [string, string, Record<string, string>][] = [
      ['POST', '/v1/events/telemetry', auth],
      ['POST', '/v1/events/telemetry?x=1', auth],
      ['POST', '/v1/events/telemetry', { 'X-API-Key': DEV_API_KEY }],
      ['POST', '/v1/events/telemetry', {}],
      ['POST', '/v1/events/telemetry', { Authorization: 'Bearer ehgw_not-a-known-key-at-all' }],
      ['GET', '/v1/events/telemetry', auth],
      ['POST', '/v1/events/telemetry/', auth],
      ['POST', '/V1/events/telemetry', auth],
      ['POST', '/v1/events/tele%20metry', auth],
      ['POST', '/v1/tokens', auth],
    ];
    for (const [method, path, headers] of calls) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        body: method === 'POST' ? '{}' : undefined,
      });
      await res.arrayBuffer();
    }
    expect(served).toEqual([
      'fast /v1/events/telemetry',
      'fast /v1/events/telemetry?x=1',
      'fast /v1/events/telemetry',
      'express POST /v1/events/telemetry',
      'express POST /v1/events/telemetry',
      'express GET /v1/events/telemetry',
      'express POST /v1/events/telemetry/',
      'express POST /V1/events/telemetry',
      'express POST /v1/events/tele%20metry',
      'express POST /v1/tokens',
    ]);
    expect(logged).toEqual([200, 200, 200]);
  });
});
