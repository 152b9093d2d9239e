/**
 * Logging never blocks: the gateway as its own process with its JSON log stream on a pipe whose
 * reader goes away (`| head -1` exited: every write fails with EPIPE) or stops reading (a stuck
 * log shipper). It keeps answering, drops the lines it cannot write and counts them in
 * gateway_log_lines_dropped_total, and SIGTERM still ends it promptly with exit 0.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { DEV_AUTH, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { spawnGateway, stopWithSigterm, type SpawnedGateway } from '../support/spawn-gateway';
import { sampleValue } from './prometheus-text';

/** Prompt on a loaded 2-core machine; the bug this guards against never exited at all. */
const PROMPT_MS = 3_000;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

function start(): SpawnedGateway {
  return spawnGateway({
    ...TEST_ENV,
    EVENTHUB_CONNECTION_STRING: emulator.connectionString,
    METRICS_PORT: '0',
    SHUTDOWN_DEADLINE_MS: '10000',
  });
}

async function sendReadings(url: string, n: number): Promise<number[]> {
  const sensorId = uniqueSensorId('logs');
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/v1/events/telemetry`, {
      method: 'POST',
      headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify(reading(sensorId)),
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

async function droppedLines(opsUrl: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  expect(text).toContain('# TYPE gateway_log_lines_dropped_total counter');
  return sampleValue(text, 'gateway_log_lines_dropped_total');
}

function opsUrlOf(gateway: SpawnedGateway): string {
  const opsUrl = /"opsUrl":"(http:\/\/[^"]+)"/.exec(gateway.stdout())?.[1];
  if (opsUrl === undefined) throw new Error('no opsUrl in the listening line');
  return opsUrl;
}

it('when the log reader is gone (EPIPE), then requests are served, dropped lines are counted and SIGTERM exits 0 promptly', async () => {
  const gateway = start();
  try {
    const url = await gateway.listening;
    const opsUrl = opsUrlOf(gateway);
    // The reader exits, as `head -1` does once it has its line.
    gateway.child.stdout?.destroy();

    const statuses = await sendReadings(url, 50);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Each request logs a line; the destination learns of the broken pipe on its next write.
    let dropped = await droppedLines(opsUrl);
    for (let i = 0; i < 20 && !(dropped > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      await sendReadings(url, 5);
      dropped = await droppedLines(opsUrl);
    }
    process.stdout.write(`broken stdout: ${dropped} log lines dropped and counted\n`);
    expect(dropped).toBeGreaterThan(0);

    const { code, ms } = await stopWithSigterm(gateway, 'broken stdout (reader gone)');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(PROMPT_MS);
  } finally {
    if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  }
}, 40_000);

it('when the log reader stops reading, then requests are served and SIGTERM exits 0 promptly', async () => {
  const gateway = start();
  try {
    const url = await gateway.listening;
    // Nothing is read any more: the pipe fills and the gateway's writes wait, never its work.
    gateway.child.stdout?.pause();
    gateway.child.stdout?.removeAllListeners('data');

    // ~1 MB of access-log lines, far beyond what the pipe holds.
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => sendReadings(url, 300)))).flat();
    expect(statuses.every((s) => s === 200)).toBe(true);

    const { code, ms } = await stopWithSigterm(gateway, 'broken stdout (reader stuck)');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(PROMPT_MS);
  } finally {
    if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  }
}, 40_000);
