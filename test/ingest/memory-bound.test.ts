/**
 * MAX_BUFFERED_BYTES bounds the gateway's memory, measured on the real process: the gateway runs
 * as `npm start` runs it (its own process, production settings, the start script's GC flags),
 * the emulator holds every acknowledgement for a second, and 300 devices post at once a gzip body
 * of about 8 KB that inflates to 1000 KiB: 16 readings padded to 8 KiB each with tags, spread
 * through whitespace padding (within the inflation-ratio bound, so the bodies are read, not
 * refused for their ratio). Each request's readings are 128 KiB, so the 300 offer 2.3 × the cap.
 *
 * The peak RSS (the kernel's VmHWM, reset once the gateway is idle, and VmRSS sampled every 20 ms)
 * may exceed the idle RSS by at most the cap plus 64 MiB. Idle is the RSS after start-up and two
 * warm-up requests of the same shape: code loaded and compiled, the AMQP connection and its links
 * open, so what is measured is what the flood makes the gateway hold. Requests past the budget get
 * a 503 problem+json with Retry-After without waiting for the hub; every reading answered 200 is
 * in the hub; once the hub is fast again a fresh request gets its 200 at once.
 *
 * The figures are printed for the record (`npx jest test/ingest/memory-bound`).
 */
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../../emulator';
import { newTestKey, writeKeyFile, type TestKey } from '../security/api-keys';
import { HUB } from '../support/expectations';
import { REPO_ROOT } from '../support/harness';
import { resetPeakRss, sampleRss, vmBytes } from '../support/process-memory';
import { reading, uniqueSensorId } from '../support/readings';
import { spawnGateway, startFlags, type SpawnedGateway } from '../support/spawn-gateway';

const MiB = 1024 * 1024;
const CAP = 16 * MiB;
const SLACK = 64 * MiB;
const REQUESTS = 300;
const DEVICES = 50;
const READINGS_PER_BODY = 16;
const BODY_BYTES = 1000 * 1024;
const HUB_DELAY_MS = 1000;
/** The gateway's default REQUEST_DEADLINE_MS. */
const REQUEST_DEADLINE_MS = 10_000;
/** The default MAX_INFLATION_RATIO: the bodies must stay within it to be read at all. */
const INFLATION_RATIO = 200;

/** A reading of about 8 KiB: 32 tags of 244 characters, each ending in 4 random ones. */
function largeReading(sensor: string): string {
  const tags: Record<string, string> = {};
  for (let i = 0; i < 32; i++) tags[`t${i}`] = 'x'.repeat(240) + Math.random().toString(36).slice(2, 6);
  return JSON.stringify(reading(sensor, { tags }));
}

/** Whitespace, mostly spaces with one in 2000 a tab, CR or LF, so it compresses about 130×. */
function padding(length: number): string {
  const out = Buffer.alloc(length, 0x20);
  const others = [0x09, 0x0a, 0x0d];
  for (let i = 0; i < length; i++)
    if (Math.random() < 0.0005) out[i] = others[Math.floor(Math.random() * 3)] as number;
  return out.toString('latin1');
}

interface Body {
  readonly gzip: Buffer;
  /** Bytes of the readings themselves: what waits for the hub and is charged to the cap. */
  readonly readingBytes: number;
  readonly inflated: number;
}

function paddedBody(): Body {
  const readings = Array.from({ length: READINGS_PER_BODY }, () => largeReading(uniqueSensorId('mem')));
  const readingBytes = readings.reduce((sum, r) => sum + r.length, 0);
  const pad = Math.floor((BODY_BYTES - readingBytes - READINGS_PER_BODY - 1) / READINGS_PER_BODY);
  const text = `[${readings.map((r) => r + padding(pad)).join(',')}]`;
  return { gzip: gzipSync(text), readingBytes, inflated: Buffer.byteLength(text) };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly ms: number;
}

/** One POST on its own connection, as 300 separate devices would send. */
function post(url: string, key: TestKey, body: Buffer, gzip: boolean): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/events/telemetry`,
      {
        method: 'POST',
        agent: false,
        headers: {
          Authorization: `Bearer ${key.key}`,
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Receipt {
  readonly events: readonly { readonly messageId: string; readonly partitionId: string }[];
}

/** Gateway-side response time of each request, by request id, from its access-log lines. */
function accessLogTimes(stdout: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line.includes('"responseTime"')) continue;
    const entry = JSON.parse(line) as { req?: { id?: unknown }; responseTime?: number };
    if (typeof entry.req?.id === 'string' && entry.responseTime !== undefined)
      times.set(entry.req.id, entry.responseTime);
  }
  return times;
}

/** Resolves once the gateway holds no event (every partition's buffered-bytes gauge at 0). */
async function drained(url: string): Promise<void> {
  const until = performance.now() + 15_000;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const held = [...text.matchAll(/^gateway_buffered_bytes\{[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
    if (held.length > 0 && held.every((bytes) => bytes === 0)) return;
    if (performance.now() > until) throw new Error(`still buffered after 15 s: ${held.join(', ')}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

