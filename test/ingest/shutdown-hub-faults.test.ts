/**
 * Shutdown whatever the hub is doing, with the real entry point as its own process and the hub
 * behind a TCP fault proxy: with nothing buffered, SIGTERM ends in exit 0 at once when the hub is
 * blackholed, gone or refusing the gateway (a graceful close nobody answers is not waited out);
 * with readings waiting and the hub blackholed, those requests are answered 503 and the process
 * exits 0 by SHUTDOWN_DEADLINE_MS. Each test prints the measured time from signal to exit.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { HUB } from '../support/expectations';
import { DEV_AUTH, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { spawnGateway, stopWithSigterm, type SpawnedGateway } from '../support/spawn-gateway';

/** Long enough that waiting it out would show; an exit "at once" is far below it. */
const DEADLINE_MS = 10_000;
/** "At once" on a loaded 2-core machine: the close is bounded by 250 ms to 1 s, plus scheduling. */
const AT_ONCE_MS = 2_000;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

const viaProxy = (proxy: FaultProxy, connectionString = emulator.connectionString): string =>
  connectionString.replace(`:${emulator.port};`, `:${proxy.port};`);

function start(connectionString: string, env: Record<string, string> = {}): SpawnedGateway {
  return spawnGateway({
    ...TEST_ENV,
    EVENTHUB_CONNECTION_STRING: connectionString,
    SHUTDOWN_DEADLINE_MS: String(DEADLINE_MS),
    ...env,
  });
}

function post(url: string, sensorId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return fetch(`${url}/v1/events/telemetry`, {
    method: 'POST',
    headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify(reading(sensorId)),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('shutdown with nothing buffered', () => {
  let proxy: FaultProxy;
  let gateway: SpawnedGateway | undefined;
  beforeEach(async () => {
    proxy = await startFaultProxy({ host: '127.0.0.1', port: emulator.port });
  });
  afterEach(async () => {
    if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
    await proxy.close();
  });

  it('when the hub is blackholed, then SIGTERM exits 0 at once', async () => {
    gateway = start(viaProxy(proxy));
    const url = await gateway.listening;
    const sensorId = uniqueSensorId('bh');
    expect((await post(url, sensorId)).status).toBe(200);
    proxy.blackhole();

    const { code, ms } = await stopWithSigterm(gateway, 'shutdown (hub blackholed)');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(AT_ONCE_MS);
    expect(gateway.stdout()).toContain('gateway stopped');
  }, 30_000);

  it('when the hub is gone (connections cut, nothing listens), then SIGTERM exits 0 at once', async () => {
    gateway = start(viaProxy(proxy));
    const url = await gateway.listening;
    expect((await post(url, uniqueSensorId('gone'))).status).toBe(200);
    await proxy.close();
    // A device's reading finds the hub gone (refused connections) and is answered 503.
    const refused = await post(url, uniqueSensorId('gone'));
    expect(refused.status).toBe(503);

    const { code, ms } = await stopWithSigterm(gateway, 'shutdown (hub gone)');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  }, 30_000);

  it('when the hub refuses the gateway (wrong key), then SIGTERM exits 0 at once', async () => {
    const wrongKey = emulator.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=d3Jvbmc=');
    gateway = start(viaProxy(proxy, wrongKey));
    const url = await gateway.listening;
    await waitUntil(async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 503 && ((await res.json()) as { reason?: string }).reason === 'hub-refused';
    }, 5000);

    const { code, ms } = await stopWithSigterm(gateway, 'shutdown (hub refusing)');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  }, 30_000);
});

describe('shutdown with readings buffered', () => {
  it('when the hub is blackholed, then the waiting requests get 503 and the process exits 0 by the deadline', async () => {
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: emulator.port });
    const deadlineMs = 4000;
    // Requests would wait far longer than the shutdown: only the shutdown can answer them.
    const gateway = start(viaProxy(proxy), {
      SHUTDOWN_DEADLINE_MS: String(deadlineMs),
      REQUEST_DEADLINE_MS: '30000',
    });
    try {
      const url = await gateway.listening;
      expect((await post(url, uniqueSensorId('warm'))).status).toBe(200);
      proxy.blackhole();
      const sensors = [0, 1, 2, 3, 4].map(() => uniqueSensorId('held'));
      const answers = Promise.all(sensors.map((s) => post(url, s)));
      // The readings are in the gateway's buffer, waiting for a hub that does not answer.
      await new Promise((r) => setTimeout(r, 500));

      const exit = stopWithSigterm(gateway, 'shutdown (readings buffered, hub blackholed)');
      const statuses = (await answers).map((a) => [a.status, a.body.code]);
      const { code, ms } = await exit;
      expect(statuses).toEqual(sensors.map(() => [503, 'GW_ERR_SHUTTING_DOWN']));
      expect(code).toBe(0);
      // By the deadline (the forced exit at the deadline would be code 1), with room for the
      // process start-up of the measurement itself.
      expect(ms).toBeLessThan(deadlineMs + 500);
      const stored = new Set(
        emulator.store.allEvents(HUB).map((e) => String(e.applicationProperties.partitionKey)),
      );
      expect(sensors.filter((s) => stored.has(s))).toEqual([]);
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      await proxy.close();
    }
  }, 40_000);
});
