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
import { createQueryPrimary, createQueryWorker } from '../cluster-query';

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What `/metrics` serves: a registry, or the cluster-wide view of one. */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

const TOPIC = 'metrics';

/** The primary's side: answers workers' scrape requests with the merged metrics of every worker. */
export function createClusterMetricsPrimary(liveWorkers: () => Iterable<Worker>): {
  onMessage(worker: Worker, message: unknown): void;
  onExit(worker: Worker): void;
} {
  const last = new Map<Worker, MetricsJson>();
  let retired: MetricsJson = [];

  const query = createQueryPrimary<MetricsJson, string>({
    topic: TOPIC,
    answer: async (ask) => {
      const workers = [...liveWorkers()];
      // A worker that does not answer in time counts with its last snapshot.
      const snapshots = await Promise.all(
        workers.map(async (worker) => {
          const metrics = await ask(worker);
          if (metrics === undefined) return last.get(worker);
          last.set(worker, metrics);
          return metrics;
        }),
      );
      // A worker that exited meanwhile is already in `retired`: counting it twice would make the
      // next scrape go down.
      const present = snapshots.filter((s, i): s is MetricsJson => s !== undefined && last.has(workers[i]!));
      return AggregatorRegistry.aggregate([...present, retired]).metrics();
    },
  });

  return {
    onMessage: (worker, message) => query.onMessage(worker, message),
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
  const query = createQueryWorker<MetricsJson, string>({
    topic: TOPIC,
    part: () => registry.getMetricsAsJSON(),
  });
  return { contentType: registry.contentType, metrics: () => query.ask() };
}
