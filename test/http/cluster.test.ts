/**
 * WORKERS=2: the real entry point runs as a node:cluster; both workers serve the shared port, and
 * SIGTERM on the primary drains every worker (each answers its waiting requests) and exits 0 with
 * every acknowledged message id in the hub.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { HUB } from '../support/expectations';
import { DEV_AUTH, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { sigtermUnderLoad } from '../support/sigterm-under-load';
import { spawnGateway } from '../support/spawn-gateway';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

/** Distinct pids of the access-log lines of successful ingest requests. */
function servingPids(stdout: string): Set<number> {
  const pids = new Set<number>();
  for (const line of stdout.split('\n')) {
    if (!line.includes('"msg":"POST /v1/events/telemetry 200"')) continue;
    pids.add((JSON.parse(line) as { pid: number }).pid);
  }
  return pids;
}

describe('WORKERS', () => {
  it('when WORKERS=2 and SIGTERM arrives under load, then both workers served and nothing acknowledged is lost', async () => {
    emulator.faults.delayDispositions(30);
    const gateway = spawnGateway({
      ...TEST_ENV,
      WORKERS: '2',
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      LINGER_MS: '20',
      REQUEST_DEADLINE_MS: '8000',
      SHUTDOWN_DEADLINE_MS: '10000',
    });
    try {
      const url = await gateway.listening;
      // Both workers listen before load starts, so the round robin reaches each.
      const until = Date.now() + 20000;
      while ((gateway.stdout().match(/"msg":"worker listening"/g) ?? []).length < 2 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      const { acknowledged, outcomes } = await sigtermUnderLoad(gateway, url, {
        clients: 20,
        acknowledgedBeforeSignal: 300,
        sensorPrefix: 'cluster',
      });

      expect(await gateway.exited).toBe(0);
      const stored = new Set(emulator.store.allEvents(HUB).map((e) => e.messageId));
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect({ acknowledged: acknowledged.length, lost }).toEqual({
        acknowledged: acknowledged.length,
        lost: [],
      });
      expect([...outcomes.keys()].every((s) => ['200', '503', 'connection error'].includes(s))).toBe(true);
      const out = gateway.stdout();
      expect(servingPids(out).size).toBe(2);
      expect(out.match(/"msg":"gateway stopped"/g)).toHaveLength(2);
      expect(out).toContain('"msg":"cluster stopped"');
    } finally {
      emulator.faults.delayDispositions(0);
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    }
  }, 60000);

  it('when the embedded emulator runs in the primary and a worker dies, then it is replaced and requests still land', async () => {
    const gateway = spawnGateway({ ...TEST_ENV, WORKERS: '2', EMULATOR_PORT: '0' });
    const listeningPids = (): number[] =>
      [...gateway.stdout().matchAll(/"workerPid":(\d+)[^\n]*"msg":"worker listening"/g)].map((m) =>
        Number(m[1]),
      );
    const waitFor = async (check: () => boolean): Promise<void> => {
      const until = Date.now() + 20000;
      while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(check()).toBe(true);
    };
    const post = async (url: string): Promise<number> => {
      const res = await fetch(`${url}/v1/events/telemetry`, {
        method: 'POST',
        headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify(reading(uniqueSensorId('cluster-dev'))),
      });
      await res.arrayBuffer();
      return res.status;
    };
    try {
      const url = await gateway.listening;
      await waitFor(() => listeningPids().length === 2);
      expect(gateway.stdout()).toContain('LOCAL DEVELOPMENT MODE');
      expect(await post(url)).toBe(200);

      process.kill(listeningPids()[0] as number, 'SIGKILL');
      await waitFor(() => listeningPids().length === 3);
      expect(gateway.stdout()).toContain('"msg":"worker died: replacing it"');
      for (let i = 0; i < 4; i++) expect(await post(url)).toBe(200);

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    }
  }, 60000);
});
