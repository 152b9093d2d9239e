/**
 * SIGTERM under load: the gateway process (the real entry point) stops accepting, flushes, answers
 * every waiting request and exits 0; every message id it acknowledged with 200 is in the hub.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { DEV_AUTH, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { HUB } from '../support/expectations';
import { spawnGateway } from '../support/spawn-gateway';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

describe('shutdown', () => {
  it('when SIGTERM arrives under load, then the process exits 0 and nothing acknowledged is lost', async () => {
    // A held disposition keeps batches in flight at the moment of the signal.
    emulator.faults.delayDispositions(30);
    const gateway = spawnGateway({
      ...TEST_ENV,
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      LINGER_MS: '20',
      REQUEST_DEADLINE_MS: '8000',
      SHUTDOWN_DEADLINE_MS: '10000',
    });
    try {
      const url = await gateway.listening;
      const acknowledged: string[] = [];
      const outcomes = new Map<string, number>();
      let signalled = false;
      let sent = 0;
      const client = async (c: number): Promise<void> => {
        const sensor = uniqueSensorId(`drain${c}`);
        for (let n = 0; ; n++) {
          const ids = [0, 1, 2].map((k) => `${sensor}-${n}-${k}`);
          sent++;
          let status: string;
          try {
            const res = await fetch(`${url}/v1/events/telemetry`, {
              method: 'POST',
              headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
              body: JSON.stringify(ids.map((id) => reading(sensor, { message_id: id }))),
            });
            status = String(res.status);
            await res.arrayBuffer();
            if (res.status === 200) acknowledged.push(...ids);
          } catch {
            status = 'connection error';
          }
          outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
          // Keep going until the gateway is gone: after the signal, requests get 503 or a refused connection.
          if (signalled && status !== '200') return;
        }
      };
      const clients = Array.from({ length: 20 }, (_, c) => client(c));
      // Signal once the load is flowing (poll the counter; no sleeping on a guess).
      const until = Date.now() + 15000;
      while (acknowledged.length < 150 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      expect(acknowledged.length).toBeGreaterThanOrEqual(150);
      gateway.child.kill('SIGTERM');
      signalled = true;
      await Promise.all(clients);

      expect(await gateway.exited).toBe(0);
      expect(sent).toBeGreaterThan(50);
      const stored = new Set(emulator.store.allEvents(HUB).map((e) => e.messageId));
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect({ acknowledged: acknowledged.length, lost }).toEqual({
        acknowledged: acknowledged.length,
        lost: [],
      });
      expect(gateway.stdout()).toContain('gateway stopped');
      // Waiting requests were answered (200 or 503); late ones found the door closed.
      expect([...outcomes.keys()].every((s) => ['200', '503', 'connection error'].includes(s))).toBe(true);
    } finally {
      emulator.faults.delayDispositions(0);
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    }
  }, 30000);
});
