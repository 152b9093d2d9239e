/**
 * Partitions added at run time (as Premium and Dedicated allow), through the real server, the
 * real SDK and the emulator. Devices keep sending sequenced readings for many sensors while the
 * hub grows 4 → 8 → 16 partitions, and the old partitions answer slowly, so readings of moving
 * keys are still queued and in flight on their old partitions at each change. Then what landed
 * is checked: every accepted reading once, per-sensor order intact (within a partition by
 * sequence number, across partitions by the hub's enqueue time), and each sensor on the
 * partitions the emulator's own key hash gives for 4, 8 then 16 partitions, never back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type Emulator } from '../../emulator';
import { partitionIndexOfKey } from '../../emulator/store/key-hash';
import type { StoredEvent } from '../../emulator/types';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

const HUB = 'telemetry';
const COUNTS = [4, 8, 16] as const;
/** Old partitions hold each disposition this long, so their queues are full when keys move. */
const SLOW_MS = 800;
/** Enqueue times are wall-clock milliseconds; the disposition delay is a timer. */
const CLOCK_SLACK_MS = 10;

let emulator: Emulator;
let gw: TestGateway;
/** 503 GW_ERR_BUFFER_FULL answers (a partition, or a moving key's old one, not keeping up). */
const refusals = { count: 0 };

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, hubs: [{ name: HUB, partitionCount: 4 }] });
  gw = await startTestGateway({
    emulator,
    env: {
      PARTITION_REFRESH_MS: '100',
      REQUEST_DEADLINE_MS: '5000',
      LOG_LEVEL: 'info',
      RATE_LIMIT_EVENTS_PER_MINUTE: '0',
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await emulator?.close();
});

interface Sent {
  readonly messageId: string;
  /** The partition the gateway's answer named. */
  readonly partitionId: string;
}

/**
 * One device: posts two readings at a time; with respond-async it sends the next request as soon
 * as the 202 says the previous one is buffered (so several are queued at once), otherwise after
 * the 200 (acknowledged by the hub).
 */
async function device(sensorId: string, async: boolean, running: () => boolean): Promise<Sent[]> {
  const sent: Sent[] = [];
  let seq = 0;
  while (running()) {
    const ids = [`${sensorId}-${seq}`, `${sensorId}-${seq + 1}`];
    const body = JSON.stringify(
      ids.map((id, i) => reading(sensorId, { message_id: id, tags: { seq: String(seq + i) } })),
    );
    const response = await fetch(`${gw.gateway.url}/v1/events/telemetry`, {
      method: 'POST',
      headers: {
        ...DEV_AUTH,
        'Content-Type': 'application/json',
        ...(async ? { Prefer: 'respond-async' } : {}),
      },
      body,
    });
    const text = await response.text();
    if (response.status === (async ? 202 : 200)) {
      const receipt = JSON.parse(text) as { events: { messageId: string; partitionId: string }[] };
      for (const e of receipt.events) sent.push({ messageId: e.messageId, partitionId: e.partitionId });
      seq += 2;
      await sleep(async ? 5 : 1);
    } else if (
      response.status === 503 &&
      (JSON.parse(text) as { code?: string }).code === 'GW_ERR_BUFFER_FULL'
    ) {
      // Nothing of the request was buffered: retry the same readings shortly, as devices do.
      refusals.count++;
      await sleep(50 + Math.random() * 100);
    } else {
      throw new Error(`${sensorId}: ${response.status} ${text}`);
    }
  }
  return sent;
}

function slowPartitions(from: number, to: number): void {
  for (let p = from; p < to; p++) emulator.faults.delayPartitionDispositions(String(p), SLOW_MS, HUB);
}

describe('partitions added at run time', () => {
  it('when the hub grows 4 → 8 → 16 partitions under load, then every reading lands once, in order per sensor, on the partitions the new counts place it', async () => {
    const sensors = Array.from({ length: 32 }, () => uniqueSensorId('grow'));
    slowPartitions(0, 4);
    let running = true;
    const devices = sensors.map((sensor, i) => device(sensor, i % 4 !== 0, () => running));
    const failures: unknown[] = [];
    const all = Promise.all(devices).catch((error: unknown) => {
      failures.push(error);
      running = false;
      return [] as Sent[][];
    });

    await sleep(1000);
    expect(emulator.faults.addPartitions(4, HUB)).toEqual(['4', '5', '6', '7']);
    slowPartitions(4, 8);
    await sleep(2000);
    expect(emulator.faults.addPartitions(8, HUB)).toHaveLength(8);
    await sleep(2000);
    running = false;
    const sentPerSensor = await all;
    expect(failures).toEqual([]);

    // Everything accepted reaches the hub (the async ones were only buffered when answered).
    const deadline = performance.now() + 10_000;
    while (gw.gateway.batcher.stats.bufferedEvents > 0 && performance.now() < deadline) await sleep(50);
    expect(gw.gateway.batcher.stats.bufferedEvents).toBe(0);
    emulator.faults.clearPartitionFaults();

    const byId = new Map<string, StoredEvent[]>();
    for (const event of emulator.store.allEvents(HUB)) {
      const id = String(event.messageId);
      const list = byId.get(id);
      if (list === undefined) byId.set(id, [event]);
      else list.push(event);
    }

    let accepted = 0;
    let missing = 0;
    let duplicated = 0;
    let misreported = 0;
    let outOfOrder = 0;
    let misplaced = 0;
    let movedSensors = 0;
    let moves = 0;
    let early = 0;
    let shortestMoveGap = Number.POSITIVE_INFINITY;
    for (let s = 0; s < sensors.length; s++) {
      const sensor = sensors[s]!;
      const sent = sentPerSensor[s] ?? [];
      accepted += sent.length;
      const placements = COUNTS.map((count) => String(partitionIndexOfKey(sensor, count)));
      let stage = 0;
      let previous: StoredEvent | undefined;
      const partitionsSeen = new Set<string>();
      for (const { messageId, partitionId } of sent) {
        const landed = byId.get(messageId);
        if (landed === undefined) {
          missing++;
          continue;
        }
        if (landed.length > 1) duplicated++;
        const event = landed[0]!;
        partitionsSeen.add(event.partitionId);
        if (event.partitionId !== partitionId) misreported++;
        // Placement: 4's partition, then 8's, then 16's; never back to an older count's.
        while (stage < placements.length && placements[stage] !== event.partitionId) stage++;
        if (stage === placements.length) {
          misplaced++;
          stage = 0;
        }
        if (previous !== undefined && previous.partitionId === event.partitionId) {
          if (event.sequenceNumber <= previous.sequenceNumber) outOfOrder++;
        } else if (previous !== undefined) {
          // The sensor moved. Its old partition acknowledges SLOW_MS after storing, and the move
          // may only be sent after that acknowledgement: a shorter gap means it did not wait.
          const gap = event.enqueuedTime.getTime() - previous.enqueuedTime.getTime();
          moves++;
          shortestMoveGap = Math.min(shortestMoveGap, gap);
          if (gap < 0) outOfOrder++;
          if (gap < SLOW_MS - CLOCK_SLACK_MS) early++;
        }
        previous = event;
      }
      if (partitionsSeen.size > 1) movedSensors++;
      // The last readings were sent well after the last change: on 16's placement.
      const last = sent.at(-1);
      if (last !== undefined && byId.get(last.messageId)?.[0]?.partitionId !== placements[2]) misplaced++;
    }

    const handovers = gw.logs.lines.filter(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('partition handover finished'),
    );
    const held = handovers.reduce((sum, l) => sum + Number(l.heldReadings), 0);
    process.stdout.write(
      `partition growth: ${accepted} readings accepted from ${sensors.length} sensors, ${movedSensors} sensors moved, ` +
        `${handovers.length} handovers holding ${held} readings; missing ${missing}, duplicated ${duplicated}, ` +
        `misreported ${misreported}, out of order ${outOfOrder}, misplaced ${misplaced}; ${moves} moves, ` +
        `${early} sent before the old partition's acknowledgement, shortest gap ${shortestMoveGap} ms ` +
        `(acknowledgements ${SLOW_MS} ms after storing); ${refusals.count} requests refused 503 and retried\n`,
    );
    expect({ missing, duplicated, misreported, outOfOrder, misplaced, early }).toEqual({
      missing: 0,
      duplicated: 0,
      misreported: 0,
      outOfOrder: 0,
      misplaced: 0,
      early: 0,
    });
    // The run exercised what it claims: keys moved while their old partitions held readings.
    expect(accepted).toBeGreaterThan(300);
    expect(moves).toBeGreaterThanOrEqual(8);
    expect(held).toBeGreaterThan(0);
    // The operator sees the same in /metrics.
    const metrics = await gw.gateway.metrics.render();
    const heldMetric = [
      ...metrics.matchAll(/^gateway_partition_handover_held_events_total\{[^}]*\} (\d+)$/gm),
    ];
    expect(heldMetric.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(held);
    expect(metrics).toMatch(
      new RegExp(`^gateway_partition_handover_seconds_count ${handovers.length}$`, 'm'),
    );
    expect(
      gw.logs.lines
        .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('event hub partition count changed'))
        .map((l) => [l.previousPartitionCount, l.partitionCount]),
    ).toEqual([
      [4, 8],
      [8, 16],
    ]);
  }, 30_000);
});
