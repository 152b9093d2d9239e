/**
 * The fault suite: the real gateway sends to the emulator through a TCP fault proxy while a fleet
 * of devices (one reading at a time, retrying 503s with the same message id) keeps sending and a
 * sampler polls /readyz. One run goes through a connection reset, a blackhole that is lifted,
 * added latency, and one partition stalled in the emulator; then it checks what landed in the hub
 * against what the devices were told, prints one line of figures and asserts their bounds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type Emulator } from '../../emulator';
import { partitionIndexOfKey } from '../../emulator/store/key-hash';
import {
  DeviceFleet,
  sampleReadiness,
  type Device,
  type Outcome,
  type ReadySample,
} from '../support/device-fleet';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startTestGateway, type TestGateway } from '../support/harness';
import { uniqueSensorId } from '../support/readings';

const HUB = 'telemetry';
const PARTITIONS = 4;
/** Nothing served: no device got a 200 in this window before a readiness sample. */
const SERVED_WINDOW_MS = 500;

let emulator: Emulator;
let proxy: FaultProxy;
let gw: TestGateway;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  proxy = await startFaultProxy({ host: '127.0.0.1', port: emulator.port });
  gw = await startTestGateway({
    emulator,
    env: {
      EVENTHUB_CONNECTION_STRING: emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`),
      REQUEST_DEADLINE_MS: '2000',
      LOG_LEVEL: 'warn',
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await proxy?.close();
  await emulator?.close();
});

function devicesPerPartition(n: number): Device[] {
  const devices: Device[] = [];
  const count = new Array<number>(PARTITIONS).fill(0);
  while (devices.length < n * PARTITIONS) {
    const sensorId = uniqueSensorId('fault');
    const partition = partitionIndexOfKey(sensorId, PARTITIONS);
    if (count[partition]! >= n) continue;
    count[partition]!++;
    devices.push({ sensorId, partitionId: String(partition) });
  }
  return devices;
}

/** Longest time, over partitions, from `from` until a request sent after it was acknowledged. */
function recoveryMs(outcomes: readonly Outcome[], from: number): number {
  let worst = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    let first = Number.POSITIVE_INFINITY;
    for (const o of outcomes)
      if (o.device.partitionId === String(p) && o.status === 200 && o.startedAt >= from && o.endedAt < first)
        first = o.endedAt;
    worst = Math.max(worst, first - from);
  }
  return worst;
}

/** Milliseconds within [from, to) during which /readyz said 200 while no device got a 200. */
function readyWhileNothingServedMs(
  samples: readonly ReadySample[],
  outcomes: readonly Outcome[],
  from: number,
  to: number,
): number {
  const served = outcomes.filter((o) => o.status === 200).map((o) => o.endedAt);
  served.sort((a, b) => a - b);
  let lied = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const sample = samples[i]!;
    if (sample.at < from || sample.at >= to || sample.status !== 200) continue;
    const anyServed = served.some((t) => t <= sample.at && t > sample.at - SERVED_WINDOW_MS);
    if (!anyServed) lied += samples[i + 1]!.at - sample.at;
  }
  return lied;
}

describe('fault suite', () => {
  it('when the network and one partition misbehave, then every partition recovers in bounds, healthy partitions keep serving, /readyz tells the truth, and nothing acknowledged is lost or reordered', async () => {
    const devices = devicesPerPartition(3);
    const fleet = new DeviceFleet(gw.gateway.url, devices, { pauseMs: 20, retryMs: 100 });
    const readiness = sampleReadiness(gw.gateway.url, 100);
    fleet.start();
    await sleep(1000);

    // 1. Connection reset: every connection between gateway and hub is cut with an RST.
    const resetAt = performance.now();
    proxy.reset();
    await sleep(3000);

    // 2. Blackhole: the connections go silent (never closed) for 4 s, then the network is back.
    const blackholeAt = performance.now();
    proxy.blackhole();
    await sleep(4000);
    const liftedAt = performance.now();
    proxy.restore();
    await sleep(4000);

    // 3. Latency: every chunk 150 ms late for 2 s; the gateway must keep serving through it.
    const latencyAt = performance.now();
    proxy.latency(150);
    await sleep(2000);
    proxy.latency(0);
    const latencyEnd = performance.now();
    await sleep(1000);

    // 4. One partition stalls in the hub: it swallows publications without answering.
    const stalled = '2';
    const stallAt = performance.now();
    emulator.faults.stallPartition(stalled);
    await sleep(3000);
    const stallEnd = performance.now();
    emulator.faults.clearPartitionFaults();
    await sleep(2500);

    await fleet.stop();
    await readiness.stop();
    const end = performance.now();
    const outcomes = fleet.outcomes;

    const resetRecovery = recoveryMs(outcomes, resetAt);
    const blackholeRecovery = recoveryMs(outcomes, liftedAt);
    const healthy503s = outcomes.filter(
      (o) =>
        o.device.partitionId !== stalled &&
        o.status === 503 &&
        o.startedAt >= stallAt &&
        o.startedAt < stallEnd,
    ).length;
    const latency503s = outcomes.filter(
      (o) => o.status === 503 && o.startedAt >= latencyAt && o.startedAt < latencyEnd,
    ).length;
    const liedMs = readyWhileNothingServedMs(readiness.samples, outcomes, resetAt, end);
    const blackholeLiedMs = readyWhileNothingServedMs(
      readiness.samples,
      outcomes,
      blackholeAt,
      liftedAt + 4000,
    );

    // What landed: every acknowledged reading, once at least, on its sensor's partition, in order.
    await sleep(200);
    const stored = emulator.store.allEvents(HUB);
    const firstAt = new Map<string, { partitionId: string; sequenceNumber: number }>();
    for (const event of stored) {
      const id = String(event.messageId);
      if (!firstAt.has(id))
        firstAt.set(id, { partitionId: event.partitionId, sequenceNumber: event.sequenceNumber });
    }
    let lost = 0;
    let misplaced = 0;
    let orderViolations = 0;
    let acknowledgedTotal = 0;
    for (const device of devices) {
      const acked = fleet.acknowledged.get(device.sensorId) ?? [];
      acknowledgedTotal += acked.length;
      let previous = -1;
      for (const id of acked) {
        const landed = firstAt.get(id);
        if (landed === undefined) {
          lost++;
          continue;
        }
        if (landed.partitionId !== device.partitionId) misplaced++;
        if (landed.sequenceNumber <= previous) orderViolations++;
        previous = landed.sequenceNumber;
      }
    }

    if (process.env.FAULT_SUITE_TRACE === '1') {
      const t0 = resetAt - 1000;
      for (let b = 0; b * 500 < end - t0; b++) {
        const from = t0 + b * 500;
        const inBucket = outcomes.filter((o) => o.endedAt >= from && o.endedAt < from + 500);
        const by = (status: number): number => inBucket.filter((o) => o.status === status).length;
        const ready = readiness.samples.filter((r) => r.at >= from && r.at < from + 500).map((r) => r.status);
        process.stdout.write(
          `${((from - resetAt) / 1000).toFixed(1)}s 200=${by(200)} 503=${by(503)} err=${by(0)} other=${inBucket.length - by(200) - by(503) - by(0)} ready=${ready.join(',')} codes=${[...new Set(inBucket.map((o) => o.code).filter(Boolean))].join(',')}\n`,
        );
      }
      for (const line of gw.logs.lines)
        if (line.level === 40 || line.level === 30)
          process.stdout.write(`${JSON.stringify(line).slice(0, 400)}\n`);
      process.stdout.write(`proxy accepted ${proxy.accepted}\n`);
      const text = await gw.gateway.metrics.render();
      for (const line of text.split('\n'))
        if (/^gateway_(send_attempt|send_retries|connection_recre|partition_)/.test(line))
          process.stdout.write(`${line}\n`);
    }
    const s = (ms: number): string => (ms / 1000).toFixed(2);
    process.stdout.write(
      `FAULT SUITE: max recovery after connection reset ${s(resetRecovery)} s (<= 2); ` +
        `after blackhole lifted ${s(blackholeRecovery)} s (<= 3); ` +
        `503s to healthy partitions while partition ${stalled} stalled ${healthy503s} (0); ` +
        `/readyz 200 while nothing served ${s(liedMs)} s in all (<= 3; blackhole ${s(blackholeLiedMs)} s); ` +
        `acknowledged readings lost ${lost} of ${acknowledgedTotal} (0); order violations ${orderViolations} (0); ` +
        `misplaced ${misplaced}; 503s under 150 ms latency ${latency503s}; requests ${outcomes.length}\n`,
    );

    expect(acknowledgedTotal).toBeGreaterThan(200);
    expect(resetRecovery).toBeLessThanOrEqual(2000);
    expect(blackholeRecovery).toBeLessThanOrEqual(3000);
    expect(healthy503s).toBe(0);
    expect(liedMs).toBeLessThanOrEqual(3000);
    expect(lost).toBe(0);
    expect(orderViolations).toBe(0);
    expect(misplaced).toBe(0);
  });
});
