/**
 * The image's shutdown deadline fits `docker stop`'s default grace: with SHUTDOWN_DEADLINE_MS as
 * the Dockerfile sets it and a slow hub (every acknowledgement held 2 s), SIGTERM under load ends
 * in exit 0 well within 10 s, and every reading answered 200 is in the hub.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { HUB } from '../support/expectations';
import { REPO_ROOT, TEST_ENV } from '../support/harness';
import { sigtermUnderLoad } from '../support/sigterm-under-load';
import { spawnGateway } from '../support/spawn-gateway';

const DOCKER_STOP_GRACE_MS = 10_000;
const imageDeadline = /SHUTDOWN_DEADLINE_MS=(\d+)/.exec(
  readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'),
)?.[1];

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

it("when the hub is slow and SIGTERM arrives under load, then the image's deadline ends in exit 0 inside docker stop's 10 s, nothing acknowledged lost", async () => {
  expect(imageDeadline).toBeDefined();
  emulator.faults.delayDispositions(2000);
  const gateway = spawnGateway({
    ...TEST_ENV,
    EVENTHUB_CONNECTION_STRING: emulator.connectionString,
    REQUEST_DEADLINE_MS: '10000',
    SHUTDOWN_DEADLINE_MS: imageDeadline!,
  });
  try {
    const url = await gateway.listening;
    let signalledAt = 0;
    const exitedAt = gateway.exited.then((code) => ({ code, at: Date.now() }));
    const load = sigtermUnderLoad(gateway, url, {
      clients: 10,
      acknowledgedBeforeSignal: 15,
      sensorPrefix: 'grace',
    });
    // The helper signals once enough is acknowledged; the child's own kill marks the moment.
    const kill = gateway.child.kill.bind(gateway.child);
    gateway.child.kill = (signal?: NodeJS.Signals | number) => {
      signalledAt = Date.now();
      return kill(signal);
    };
    const { acknowledged } = await load;
    const { code, at } = await exitedAt;
    expect(code).toBe(0);
    expect(signalledAt).toBeGreaterThan(0);
    expect(at - signalledAt).toBeLessThan(DOCKER_STOP_GRACE_MS);
    const stored = new Set(emulator.store.allEvents(HUB).map((e) => e.messageId));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(gateway.stdout()).toContain('gateway stopped');
  } finally {
    emulator.faults.delayDispositions(0);
    if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  }
}, 40_000);
