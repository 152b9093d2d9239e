/**
 * WORKERS=2 behaves as one gateway: `/metrics` on either worker shows both merged (counters equal
 * the requests sent and only go up, also when a worker is replaced), and Ctrl-C to the whole
 * process group drains once — every request in flight answered — and exits 0.
 */
import { request as httpRequest } from 'node:http';
import { startEmulator, type Emulator } from '../../emulator';
import { sampleValue } from '../ops/prometheus-text';
import { HUB } from '../support/expectations';
import { DEV_AUTH, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { spawnGateway, type SpawnedGateway } from '../support/spawn-gateway';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

/** One request on its own connection, so the cluster's round robin spreads them over the workers. */
function send(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  authorized = body !== undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: {
          ...(authorized ? DEV_AUTH : {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const postReading = (url: string): Promise<{ status: number; text: string }> =>
  send(url, 'POST', '/v1/events/telemetry', JSON.stringify(reading(uniqueSensorId('workers'))));

function listeningPids(g: SpawnedGateway): number[] {
  return [...g.stdout().matchAll(/"workerPid":(\d+)[^\n]*"msg":"worker listening"/g)].map((m) =>
    Number(m[1]),
  );
}

async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}

const ACCEPTED = 'gateway_events_accepted_total{type="telemetry"}';
const OK_REQUESTS = 'gateway_http_requests_total{method="POST",route="/v1/events/:type",status="200"}';

describe('WORKERS=2 as one gateway', () => {
  const env = (): Record<string, string> => ({
    ...TEST_ENV,
    WORKERS: '2',
    EVENTHUB_CONNECTION_STRING: emulator.connectionString,
    // Room for a slow, shared machine: drains below wait for dispositions held back for seconds.
    REQUEST_DEADLINE_MS: '15000',
    SHUTDOWN_DEADLINE_MS: '15000',
  });

  it('when /metrics is scraped repeatedly, then its counters are every worker merged: equal to the requests sent and never going down', async () => {
    const gateway = spawnGateway(env());
    try {
      const url = await gateway.listening;
      await waitFor(() => listeningPids(gateway).length === 2);
      const scrapes: { accepted: number; ok: number }[] = [];
      let sent = 0;
      const scrape = async (): Promise<void> => {
        const res = await send(url, 'GET', '/metrics');
        expect(res.status).toBe(200);
        scrapes.push({ accepted: sampleValue(res.text, ACCEPTED), ok: sampleValue(res.text, OK_REQUESTS) });
      };
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 6; i++) expect((await postReading(url)).status).toBe(200);
        sent += 6;
        await scrape();
        await scrape();
      }
      // /v1/capacity on either worker counts both workers' readings too.
      const capacity = JSON.parse((await send(url, 'GET', '/v1/capacity', undefined, true)).text) as {
        hubs: { ingress: { lastMinute: { eventsPerSecond: number; seconds: number } } }[];
      };
      const last = capacity.hubs[0]!.ingress.lastMinute;
      expect(last.eventsPerSecond * last.seconds).toBeGreaterThan(24 * 0.9);
      expect(last.eventsPerSecond * last.seconds).toBeLessThan(24 * 1.1);
      // A replaced worker's counters stay in the sum (scraped just before it died).
      process.kill(listeningPids(gateway)[0]!, 'SIGKILL');
      await waitFor(() => listeningPids(gateway).length === 3);
      await scrape();
      for (let i = 0; i < 6; i++) expect((await postReading(url)).status).toBe(200);
      sent += 6;
      await scrape();

      const served = new Set(
        [...gateway.stdout().matchAll(/"pid":(\d+)[^\n]*"msg":"POST \/v1\/events\/telemetry 200"/g)].map(
          (m) => m[1],
        ),
      );
      expect(served.size).toBeGreaterThanOrEqual(2);
      expect(scrapes.map((s) => s.accepted)).toEqual([6, 6, 12, 12, 18, 18, 24, 24, 24, 30]);
      expect(scrapes.map((s) => s.ok)).toEqual([6, 6, 12, 12, 18, 18, 24, 24, 24, 30]);
      expect(sent).toBe(30);
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
  }, 60_000);

  it('when SIGTERM reaches every process and the primary’s drain request reaches the workers first, then no worker takes its own signal as a second one', async () => {
    const gateway = spawnGateway(env());
    try {
      const url = await gateway.listening;
      await waitFor(() => listeningPids(gateway).length === 2);
      const workers = listeningPids(gateway);
      emulator.store.reset();
      // Long enough that the workers are still draining when their own signal arrives.
      emulator.faults.delayDispositions(4000);
      const inFlight = Array.from({ length: 6 }, () =>
        postReading(url).catch((e: Error) => ({ status: 0, text: e.message })),
      );
      await emulator.store.waitForEvents(HUB, 6, 10_000);
      gateway.child.kill('SIGTERM');
      // The worst order for the workers: the primary's request first, then their own signal.
      await waitFor(
        () =>
          (gateway.stdout().match(/"signal":"primary"[^\n]*"msg":"signal received: draining"/g) ?? [])
            .length === 2,
      );
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch (error) {
          // A worker with nothing in flight may have finished its drain already (ESRCH): it took
          // the primary's request alone, which is what the test is after.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }

      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
      expect(await gateway.exited).toBe(0);
      expect(gateway.stdout()).not.toContain('second signal');
    } finally {
      emulator.faults.delayDispositions(0);
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    }
  }, 60_000);

  it('when Ctrl-C reaches the whole process group with requests in flight, then every request is answered and it exits 0 after one drain', async () => {
    const gateway = spawnGateway(env(), { detached: true });
    try {
      const url = await gateway.listening;
      await waitFor(() => listeningPids(gateway).length === 2);
      emulator.store.reset();
      emulator.faults.delayDispositions(1500);
      const inFlight = Array.from({ length: 10 }, () =>
        postReading(url).catch((e: Error) => ({ status: 0, text: e.message })),
      );
      // Every reading is at the hub, waiting for its acknowledgement: all ten are in flight.
      await emulator.store.waitForEvents(HUB, 10, 10_000);
      process.kill(-gateway.child.pid!, 'SIGINT');

      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect(await gateway.exited).toBe(0);
      const out = gateway.stdout();
      expect(out).not.toContain('second signal');
      expect(out).toMatch(/"failed":false[^\n]*"msg":"cluster stopped"/);
      expect(out.match(/"msg":"gateway stopped"/g)).toHaveLength(2);
    } finally {
      emulator.faults.delayDispositions(0);
      if (gateway.child.exitCode === null) process.kill(-gateway.child.pid!, 'SIGKILL');
    }
  }, 60_000);
});
