/**
 * REDIS_URL when Redis is not simply there: down when the gateway starts, a listener that accepts
 * connections and never answers, a real Redis that hangs mid-run (SIGSTOP). In each, readings keep
 * flowing (the budgets fail open), with one WARN and the store metrics, no request waits on Redis
 * past REDIS_TIMEOUT_MS, and the budgets are enforced again once a real Redis answers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { startEmulator, type Emulator } from '../../emulator';
import { pollUntil, sampleValue } from '../ops/prometheus-text';
import { startTestGateway, type TestGateway } from '../support/harness';
import { reading, readings, uniqueSensorId } from '../support/readings';
import { freePort, startRedis, type TestRedis } from '../support/redis-server';
import { newTestKey, writeKeyFile } from './api-keys';

const TIMEOUT_MS = 1000;
const UNREACHABLE = 'rate-limit store unreachable: requests pass uncounted until it is back';
const BACK = 'rate-limit store reachable again: budgets enforced';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

/** A TCP listener that accepts every connection and never writes a byte. */
async function hungListener(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return {
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

interface Timed {
  readonly status: number;
  readonly ms: number;
}

/** Starts a gateway on `redisUrl` with a budget of 3 readings a minute for its key. */
async function gatewayOn(redisUrl: string) {
  const key = newTestKey('redis-faults');
  const t: TestGateway = await startTestGateway({
    emulator,
    env: {
      API_KEYS_FILE: writeKeyFile([key]),
      REDIS_URL: redisUrl,
      REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
      RATE_LIMIT_EVENTS_PER_MINUTE: '3',
    },
  });
  const post = async (n = 1): Promise<Timed> => {
    const sensor = uniqueSensorId('redis-faults');
    const started = performance.now();
    const res = await fetch(`${t.gateway.url}/v1/events/telemetry`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(n === 1 ? reading(sensor) : readings(sensor, n)),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - started };
  };
  const metric = async (series: string): Promise<number> =>
    sampleValue((await t.request.get('/metrics')).text, series);
  const count = (msg: string): number => t.logs.lines.filter((l) => l.msg === msg).length;
  const series = async (n: number, size = 1): Promise<Timed[]> => {
    const answers: Timed[] = [];
    for (let i = 0; i < n; i++) answers.push(await post(size));
    return answers;
  };
  /**
   * Once the store is up: the budget of 3 holds again (a fresh Redis starts a new window), for
   * batches too: 2 readings fit, 2 more do not (the charge script, loaded afresh, refuses them;
   * their arrival spent the third), and then a single reading is refused on arrival.
   */
  const expectEnforced = async (): Promise<void> => {
    await pollUntil(
      () => metric('gateway_rate_limit_store_up'),
      (v) => v === 1,
      15_000,
    );
    const answers = [await post(2), await post(2), await post(1)];
    expect(answers.map((a) => a.status)).toEqual([200, 429, 429]);
  };
  return { t, post, series, metric, count, expectEnforced };
}

const statuses = (answers: readonly Timed[]): number[] => answers.map((a) => a.status);
const slowest = (answers: readonly Timed[]): number => Math.max(...answers.map((a) => a.ms));

describe('when Redis is down as the gateway starts', () => {
  let redis: TestRedis;
  afterAll(() => redis?.stop());

  it('then it starts and readings flow uncounted, with one WARN and the metrics, until Redis comes up and budgets hold', async () => {
    redis = await startRedis({ start: false });
    const g = await gatewayOn(redis.url);
    try {
      const answers = [...(await g.series(5)), ...(await g.series(2, 10))];
      expect(statuses(answers)).toEqual([200, 200, 200, 200, 200, 200, 200]);
      // Refused connections fail at once: nothing waits for the timeout.
      expect(slowest(answers)).toBeLessThan(TIMEOUT_MS);
      expect(g.count(UNREACHABLE)).toBe(1);
      expect(g.t.logs.lines.find((l) => l.msg === UNREACHABLE)).toMatchObject({ level: 40 });
      expect(await g.metric('gateway_rate_limit_store_up')).toBe(0);
      expect(await g.metric('gateway_rate_limit_unenforced_total{budget="events"}')).toBe(7);

      await redis.start();
      await g.expectEnforced();
      expect(g.count(UNREACHABLE)).toBe(1);
      expect(g.count(BACK)).toBe(1);
    } finally {
      await g.t.close();
    }
  }, 30_000);
});

describe('when REDIS_URL answers TCP but never speaks', () => {
  let redis: TestRedis | undefined;
  afterAll(() => redis?.stop());

  it('then readings flow, each request bounded by REDIS_TIMEOUT_MS, one WARN once the connection outlived it, and budgets hold once a real Redis is there', async () => {
    const port = await freePort();
    const hung = await hungListener(port);
    const g = await gatewayOn(`redis://127.0.0.1:${port}`);
    try {
      const answers = [...(await g.series(4)), ...(await g.series(2, 10))];
      expect(statuses(answers)).toEqual([200, 200, 200, 200, 200, 200]);
      // The connection never becomes ready: requests pass without waiting on it (the bound is
      // the timeout; a loaded machine gets a second of room on top).
      expect(slowest(answers)).toBeLessThan(TIMEOUT_MS + 1000);
      expect(await g.metric('gateway_rate_limit_store_up')).toBe(0);
      expect(await g.metric('gateway_rate_limit_unenforced_total{budget="events"}')).toBe(6);
      // Said once the first connection attempt outlived REDIS_TIMEOUT_MS, and not again for the
      // attempts that follow (ioredis retries every few hundred ms up to 2 s).
      await pollUntil(
        () => Promise.resolve(g.count(UNREACHABLE)),
        (n) => n > 0,
        TIMEOUT_MS + 5000,
      );
      await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
      expect(g.count(UNREACHABLE)).toBe(1);

      await hung.close();
      redis = await startRedis({ port });
      await g.expectEnforced();
      expect(g.count(UNREACHABLE)).toBe(1);
      expect(g.count(BACK)).toBe(1);
    } finally {
      await hung.close();
      await g.t.close();
    }
  }, 40_000);
});

describe('when Redis hangs mid-run', () => {
  let redis: TestRedis;
  afterAll(async () => {
    redis.resume();
    await redis.stop();
  });

  it('then the first requests wait at most REDIS_TIMEOUT_MS, the rest pass at once, and budgets hold when it answers again', async () => {
    redis = await startRedis();
    const g = await gatewayOn(redis.url);
    try {
      await g.expectEnforced();
      redis.pause();
      const first = await g.post();
      const rest = [...(await g.series(5)), ...(await g.series(2, 10))];
      expect(statuses([first, ...rest])).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
      // The first found Redis silent and waited for the timeout; then the connection was dropped,
      // and the others did not wait for Redis at all.
      expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(first.ms).toBeLessThan(TIMEOUT_MS + 1500);
      expect(slowest(rest)).toBeLessThan(TIMEOUT_MS);
      expect(g.count(UNREACHABLE)).toBe(1);
      expect(await g.metric('gateway_rate_limit_store_up')).toBe(0);
      expect(await g.metric('gateway_rate_limit_unenforced_total{budget="events"}')).toBe(8);

      // Resumed with its data: the key's window from before the hang is still spent.
      redis.resume();
      await pollUntil(
        () => g.metric('gateway_rate_limit_store_up'),
        (v) => v === 1,
        15_000,
      );
      expect((await g.post()).status).toBe(429);
      expect(g.count(UNREACHABLE)).toBe(1);
      expect(g.count(BACK)).toBe(1);
    } finally {
      await g.t.close();
    }
  }, 40_000);
});