let emulator: Emulator;
let gateway: SpawnedGateway | undefined;
beforeAll(async () => {
  // Retention well above what the test stores, so every acknowledged reading can be read back.
  emulator = await startEmulator({ port: 0, retention: { maxBytesPerPartition: 512 * MiB } });
});
afterAll(async () => {
  if (gateway !== undefined && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await emulator.close();
});

it('when 300 padded gzip requests wait on a slow hub, then RSS stays within MAX_BUFFERED_BYTES + 64 MiB of idle, the rest get 503 at once, nothing acknowledged is lost, and it serves normally afterwards', async () => {
  const bodies = Array.from({ length: 6 }, paddedBody);
  for (const body of bodies) {
    expect(body.inflated).toBeLessThanOrEqual(BODY_BYTES);
    expect(body.inflated / body.gzip.length).toBeLessThan(INFLATION_RATIO);
    expect(body.gzip.length).toBeLessThan(16 * 1024);
  }
  const readingBytes = bodies[0]!.readingBytes;
  // The flood offers more than twice what the cap admits: some of it must be refused.
  expect(REQUESTS * readingBytes).toBeGreaterThan(2 * CAP);

  const keys = Array.from({ length: DEVICES }, (_, i) => newTestKey(`mem-device-${i}`));
  emulator.faults.delayDispositions(HUB_DELAY_MS);
  gateway = spawnGateway(
    {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      API_KEYS_FILE: writeKeyFile(keys),
      EVENT_TYPES_DIR: `${REPO_ROOT}/schemas`,
      MAX_BUFFERED_BYTES: String(CAP),
    },
    { nodeFlags: startFlags() },
  );
  const url = await gateway.listening;
  const pid = gateway.child.pid!;

  // Warm-up: two of the same requests (they wait out the slow hub together).
  const warmUp = await Promise.all(bodies.slice(0, 2).map((body) => post(url, keys[0]!, body.gzip, true)));
  expect(warmUp.map((a) => a.status)).toEqual([200, 200]);
  const idle = vmBytes(pid, 'VmRSS');
  const sampler = sampleRss(pid, 20, resetPeakRss(pid));

  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      post(url, keys[i % DEVICES]!, bodies[i % bodies.length]!.gzip, true),
    ),
  );
  const floodMs = performance.now() - started;
  const { peakBytes } = sampler.stop();

  // The hub is fast again: once what was accepted has drained, a fresh request is served at once.
  emulator.faults.delayDispositions(0);
  await drained(url);
  const after = await post(
    url,
    keys[0]!,
    Buffer.from(JSON.stringify(reading(uniqueSensorId('mem-after')))),
    false,
  );

  const ok = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 503);
  const slowestRefusal = Math.max(0, ...refused.map((a) => a.ms));
  const gatewayTimes = accessLogTimes(gateway.stdout());
  const slowestRefusalInGateway = Math.max(
    0,
    ...refused.map((a) => gatewayTimes.get(String(a.headers['x-request-id'])) ?? Number.POSITIVE_INFINITY),
  );
  const growth = peakBytes - idle;
  process.stdout.write(
    `MEMORY: ${REQUESTS} gzip requests of ${(bodies[0]!.gzip.length / 1024).toFixed(1)} KiB inflating to ` +
      `${(bodies[0]!.inflated / 1024).toFixed(0)} KiB (${(readingBytes / 1024).toFixed(0)} KiB of readings), ` +
      `peak RSS +${(growth / MiB).toFixed(1)} MiB over idle ${(idle / MiB).toFixed(0)} MiB ` +
      `(cap ${CAP / MiB} + ${SLACK / MiB} MiB), ${ok.length}×200, ${refused.length}×503 ` +
      `(slowest ${slowestRefusal.toFixed(0)} ms, ${slowestRefusalInGateway} ms in the gateway) in ` +
      `${floodMs.toFixed(0)} ms, after: ${after.status} in ${after.ms.toFixed(0)} ms\n`,
  );

  expect(answers.filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.status)).toEqual([]);
  expect(ok.length).toBeGreaterThan(0);
  expect(refused.length).toBeGreaterThan(0);
  for (const answer of refused) {
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({
      status: 503,
      code: 'GW_ERR_BUFFER_FULL',
      retryable: true,
    });
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  }
  // Refused at once: inside the gateway in less than one acknowledgement of the hub takes (it did
  // not wait for the hub), and seen by the device long before the request deadline (no hanging).
  // The device's own figure also counts this machine's load on connecting and sending.
  expect(slowestRefusalInGateway).toBeLessThan(HUB_DELAY_MS);
  expect(slowestRefusal).toBeLessThan(REQUEST_DEADLINE_MS / 2);

  const stored = new Map(emulator.store.allEvents(HUB).map((e) => [e.messageId, e.partitionId]));
  const acknowledged = ok.flatMap((a) => (JSON.parse(a.body) as Receipt).events);
  expect(acknowledged).toHaveLength(ok.length * READINGS_PER_BODY);
  expect(acknowledged.filter((e) => stored.get(e.messageId) !== e.partitionId)).toEqual([]);

  expect(growth).toBeLessThanOrEqual(CAP + SLACK);

  expect(after.status).toBe(200);
  expect(after.ms).toBeLessThan(HUB_DELAY_MS);
}, 60_000);
