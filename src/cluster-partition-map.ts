/**
 * One partition map per replica with `WORKERS` > 1. Every worker still reads the hub's partition
 * ids on its own timer (the read is its reachability probe too), but routes only with the map the
 * primary agreed: each read goes to the primary, which keeps the map with the most partitions seen
 * (a hub's partitions can be added, never removed) and, when a read brings a larger one, pushes it
 * to every worker at once. So after a partition is added, the workers of a replica switch together
 * (within an IPC round trip) instead of up to PARTITION_REFRESH_MS apart.
 *
 * Across replicas nothing is shared: each replica switches at its own next read, so for up to
 * PARTITION_REFRESH_MS one sensor can go to its old partition from one replica and to its new one
 * from another (README, "Scaling out").
 */
import type { Worker } from 'node:cluster';
import type { PartitionMap } from './batching/partition-map';

const READ = 'gateway:partition-read';
const AGREED = 'gateway:partition-agreed';
const PUSH = 'gateway:partition-map';

/** How long a worker waits for the primary's answer before routing with its own read. */
const PRIMARY_ANSWER_MS = 2000;

/** The map to keep given the current one and a fresh read; pure. */
export function agreedPartitionIds(
  current: readonly string[] | undefined,
  read: readonly string[],
): readonly string[] {
  return current === undefined || read.length > current.length ? read : current;
}

interface IdsMessage {
  readonly type: string;
  readonly id?: number;
  readonly ids: readonly string[];
}

function idsMessage(message: unknown, type: string): IdsMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Partial<IdsMessage>;
  return m.type === type && Array.isArray(m.ids) && m.ids.every((id) => typeof id === 'string')
    ? (m as IdsMessage)
    : undefined;
}

/** The primary's side: answers each worker's read with the agreed map, pushes a larger one to all. */
export function createPartitionMapPrimary(liveWorkers: () => Iterable<Worker>): {
  onMessage(worker: Worker, message: unknown): void;
} {
  let current: readonly string[] | undefined;
  return {
    onMessage(worker, message) {
      const read = idsMessage(message, READ);
      if (read === undefined) return;
      const next = agreedPartitionIds(current, read.ids);
      const changed = next !== current;
      current = next;
      if (worker.isConnected()) worker.send({ type: AGREED, id: read.id, ids: current });
      if (!changed) return;
      for (const other of liveWorkers())
        if (other !== worker && other.isConnected()) other.send({ type: PUSH, ids: current });
    },
  };
}

/** A worker's side, for `BatcherOptions.partitionMap`. */
export function clusterPartitionMap(): PartitionMap {
  const pending = new Map<number, (ids: readonly string[]) => void>();
  const listeners = new Set<(ids: readonly string[]) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    const agreed = idsMessage(message, AGREED);
    if (agreed?.id !== undefined) {
      pending.get(agreed.id)?.(agreed.ids);
      pending.delete(agreed.id);
      return;
    }
    const pushed = idsMessage(message, PUSH);
    if (pushed !== undefined) for (const apply of listeners) apply(pushed.ids);
  });
  return {
    agree(read) {
      if (process.send === undefined || !process.connected) return Promise.resolve(read);
      const id = nextId++;
      return new Promise((resolve) => {
        // A primary that does not answer leaves the worker on its own read, as without a cluster.
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(read);
        }, PRIMARY_ANSWER_MS);
        timer.unref();
        pending.set(id, (ids) => {
          clearTimeout(timer);
          resolve(ids);
        });
        process.send?.({ type: READ, id, ids: read });
      });
    },
    subscribe(apply) {
      listeners.add(apply);
      return () => listeners.delete(apply);
    },
  };
}
