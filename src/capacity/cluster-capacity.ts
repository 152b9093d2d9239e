/**
 * `/v1/capacity` with `WORKERS` > 1: the worker a request reaches asks the primary, the primary
 * asks every live worker for its meter's snapshot and sends back all it got within a bound, and
 * the asking worker merges them (ingress-meter.ts `mergeSnapshots`) into the replica's figures.
 * A worker that does not answer in time is left out of that one report (its share is missing,
 * never guessed). The messages are cluster-query.ts's.
 */
import type { Worker } from 'node:cluster';
import { createQueryPrimary, createQueryWorker } from '../cluster-query';
import { mergeSnapshots, type MeterSnapshot } from './ingress-meter';
import type { SnapshotSource } from './capacity-route';

const TOPIC = 'capacity';

/** The primary's side: gathers every live worker's snapshot for the worker that asked. */
export function createCapacityPrimary(liveWorkers: () => Iterable<Worker>): {
  onMessage(worker: Worker, message: unknown): void;
} {
  return createQueryPrimary<MeterSnapshot, MeterSnapshot[]>({
    topic: TOPIC,
    answer: async (ask) => {
      const all = await Promise.all([...liveWorkers()].map(ask));
      return all.filter((s): s is MeterSnapshot => s !== undefined);
    },
  });
}

/** A worker's side: answers the primary with `local()`, and asks it for the replica's snapshot. */
export function clusterCapacitySource(local: () => MeterSnapshot): SnapshotSource {
  const query = createQueryWorker<MeterSnapshot, MeterSnapshot[]>({ topic: TOPIC, part: local });
  return async () => {
    if (!query.connected) return local();
    const snapshots = await query.ask();
    return mergeSnapshots(snapshots.length === 0 ? [local()] : snapshots);
  };
}
