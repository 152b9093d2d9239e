/**
 * Partitions added at run time with WORKERS=2: the workers share one partition map through the
 * primary, so both switch to the new count together, and each hands over its own queued readings.
 * Devices send one reading at a time (the next after the 200), so each sensor's order is the
 * device's; the test checks that nothing acknowledged is lost or duplicated, that order holds in
 * the hub, and that every sensor ends on the partition the emulator's own hash gives for 8.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type Emulator } from '../../emulator';
import { partitionIndexOfKey } from '../../emulator/store/key-hash';
import type { StoredEvent } from '../../emulator/types';
import { DEV_AUTH, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { spawnGateway } from '../support/spawn-gateway';

const HUB = 'telemetry';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, hubs: [{ name: HUB, partitionCount: 4 }] });
});
afterAll(() => emulator.close());

async function device(url: string, sensorId: string, running: () => boolean): Promise<string[]> {
  const acknowledged: string[] = [];
  let seq = 0;
  while (running()) {
    const messageId = `${sensorId}-${seq}`;
    const response = await fetch(`${url}/v1/events/telemetry`, {
      method: 'POST',
      headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify(reading(sensorId, { message_id: messageId })),
    });
    await response.arrayBuffer();
    if (response.status === 200) {
      acknowledged.push(messageId);
      seq++;
    } else await sleep(50);
  }
  return acknowledged;
}

describe('partitions added at run time, WORKERS=2', () => {
  it('when the hub gains partitions, then both workers switch together, and every acknowledged reading lands once, in order, where the new count places it', async () => {
    for (let p = 0; p < 4; p++) emulator.faults.delayPartitionDispositions(String(p), 100, HUB);
    const gateway = spawnGateway({
      ...TEST_ENV,
      WORKERS: '2',
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      PARTITION_REFRESH_MS: '1000',
      RATE_LIMIT_EVENTS_PER_MINUTE: '0',
    });
    try {
      const url = await gateway.listening;
      const until = Date.now() + 20_000;
      while ((gateway.stdout().match(/"msg":"worker listening"/g) ?? []).length < 2 && Date.now() < until)
        await sleep(20);

      const sensors = Array.from({ length: 16 }, () => uniqueSensorId('cgrow'));
      let running = true;
      const devices = Promise.all(sensors.map((s) => device(url, s, () => running)));
      await sleep(1000);
      emulator.faults.addPartitions(4, HUB);
      await sleep(3000);
      running = false;
      const acknowledged = await devices;
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);

      const changes = gateway
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"msg":"event hub partition count changed: 4 → 8"'))
        .map((line) => JSON.parse(line) as { pid: number; time: number });
      // Each worker switched once; the second within an IPC round trip of the first, not at its
      // own next read up to PARTITION_REFRESH_MS later.
      expect(new Set(changes.map((c) => c.pid)).size).toBe(2);
      expect(changes).toHaveLength(2);
      expect(Math.abs(changes[0]!.time - changes[1]!.time)).toBeLessThan(500);

      const byId = new Map<string, StoredEvent[]>();
      for (const event of emulator.store.allEvents(HUB)) {
        const id = String(event.messageId);
        byId.set(id, [...(byId.get(id) ?? []), event]);
      }
      let total = 0;
      let lost = 0;
      let duplicated = 0;
      let outOfOrder = 0;
      let misplaced = 0;
      for (let s = 0; s < sensors.length; s++) {
        const sensor = sensors[s]!;
        const ids = acknowledged[s] ?? [];
        total += ids.length;
        const placements = [4, 8].map((count) => String(partitionIndexOfKey(sensor, count)));
        let stage = 0;
        let previous: StoredEvent | undefined;
        for (const id of ids) {
          const landed = byId.get(id);
          if (landed === undefined) {
            lost++;
            continue;
          }
          if (landed.length > 1) duplicated++;
          const event = landed[0]!;
          while (stage < placements.length && placements[stage] !== event.partitionId) stage++;
          if (stage === placements.length) {
            misplaced++;
            stage = 0;
          }
          if (previous !== undefined) {
            const inOrder =
              previous.partitionId === event.partitionId
                ? event.sequenceNumber > previous.sequenceNumber
                : event.enqueuedTime >= previous.enqueuedTime;
            if (!inOrder) outOfOrder++;
          }
          previous = event;
        }
        if (previous !== undefined && previous.partitionId !== placements[1]) misplaced++;
      }
      expect(total).toBeGreaterThan(100);
      expect({ lost, duplicated, outOfOrder, misplaced }).toEqual({
        lost: 0,
        duplicated: 0,
        outOfOrder: 0,
        misplaced: 0,
      });
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      emulator.faults.clearPartitionFaults();
    }
  }, 40_000);
});
