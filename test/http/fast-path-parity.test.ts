/**
 * The ingest fast path (src/http/fast-ingest.ts) and the Express route answer, log and count
 * alike: the same requests go to the gateway (fast path in front of Express) and to the plain
 * Express app built from the same components, and the status lines, headers in order, bodies,
 * access-log lines and request metrics are compared, with only clocks and ids normalised.
 */
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createApp } from '../../src/app';
import { hashApiKey } from '../../src/auth';
import { loadKeyStore } from '../../src/auth/load-key-store';
import { createRateLimits } from '../../src/http/rate-limit';
import { loadEventTypes } from '../../src/ingest/event-types';
import { createMetrics, type GatewayMetrics } from '../../src/observability/metrics';
import { startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { newTestKey } from '../security/api-keys';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WRITER = newTestKey('parity-writer');
const ISSUER = newTestKey('parity-issuer');
const BUDGET = 15;
// Requests before the cases: the cases spend 16 of a budget of 15 (13 requests, all but the two
// refused keys, plus the 3 readings past the first of the array and the NDJSON body), so the last
// is the first refusal.
const FILLERS = 0;
const AT = '2026-01-01T00:00:00.000Z';

function keyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-parity-'));
  const path = join(dir, 'keys.json');
  const entry = (id: string, key: string, scopes: string[]) => ({
    id,
    sha256: hashApiKey(key),
    scopes,
    eventTypes: ['telemetry'],
    sensors: ['parity-*'],
  });
  writeFileSync(
    path,
    JSON.stringify({
      keys: [entry(WRITER.id, WRITER.key, ['events:write']), entry(ISSUER.id, ISSUER.key, ['tokens:issue'])],
    }),
    { mode: 0o600 },
  );
  return path;
}

interface Answer {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: string;
}

