/**
 * One `/metrics` per replica with `WORKERS` > 1. Whichever worker a scrape reaches asks the
 * primary; the primary collects every live worker's registry as JSON and merges them with
 * prom-client's `AggregatorRegistry.aggregate` (counters and histograms summed, gauges summed
 * unless the metric names another aggregator), and the worker answers with the merged text.
 *
 * Counters must only go up, so the primary remembers each worker's last snapshot: a worker that
 * does not answer in time counts with its last snapshot, and a worker that exits leaves its last
 * counters and histograms behind in a "retired" total (its gauges leave with it). What a dead
 * worker counted after the last scrape is lost, never subtracted.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What `/metrics` serves: a registry, or the cluster-wide view of one. */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

const REQUEST = 'gateway:metrics-request';
const ANSWER = 'gateway:metrics-answer';
const SNAPSHOT_REQUEST = 'gateway:metrics-snapshot-request';
const SNAPSHOT = 'gateway:metrics-snapshot';

/** How long the primary waits for a worker's snapshot, and a worker for the merged text. */
const WORKER_ANSWER_MS = 2000;
const PRIMARY_ANSWER_MS = 5000;

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
}

function isMessage(message: unknown, type: string): message is Message & { id: number } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Message).type === type &&
    typeof (message as Message).id === 'number'
  );
}

/** The primary's side: answers workers' scrape requests with the merged metrics of every worker. */
export function createClusterMetricsPrimary(liveWorkers: () => Iterable<Worker>): {
  onMessage(worker: Worker, message: unknown): void;
  onExit(worker: Worker): void;
} {
  const last = new Map<Worker, MetricsJson>();
  let retired: MetricsJson = [];
  const waiting = new Map<number, { worker: Worker; done: (metrics: MetricsJson) => void }>();
  let nextId = 0;

  const snapshotOf = (worker: Worker): Promise<MetricsJson | undefined> => {
    if (!worker.isConnected()) return Promise.resolve(last.get(worker));
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(last.get(worker));
      }, WORKER_ANSWER_MS);
      timer.unref();
      waiting.set(id, {
        worker,
        done: (metrics) => {
          clearTimeout(timer);
          last.set(worker, metrics);
          resolve(metrics);
        },
      });
      worker.send({ type: SNAPSHOT_REQUEST, id });
    });
  };

  const merged = async (): Promise<string> => {
    const workers = [...liveWorkers()];
    const snapshots = await Promise.all(workers.map(snapshotOf));
    // A worker that exited meanwhile is already in `retired`: counting it twice would make the
    // next scrape go down.
    const present = snapshots.filter((s, i): s is MetricsJson => s !== undefined && last.has(workers[i]!));
    return AggregatorRegistry.aggregate([...present, retired]).metrics();
  };

  return {
    onMessage(worker, message) {
      if (isMessage(message, SNAPSHOT)) {
        const entry = waiting.get(message.id);
        if (entry === undefined || entry.worker !== worker) return;
        waiting.delete(message.id);
        entry.done((message as unknown as { metrics: MetricsJson }).metrics);
      } else if (isMessage(message, REQUEST)) {
        const { id } = message;
        merged().then(
          (text) => worker.isConnected() && worker.send({ type: ANSWER, id, text }),
          (error: unknown) => worker.isConnected() && worker.send({ type: ANSWER, id, error: String(error) }),
        );
      }
    },
    onExit(worker) {
      const metrics = last.get(worker);
      last.delete(worker);
      if (metrics === undefined) return;
      // Only what accumulates outlives the worker; a gauge of a dead process means nothing.
      // prom-client's typings say an enum; at run time `type` is the exposition's word.
      const kept = metrics.filter((m) => ['counter', 'histogram'].includes(m.type as unknown as string));
      retired = asJson(AggregatorRegistry.aggregate([retired, kept]));
    },
  };
}

/** An aggregated registry as JSON again, synchronously (its metrics are plain values). */
function asJson(registry: Registry): MetricsJson {
  return registry.getMetricsAsArray().map((metric) => {
    const wrapped = metric as unknown as { get(): MetricsJson[number] };
    return wrapped.get();
  });
}

/** A worker's side: answers the primary's snapshot requests and asks it for the merged view. */
export function clusterMetricsExposition(registry: Registry): MetricsExposition {
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isMessage(message, SNAPSHOT_REQUEST)) {
      const { id } = message;
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: SNAPSHOT, id, metrics }),
        () => undefined,
      );
    } else if (isMessage(message, ANSWER)) {
      const entry = pending.get(message.id);
      pending.delete(message.id);
      const { text, error } = message as unknown as { text?: string; error?: string };
      if (text !== undefined) entry?.resolve(text);
      else entry?.reject(new Error(error ?? 'no metrics'));
    }
  });
  return {
    contentType: registry.contentType,
    metrics() {
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the cluster primary did not answer the metrics request'));
        }, PRIMARY_ANSWER_MS);
        timer.unref();
        pending.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        if (process.send === undefined || !process.connected) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new Error('not a cluster worker'));
          return;
        }
        process.send({ type: REQUEST, id });
      });
    },
  };
}
