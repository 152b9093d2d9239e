/**
 * `npm run capacity` with two replicas: it asks each for GET /v1/capacity and adds them up, per
 * hub and per event type, and says so; a replica it cannot ask fails the run naming it.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { DEV_API_KEY } from '../../src/auth/dev-key';
import { DEV_AUTH, REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

let emulator: Emulator;
let a: TestGateway;
let b: TestGateway;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  [a, b] = await Promise.all([startTestGateway({ emulator }), startTestGateway({ emulator })]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await emulator.close();
});

/** Runs the tool as its own process (asynchronously: the gateways it asks live in this one). */
function runTool(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(REPO_ROOT, 'src/tools/capacity.ts'), ...args],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', GATEWAY_API_KEY: DEV_API_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done) => child.on('close', (status) => done({ status, stdout, stderr })));
}

async function lastMinuteEvents(t: TestGateway): Promise<number> {
  const res = await t.request.get('/v1/capacity').set(DEV_AUTH);
  return (res.body as { hubs: { ingress: { lastMinute: { eventsPerSecond: number } } }[] }).hubs[0]!.ingress
    .lastMinute.eventsPerSecond;
}

describe('npm run capacity', () => {
  it('when given two replicas, then it reports their sum per hub and event type', async () => {
    const send = (t: TestGateway, n: number) =>
      t.request
        .post('/v1/events/telemetry')
        .set(DEV_AUTH)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(Array.from({ length: n }, () => reading(uniqueSensorId('tool')))));
    expect((await send(a, 300)).status).toBe(200);
    expect((await send(b, 700)).status).toBe(200);
    const before = (await lastMinuteEvents(a)) + (await lastMinuteEvents(b));

    const run = await runTool(['--url', a.gateway.url, '--url', b.gateway.url, '--json', '--consumers', '3']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const fleet = JSON.parse(run.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const after = (await lastMinuteEvents(a)) + (await lastMinuteEvents(b));
    expect(fleet).toMatchObject({ scope: 'fleet', replicas: 2, assumptions: { consumers: 3 } });
    const hub = fleet.hubs[0];
    // Rates fall as each window grows, so the sum lies between the sums taken before and after.
    expect(hub.ingress.lastMinute.eventsPerSecond).toBeLessThanOrEqual(before * 1.01);
    expect(hub.ingress.lastMinute.eventsPerSecond).toBeGreaterThanOrEqual(after * 0.99);
    expect(hub.eventTypes[0]).toMatchObject({
      type: 'telemetry',
      ingress: { lastMinute: hub.ingress.lastMinute },
    });
    expect(hub.partitions).toMatchObject({ actual: 4, advised: 3 });
    expect(hub.recommendation).toContain('these 2 replica(s)');

    const text = await runTool(['--url', a.gateway.url, '--url', b.gateway.url]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('hub telemetry');
    expect(text.stdout).toContain('2 replica(s)');
  }, 30_000);

  it('when a replica cannot be asked, then it fails naming the URL', async () => {
    const run = await runTool(['--url', 'http://127.0.0.1:1']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^capacity: http:\/\/127\.0\.0\.1:1: /);
  });
});
