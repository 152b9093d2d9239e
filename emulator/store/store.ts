/**
 * The emulator's event store: one `PartitionLog` per hub partition, the record of accepted
 * publications, waiters for tests, and `ingest` — the single path by which AMQP transfers and REST
 * requests become stored events (route, append, count).
 */
import { encodeMessage } from '../amqp/codec';
import { findHub, growPartitions, type EmulatorConfig, type ResolvedHub } from '../config';
import { entityNotFound } from '../errors';
import type { IngestTarget, InnerMessage, StoredEvent, TransferRecord } from '../types';
import { PartitionLog } from './partition-log';
import { route } from './routing';

export interface EmulatorStore {
  events(hub: string, partitionId: string): readonly StoredEvent[];
  allEvents(hub: string): readonly StoredEvent[];
  /** Drops every stored event and transfer record. Sequence numbers and offsets keep counting. */
  reset(): void;
  transfers(hub?: string): readonly TransferRecord[];
  /** Resolves with the hub's events once at least `count` are stored; rejects after `timeoutMs`. */
  waitForEvents(hub: string, count: number, timeoutMs: number): Promise<StoredEvent[]>;
  /** Routes and appends, exactly as an AMQP send does. Throws `EmulatorError` on a bad target. */
  ingest(target: IngestTarget, messages: readonly InnerMessage[], options?: IngestOptions): StoredEvent[];
  /** Adds `count` partitions to the hub at run time (as Premium allows); returns the new ids. */
  addPartitions(hub: string, count: number): string[];
}

export interface IngestOptions {
  /** Size of the publication on the wire, for the transfer record; default the sum of the messages. */
  readonly bytes?: number;
}

export interface StoreInternals extends EmulatorStore {
  hub(name: string): ResolvedHub | undefined;
  log(hub: string, partitionId: string): PartitionLog | undefined;
  /** Rejects pending waiters; used on close. */
  close(): void;
}

/** Transfer records kept for tests; older ones are dropped so long runs stay bounded. */
const MAX_TRANSFER_RECORDS = 10_000;

interface Waiter {
  readonly hub: string;
  readonly count: number;
  readonly resolve: (events: StoredEvent[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface StoreOptions {
  readonly now?: () => number;
  readonly onStored?: (record: TransferRecord) => void;
}

export function createStore(config: EmulatorConfig, options: StoreOptions = {}): StoreInternals {
  const now = options.now ?? Date.now;
  const logs = new Map<string, PartitionLog[]>();
  const roundRobin = new Map<string, number>();
  const retention = {
    maxEvents: config.retention.maxEventsPerPartition,
    maxBytes: config.retention.maxBytesPerPartition,
  };
  for (const hub of config.hubs) {
    logs.set(
      hub.name,
      hub.partitionIds.map((id) => new PartitionLog(hub.name, id, retention)),
    );
    roundRobin.set(hub.name, 0);
  }
  let transferRecords: TransferRecord[] = [];
  const waiters = new Set<Waiter>();

  const hubLogs = (name: string): PartitionLog[] | undefined => {
    const hub = findHub(config, name);
    return hub ? logs.get(hub.name) : undefined;
  };
  const allEvents = (name: string): StoredEvent[] => (hubLogs(name) ?? []).flatMap((log) => log.snapshot());
  const hubSize = (name: string): number => (hubLogs(name) ?? []).reduce((sum, log) => sum + log.size, 0);

  const settleWaiters = (hubName: string): void => {
    for (const waiter of [...waiters]) {
      if (waiter.hub !== hubName || hubSize(hubName) < waiter.count) continue;
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      waiter.resolve(allEvents(hubName));
    }
  };

  return {
    hub: (name) => findHub(config, name),
    log: (name, partitionId) => hubLogs(name)?.find((log) => log.partitionId === partitionId),
    events: (name, partitionId) =>
      hubLogs(name)
        ?.find((log) => log.partitionId === partitionId)
        ?.snapshot() ?? [],
    allEvents,
    transfers: (name) =>
      name === undefined
        ? [...transferRecords]
        : transferRecords.filter((r) => r.hub.toLowerCase() === name.toLowerCase()),
    reset() {
      for (const list of logs.values()) for (const log of list) log.clear();
      transferRecords = [];
    },
    waitForEvents(name, count, timeoutMs) {
      const hub = findHub(config, name);
      if (!hub) return Promise.reject(entityNotFound(name));
      if (hubSize(hub.name) >= count) return Promise.resolve(allEvents(hub.name));
      return new Promise<StoredEvent[]>((resolve, reject) => {
        const waiter: Waiter = {
          hub: hub.name,
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new Error(
                `waitForEvents: ${hubSize(hub.name)} of ${count} events in '${hub.name}' after ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    ingest(target, messages, ingestOptions = {}) {
      const hub = findHub(config, target.hub);
      if (!hub) throw entityNotFound(target.hub);
      const chosen = route(hub, target, () => {
        const next = roundRobin.get(hub.name) ?? 0;
        roundRobin.set(hub.name, next + 1);
        return next;
      });
      const log = logs.get(hub.name)?.[Number(chosen.partitionId)] as PartitionLog;
      const raws = messages.map((m) =>
        'raw' in m
          ? m.raw
          : encodeMessage(
              chosen.partitionKey === undefined ? m : { ...m, partitionKey: chosen.partitionKey },
            ),
      );
      const stored = log.append(
        raws.map((raw) => ({
          raw,
          ...(chosen.partitionKey === undefined ? {} : { partitionKey: chosen.partitionKey }),
          ...(chosen.publisher === undefined ? {} : { publisher: chosen.publisher }),
        })),
        now(),
      );
      const record: TransferRecord = {
        hub: hub.name,
        partitionId: chosen.partitionId,
        eventCount: stored.length,
        bytes: ingestOptions.bytes ?? raws.reduce((sum, raw) => sum + raw.length, 0),
      };
      transferRecords.push(record);
      if (transferRecords.length > MAX_TRANSFER_RECORDS * 2)
        transferRecords = transferRecords.slice(-MAX_TRANSFER_RECORDS);
      options.onStored?.(record);
      settleWaiters(hub.name);
      return stored;
    },
    addPartitions(name, count) {
      const hub = findHub(config, name);
      if (!hub) throw entityNotFound(name);
      const added = growPartitions(hub, count);
      const list = logs.get(hub.name)!;
      for (const id of added) list.push(new PartitionLog(hub.name, id, retention));
      return added;
    },
    close() {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('emulator closed'));
      }
      waiters.clear();
    },
  };
}
