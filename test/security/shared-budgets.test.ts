/**
 * REDIS_URL: rate-limit budgets shared through a real redis-server. Two gateway processes give one
 * key one budget; Redis going away mid-run lets readings through uncounted (one WARN, a metric),
 * and the budgets are enforced again once it is back.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { pollUntil, sampleValue } from '../ops/prometheus-text';
import { startTestGateway, TEST_ENV, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { startRedis, type TestRedis } from '../support/redis-server';
import { spawnGateway, type SpawnedGateway } from '../support/spawn-gateway';
import { newTestKey, writeKeyFile } from './api-keys';

const KEY = newTestKey('shared');

let redis: TestRedis;
let emulator: Emulator;
beforeAll(async () => {
  [redis, emulator] = await Promise.all([startRedis(), startEmulator({ port: 0 })]);
});
afterAll(async () => {
  await redis.stop();
  await emulator.close();
});

interface Answer {
  readonly status: number;
  readonly rateLimit: string | null;
}

async function post(url: string, key: string): Promise<Answer> {
  const res = await fetch(`${url}/v1/events/telemetry`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(reading(uniqueSensorId('shared'))),
  });
  await res.arrayBuffer();
  return { status: res.status, rateLimit: res.headers.get('ratelimit') };
}

describe('shared rate-limit budgets (REDIS_URL)', () => {
  it('when two gateway processes share one Redis, then one key has one budget and either answers 429 with RateLimit headers', async () => {
    const env = {
      ...TEST_ENV,
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      API_KEYS_FILE: writeKeyFile([KEY]),
      REDIS_URL: redis.url,
      RATE_LIMIT_EVENTS_PER_MINUTE: '10',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
    };
    const gateways: SpawnedGateway[] = [spawnGateway(env), spawnGateway(env)];
    try {
      const urls = await Promise.all(gateways.map((g) => g.listening));
      for (const g of gateways)
        await pollUntil(
          () => Promise.resolve(g.stdout().includes('rate-limit store connected')),
          Boolean,
          10_000,
        );

      const answers: { gateway: number; answer: Answer }[] = [];
      for (let i = 0; i < 24; i++)
        answers.push({ gateway: i % 2, answer: await post(urls[i % 2]!, KEY.key) });
      const ok = answers.filter((a) => a.answer.status === 200);
      const refused = answers.filter((a) => a.answer.status === 429);
      expect({ ok: ok.length, refused: refused.length }).toEqual({ ok: 10, refused: 14 });
      // The budget is spent across both: the 11th request overall is the first refusal.
      expect(answers.findIndex((a) => a.answer.status === 429)).toBe(10);
      expect(new Set(refused.map((a) => a.gateway))).toEqual(new Set([0, 1]));
      for (const { answer } of refused)
        expect(answer.rateLimit).toMatch(/^limit=10, remaining=0, reset=\d+$/);

      // Failed authentications share the per-IP budget too: 3 × 401 across both, then 429.
      const guesses: number[] = [];
      for (let i = 0; i < 5; i++) guesses.push((await post(urls[i % 2]!, 'ehgw_wrong')).status);
      expect(guesses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      for (const g of gateways) g.child.kill('SIGTERM');
      await Promise.all(gateways.map((g) => g.exited));
    }
  }, 60_000);

  describe('when Redis goes away mid-run', () => {
    let t: TestGateway;
    const key = newTestKey('outage');
    beforeAll(async () => {
      t = await startTestGateway({
        emulator,
        env: {
          API_KEYS_FILE: writeKeyFile([key]),
          REDIS_URL: redis.url,
          RATE_LIMIT_EVENTS_PER_MINUTE: '3',
          RATE_LIMIT_WINDOW_MS: '60000',
        },
      });
    });
    afterAll(() => t.close());

    const metric = async (series: string): Promise<number> =>
      sampleValue((await t.request.get('/metrics')).text, series);
    const warnings = (): number =>
      t.logs.lines.filter(
        (l) => l.msg === 'rate-limit store unreachable: requests pass uncounted until it is back',
      ).length;

    it('then readings keep flowing uncounted with one WARN and a metric, and budgets resume when it returns', async () => {
      await pollUntil(
        () => metric('gateway_rate_limit_store_up'),
        (v) => v === 1,
      );
      const before: number[] = [];
      for (let i = 0; i < 4; i++) before.push((await post(t.gateway.url, key.key)).status);
      expect(before).toEqual([200, 200, 200, 429]);

      await redis.stop();
      const during: number[] = [];
      for (let i = 0; i < 6; i++) during.push((await post(t.gateway.url, key.key)).status);
      expect(during).toEqual([200, 200, 200, 200, 200, 200]);
      expect(warnings()).toBe(1);
      expect(
        t.logs.lines.find((l) => l.msg?.toString().startsWith('rate-limit store unreachable')),
      ).toMatchObject({
        level: 40,
      });
      expect(await metric('gateway_rate_limit_store_up')).toBe(0);
      expect(await metric('gateway_rate_limit_unenforced_total{budget="events"}')).toBe(6);

      // A fresh Redis (nothing persisted): the key starts a new window, enforced again.
      await redis.start();
      await pollUntil(
        () => metric('gateway_rate_limit_store_up'),
        (v) => v === 1,
        15_000,
      );
      const after: number[] = [];
      for (let i = 0; i < 4; i++) after.push((await post(t.gateway.url, key.key)).status);
      expect(after).toEqual([200, 200, 200, 429]);
      expect(warnings()).toBe(1);
      expect(
        t.logs.lines.filter((l) => l.msg === 'rate-limit store reachable again: budgets enforced'),
      ).toHaveLength(1);
    }, 30_000);
  });
});
