/**
 * `/v1/capacity` with `WORKERS` > 1: the worker a request reaches asks the primary, the primary
 * asks every live worker for its meter's snapshot and sends back all it got within a bound, and
 * the asking worker merges them (ingress-meter.ts `mergeSnapshots`) into the replica's figures.
 * A worker that does not answer in time is left out of that one report (its share is missing,
 * never guessed).
 */
import type { Worker } from 'node:cluster';
import { mergeSnapshots, type MeterSnapshot } from './ingress-meter';
import type { SnapshotSource } from './capacity-route';

const REQUEST = 'gateway:capacity-request';
const ANSWER = 'gateway:capacity-answer';
const SNAPSHOT_REQUEST = 'gateway:capacity-snapshot-request';
const SNAPSHOT = 'gateway:capacity-snapshot';

const WORKER_ANSWER_MS = 2000;
const PRIMARY_ANSWER_MS = 5000;

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly snapshot?: MeterSnapshot;
  readonly snapshots?: MeterSnapshot[];
}

function messageOf(message: unknown, type: string): (Message & { id: number }) | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Message;
  return m.type === type && typeof m.id === 'number' ? (m as Message & { id: number }) : undefined;
}

/** The primary's side: gathers every live worker's snapshot for the worker that asked. */
export function createCapacityPrimary(liveWorkers: () => Iterable<Worker>): {
  onMessage(worker: Worker, message: unknown): void;
} {
  const waiting = new Map<number, (snapshot: MeterSnapshot | undefined) => void>();
  let nextId = 0;
  const snapshotOf = (worker: Worker): Promise<MeterSnapshot | undefined> => {
    if (!worker.isConnected()) return Promise.resolve(undefined);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, WORKER_ANSWER_MS);
      timer.unref();
      waiting.set(id, (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      });
      worker.send({ type: SNAPSHOT_REQUEST, id });
    });
  };
  return {
    onMessage(worker, message) {
      const snapshot = messageOf(message, SNAPSHOT);
      if (snapshot !== undefined) {
        waiting.get(snapshot.id)?.(snapshot.snapshot);
        waiting.delete(snapshot.id);
        return;
      }
      const request = messageOf(message, REQUEST);
      if (request === undefined) return;
      void Promise.all([...liveWorkers()].map(snapshotOf)).then((all) => {
        const snapshots = all.filter((s): s is MeterSnapshot => s !== undefined);
        if (worker.isConnected()) worker.send({ type: ANSWER, id: request.id, snapshots });
      });
    },
  };
}

/** A worker's side: answers the primary with `local()`, and asks it for the replica's snapshot. */
export function clusterCapacitySource(local: () => MeterSnapshot): SnapshotSource {
  const pending = new Map<number, (snapshots: MeterSnapshot[]) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    const request = messageOf(message, SNAPSHOT_REQUEST);
    if (request !== undefined) {
      process.send?.({ type: SNAPSHOT, id: request.id, snapshot: local() });
      return;
    }
    const answer = messageOf(message, ANSWER);
    if (answer !== undefined) {
      pending.get(answer.id)?.(answer.snapshots ?? []);
      pending.delete(answer.id);
    }
  });
  return () => {
    if (process.send === undefined || !process.connected) return Promise.resolve(local());
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the cluster primary did not answer the capacity request'));
      }, PRIMARY_ANSWER_MS);
      timer.unref();
      pending.set(id, (snapshots) => {
        clearTimeout(timer);
        resolve(mergeSnapshots(snapshots.length === 0 ? [local()] : snapshots));
      });
      process.send?.({ type: REQUEST, id });
    });
  };
}
