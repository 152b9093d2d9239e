/**
 * SIGTERM under load: the gateway process (the real entry point) stops accepting, flushes, answers
 * every waiting request and exits 0; every message id it acknowledged with 200 is in the hub.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { HUB } from '../support/expectations';
import { TEST_ENV } from '../support/harness';
import { sigtermUnderLoad } from '../support/sigterm-under-load';
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
      const { acknowledged, outcomes, sent } = await sigtermUnderLoad(gateway, url, {
        clients: 20,
        acknowledgedBeforeSignal: 150,
        sensorPrefix: 'drain',
      });

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
