/**
 * REDIS_URL: rate-limit budgets shared through a real redis-server. Two gateway processes give one
 * key one budget; Redis going away mid-run lets readings through uncounted (one WARN, a metric),
 * and the budgets are enforced again once it is back.
 */
import { Redis } from 'ioredis';
import { startEmulator, type Emulator } from '../../emulator';
import { storedEventsOf } from '../support/expectations';
import { pollUntil, sampleValue } from '../ops/prometheus-text';
import { startTestGateway, TEST_ENV, type TestGateway } from '../support/harness';
import { reading, readings, uniqueSensorId } from '../support/readings';
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

/** A batch of `n` readings of `sensor`, by one fetch. */
async function postBatch(url: string, key: string, sensor: string, n: number): Promise<Answer> {
  const res = await fetch(`${url}/v1/events/telemetry`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(readings(sensor, n)),
  });
  await res.arrayBuffer();
  return { status: res.status, rateLimit: res.headers.get('ratelimit') };
}

/** `INFO commandstats` as { command: calls }. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

describe('shared rate-limit budgets (REDIS_URL)', () => {
  it('when two gateway processes share one Redis and batches arrive at both at once, then the readings accepted never pass the key’s budget', async () => {
    const key = newTestKey('batches');
    const env = {
      ...TEST_ENV,
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      API_KEYS_FILE: writeKeyFile([key]),
      REDIS_URL: redis.url,
      RATE_LIMIT_EVENTS_PER_MINUTE: '100',
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
      // 30 batches of 7 (210 readings against a budget of 100), 6 in flight at a time over both.
      const sensor = uniqueSensorId('batches');
      const answers: Answer[] = [];
      for (let round = 0; round < 5; round++)
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 6 }, (_, i) => postBatch(urls[i % 2]!, key.key, sensor, 7)),
          )),
        );
      const accepted = answers.filter((a) => a.status === 200).length * 7;
      expect(answers.filter((a) => a.status !== 200 && a.status !== 429)).toEqual([]);
      expect(accepted).toBeLessThanOrEqual(100);
      // Refused requests pay their arrival's hit only: the budget is not wasted either.
      expect(accepted).toBeGreaterThanOrEqual(100 - 7 - 6);
      expect(storedEventsOf(emulator, sensor)).toHaveLength(accepted);
      for (const answer of answers.filter((a) => a.status === 429))
        expect(answer.rateLimit).toMatch(/^limit=100, remaining=\d, reset=\d+$/);
    } finally {
      for (const g of gateways) g.child.kill('SIGTERM');
      await Promise.all(gateways.map((g) => g.exited));
    }
  }, 60_000);

  it('when a request carries 100 readings, then its budget costs two Redis commands (arrival and one charge of the rest), not one per reading', async () => {
    const key = newTestKey('round-trips');
    const t = await startTestGateway({
      emulator,
      env: {
        API_KEYS_FILE: writeKeyFile([key]),
        REDIS_URL: redis.url,
        RATE_LIMIT_EVENTS_PER_MINUTE: '1000',
      },
    });
    const admin = new Redis(redis.url);
    try {
      await pollUntil(
        async () => sampleValue((await t.request.get('/metrics')).text, 'gateway_rate_limit_store_up'),
        (v) => v === 1,
      );
      const sensor = uniqueSensorId('round-trips');
      // The first charge loads the script (EVALSHA answered NOSCRIPT, then EVAL): warm it up.
      expect((await postBatch(t.gateway.url, key.key, sensor, 2)).status).toBe(200);
      await admin.config('RESETSTAT');
      const answer = await postBatch(t.gateway.url, key.key, sensor, 100);
      expect(answer.status).toBe(200);
      expect(answer.rateLimit).toMatch(/^limit=1000, remaining=898, reset=\d+$/);
      // Commands run inside a script are counted too (pttl, incr, get, incrby): the round trips
      // are the scripts called, and the increments are one INCR (arrival) and one INCRBY (99).
      const calls = await commandCalls(admin);
      expect({ evalsha: calls.evalsha, eval: calls.eval ?? 0 }).toEqual({ evalsha: 2, eval: 0 });
      expect({ incr: calls.incr, incrby: calls.incrby }).toEqual({ incr: 1, incrby: 1 });
      expect(Number(await admin.get(`gateway:rl:events:key:${key.id}`))).toBe(102);
    } finally {
      admin.disconnect();
      await t.close();
    }
  }, 30_000);

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