function send(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i] as string;
          let value = res.rawHeaders[i + 1] as string;
          if (/^date$/i.test(name)) value = '<date>';
          value = value.replace(/reset=\d+/, 'reset=<s>');
          raw.push(`${name}: ${value}`);
        }
        resolve({ status: res.statusCode ?? 0, headers: raw, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Case {
  readonly name: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body: (sensor: string, n: number) => string | Buffer;
  /** Runs before the request (fault injection). */
  readonly before?: (t: TestGateway) => void;
}

const json = { 'Content-Type': 'application/json' };
const CASES: readonly Case[] = [
  {
    name: 'one reading',
    body: (s, n) => JSON.stringify(reading(s, { message_id: `m-${n}`, timestamp: AT })),
  },
  {
    name: 'an array with a query string',
    path: '/v1/events/telemetry?x=1',
    body: (s, n) =>
      JSON.stringify([0, 1, 2].map((k) => reading(s, { message_id: `m-${n}-${k}`, timestamp: AT }))),
  },
  {
    name: 'respond-async',
    headers: { Prefer: 'respond-async' },
    body: (s, n) => JSON.stringify(reading(s, { message_id: `m-${n}`, timestamp: AT })),
  },
  {
    name: 'gzip NDJSON',
    headers: { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' },
    body: (s, n) =>
      gzipSync(
        `${JSON.stringify(reading(s, { message_id: `m-${n}-a`, timestamp: AT }))}\n${JSON.stringify(reading(s, { message_id: `m-${n}-b`, timestamp: AT }))}\n`,
      ),
  },
  {
    name: 'the hub refuses',
    before: (t) => t.emulator.faults.rejectNextSends(2, 'amqp:internal-error', 'refused for the parity test'),
    body: (s, n) => JSON.stringify(reading(s, { message_id: `m-${n}`, timestamp: AT })),
  },
  { name: 'wrong media type', headers: { 'Content-Type': 'text/plain' }, body: () => 'x' },
  { name: 'bad JSON', body: () => '{"sensor_id": ' },
  { name: 'invalid reading', body: (s) => JSON.stringify({ sensor_id: s, temperature: 'hot' }) },
  { name: 'unknown type', path: '/v1/events/nope', body: (s) => JSON.stringify(reading(s)) },
  { name: 'a sensor the key may not write', body: () => JSON.stringify(reading('other-sensor')) },
  { name: 'too large', body: () => `[${'1,'.repeat(700_000)}1]` },
  { name: 'no key', headers: { Authorization: '' }, body: (s) => JSON.stringify(reading(s)) },
  {
    name: 'a key without events:write',
    headers: { Authorization: `Bearer ${ISSUER.key}` },
    body: (s) => JSON.stringify(reading(s)),
  },
  {
    name: 'within budget',
    body: (s, n) => JSON.stringify(reading(s, { message_id: `m-${n}`, timestamp: AT })),
  },
  {
    name: 'over budget',
    body: (s, n) => JSON.stringify(reading(s, { message_id: `m-${n}`, timestamp: AT })),
  },
];

/** Log lines of one side, with clocks and the side's request-id prefix normalised. */
function accessLines(t: TestGateway, prefix: string): string[] {
  return t.logs.lines
    .filter((line) => {
      const req = line.req as { id?: unknown } | undefined;
      return typeof req?.id === 'string' && req.id.startsWith(prefix);
    })
    .map((line) =>
      JSON.stringify({ ...line, time: 0, responseTime: 0, pid: 0 })
        .replaceAll(prefix, '<side>')
        .replace(/"stack":"[^"]*"/g, '"stack":"<stack>"'),
    );
}

function requestSeries(text: string): string[] {
  return text
    .split('\n')
    .filter((line) =>
      /^gateway_(http_requests_total|events_accepted_total|events_rejected_total|rate_limited_total)\{/.test(
        line,
      ),
    )
    .sort();
}

describe('ingest fast path', () => {
  let t: TestGateway;
  let expressServer: Server;
  let expressUrl: string;
  let expressMetrics: GatewayMetrics;
  let fastMetrics: GatewayMetrics;

  beforeAll(async () => {
    fastMetrics = createMetrics({ defaultMetrics: false });
    expressMetrics = createMetrics({ defaultMetrics: false });
    const file = keyFile();
    const env = { API_KEYS_FILE: file, RATE_LIMIT_EVENTS_PER_MINUTE: String(BUDGET) };
    t = await startTestGateway({ env, deps: { metrics: fastMetrics } });
    const { config, batcher, logger } = t.gateway;
    const app = createApp({
      config,
      logger,
      batcher,
      eventTypes: loadEventTypes(config.ingest.eventTypesDir),
      keyStore: loadKeyStore({ file, developmentMode: false }),
      metrics: expressMetrics,
      ingestObserver: expressMetrics,
      rateLimits: createRateLimits(config.security.rateLimit, (budget) => expressMetrics.rateLimited(budget)),
    });
    expressServer = createServer(app);
    await new Promise<void>((done) => expressServer.listen(0, '127.0.0.1', done));
    expressUrl = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => expressServer.close(done));
    await t.close();
  });

  it('when the same requests reach both paths, then answers, access logs and metrics are the same', async () => {
    const sensor = uniqueSensorId('parity');
    const run = async (base: string, prefix: string): Promise<Answer[]> => {
      const answers: Answer[] = [];
      // Spend the budget so that "over budget" is the first refusal on both sides.
      for (let n = 0; n < FILLERS; n++) {
        const filler = await send(
          base,
          '/v1/events/telemetry',
          { ...json, Authorization: `Bearer ${WRITER.key}`, 'X-Request-Id': `${prefix}fill-${n}` },
          JSON.stringify(reading(sensor, { message_id: `fill-${n}`, timestamp: AT })),
        );
        expect(filler.status).toBe(200);
      }
      for (const [n, c] of CASES.entries()) {
        const headers = {
          ...json,
          Authorization: `Bearer ${WRITER.key}`,
          'X-Request-Id': `${prefix}${n}`,
          ...c.headers,
        };
        if (headers.Authorization === '') delete (headers as Partial<typeof headers>).Authorization;
        c.before?.(t);
        answers.push(await send(base, c.path ?? '/v1/events/telemetry', headers, c.body(sensor, n)));
      }
      return answers;
    };
    const fast = await run(t.gateway.url, 'fast-');
    const viaExpress = await run(expressUrl, 'expr-');

    const normalise = (answers: Answer[], prefix: string) =>
      answers.map((a, n) => ({
        case: CASES[n]?.name,
        status: a.status,
        headers: a.headers.map((h) => h.replaceAll(prefix, '<side>')),
        body: a.body.replaceAll(prefix, '<side>'),
      }));
    expect(normalise(fast, 'fast-')).toEqual(normalise(viaExpress, 'expr-'));
    expect(fast.map((a) => a.status)).toEqual([
      200, 200, 202, 200, 503, 415, 400, 422, 404, 403, 413, 401, 403, 200, 429,
    ]);

    expect(accessLines(t, 'fast-')).toEqual(accessLines(t, 'expr-'));
    expect(accessLines(t, 'fast-')).toHaveLength(FILLERS + CASES.length);
    expect(requestSeries(await fastMetrics.render())).toEqual(requestSeries(await expressMetrics.render()));
  });
});
