/**
 * The gateway's Prometheus metrics: one registry per gateway (never prom-client's global one, so
 * two gateways in one test process do not share counters), and small hook functions that the
 * ingest route, the token route, the rate limiter and the batcher call.
 *
 * The hooks sit on the hot path (issue 6), so each is O(1): label children are bound once with
 * `.labels(...)` and cached in a Map, and a call is one Map lookup plus one increment. Label values
 * that come from clients (event types, reasons) are capped per metric so a client inventing types
 * cannot grow the registry without bound; past the cap they count under `other`.
 */

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The batcher's observer interface, structurally (src/batching owns the canonical one). */
export interface MetricsBatcherObserver {
  batchSent(partitionId: string, events: number, bytes: number, durationMs: number): void;
  sendFailed(partitionId: string, code: string, events: number): void;
  buffered(partitionId: string, bytes: number, events: number): void;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The observer of the batcher sending to `hub`: its series carry `hub="<name>"`. */
  batcherObserverFor(hub: string): MetricsBatcherObserver;
  /** `n` events of `type` were acknowledged by the hub and answered 2xx. */
  eventsAccepted(type: string, n: number): void;
  /** `n` events of `type` were refused (`reason`: an error code such as `GW_ERR_VALIDATION`). */
  eventsRejected(type: string, reason: string, n: number): void;
  /** `n` readings of `type` went to the dead-letter hub (`reason`: why, an error code). */
  eventsDeadLettered(type: string, reason: string, n: number): void;
  /** `n` readings of `type` were stored flagged (`reason`: `late` or `future`). */
  eventsFlagged(type: string, reason: 'late' | 'future', n: number): void;
  /** One reading's event-time lag (receive time − reading time, seconds) for a type with eventTime rules. */
  eventTimeLag(type: string, seconds: number): void;
  /** A SAS token of `kind` (e.g. `send`, `listen`) was issued. */
  tokensIssued(kind: string): void;
  /** A request was refused with 429 by the `budget` limiter (`events`, `tokens`, ...). */
  rateLimited(budget: string): void;
  /** The shared rate-limit store (REDIS_URL) became reachable or unreachable. */
  rateLimitStoreState(up: boolean): void;
  /** A request of `budget` passed uncounted because the shared rate-limit store failed. */
  rateLimitUnenforced(budget: string): void;
  /** One HTTP request finished; `route` is the route pattern, never the raw URL. */
  requestFinished(method: string, route: string, status: number): void;
  /** Prometheus text exposition of the registry. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Metric name prefix. */
  readonly prefix?: string;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag). */
  readonly defaultMetrics?: boolean;
  /** Distinct values allowed per client-supplied label before they fold into `other`. */
  readonly maxLabelValues?: number;
  /** Budgets to show at 0 from the start, so dashboards and alerts see the series. */
  readonly rateLimitBudgets?: readonly string[];
}

const EVENTS_PER_BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const BYTES_PER_BATCH_BUCKETS = [1024, 4096, 16384, 65536, 131072, 262144, 524288, 786432, 1048576];
const SEND_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const OTHER = 'other';
/** Event-time lag, seconds: negative buckets catch clocks running ahead, the top ones replays. */
const LAG_SECONDS_BUCKETS = [-3600, -300, -60, -10, -1, 0, 1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

/** A cache of bound children keyed by a joined label string, folding into `other` past a cap. */
function boundChildren<C>(bind: (values: readonly string[]) => C, cap: number): (...values: string[]) => C {
  const children = new Map<string, C>();
  let overflow: C | undefined;
  return (...values: string[]): C => {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let child = children.get(key);
    if (child !== undefined) return child;
    if (children.size >= cap) {
      overflow ??= bind(values.map(() => OTHER));
      return overflow;
    }
    child = bind(values);
    children.set(key, child);
    return child;
  };
}

/** The latest buffer report of one partition of one hub. */
interface BufferReport {
  readonly hub: string;
  readonly partition: string;
  bytes: number;
  events: number;
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const prefix = options.prefix ?? 'gateway_';
  const cap = options.maxLabelValues ?? 200;
  if (!Number.isInteger(cap) || cap < 1) throw new Error(`maxLabelValues must be a positive integer`);
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests finished, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const accepted = new Counter({
    name: `${prefix}events_accepted_total`,
    help: 'Events acknowledged by Event Hubs and answered 2xx, by event type.',
    labelNames: ['type'] as const,
    registers,
  });
  const rejected = new Counter({
    name: `${prefix}events_rejected_total`,
    help: 'Events refused, by event type and reason (error code).',
    labelNames: ['type', 'reason'] as const,
    registers,
  });
  // The batchers report their buffers after every enqueue and acknowledgement, and a gauge's
  // `set` hashes its labels each time; so a report only updates `buffers`, and the gauges are set
  // from it when scraped (`collect`).
  const buffers: BufferReport[] = [];
  new Gauge({
    name: `${prefix}buffered_bytes`,
    help: 'Bytes of events waiting in the batcher, by hub and partition.',
    labelNames: ['hub', 'partition'] as const,
    registers,
    collect() {
      for (const b of buffers) this.set({ hub: b.hub, partition: b.partition }, b.bytes);
    },
  });
  new Gauge({
    name: `${prefix}buffered_events`,
    help: 'Events waiting in the batcher, by hub and partition.',
    labelNames: ['hub', 'partition'] as const,
    registers,
    collect() {
      for (const b of buffers) this.set({ hub: b.hub, partition: b.partition }, b.events);
    },
  });
  const batchesSent = new Counter({
    name: `${prefix}batches_sent_total`,
    help: 'Batches acknowledged by Event Hubs, by hub and partition.',
    labelNames: ['hub', 'partition'] as const,
    registers,
  });
  const eventsPerBatch = new Histogram({
    name: `${prefix}batch_events`,
    help: 'Events per batch sent, by hub.',
    labelNames: ['hub'] as const,
    buckets: EVENTS_PER_BATCH_BUCKETS,
    registers,
  });
  const bytesPerBatch = new Histogram({
    name: `${prefix}batch_bytes`,
    help: 'Bytes per batch sent, by hub.',
    labelNames: ['hub'] as const,
    buckets: BYTES_PER_BATCH_BUCKETS,
    registers,
  });
  const sendSeconds = new Histogram({
    name: `${prefix}send_duration_seconds`,
    help: 'Time from sending a batch to its acknowledgement by Event Hubs, by hub.',
    labelNames: ['hub'] as const,
    buckets: SEND_SECONDS_BUCKETS,
    registers,
  });
  const sendFailures = new Counter({
    name: `${prefix}send_failures_total`,
    help: "Batch sends that failed after retries, by hub and the sink's error code.",
    labelNames: ['hub', 'code'] as const,
    registers,
  });
  const sendFailedEvents = new Counter({
    name: `${prefix}send_failed_events_total`,
    help: "Events in batch sends that failed after retries, by hub and the sink's error code.",
    labelNames: ['hub', 'code'] as const,
    registers,
  });
  const rateLimitedTotal = new Counter({
    name: `${prefix}rate_limited_total`,
    help: 'Requests refused with 429, by budget.',
    labelNames: ['budget'] as const,
    registers,
  });
  // Shared rate-limit store (REDIS_URL): its state, and what passed uncounted while it failed.
  const storeUpName = `${prefix}rate_limit_store_up`;
  const storeUp = new Gauge({
    name: storeUpName,
    // WORKERS > 1: the replica's view is up only if every worker's connection is.
    aggregator: 'min',
    help: 'Whether the shared rate-limit store (REDIS_URL) answers: 1 up, 0 unreachable (budgets fail open). Absent without REDIS_URL.',
    registers: [],
  });
  const unenforced = new Counter({
    name: `${prefix}rate_limit_unenforced_total`,
    help: 'Requests let through uncounted because the shared rate-limit store failed, by budget.',
    labelNames: ['budget'] as const,
    registers: [],
  });
  const tokens = new Counter({
    name: `${prefix}tokens_issued_total`,
    help: 'SAS tokens issued, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });

  // ---- per-reading outcomes (lenient handling, dead letters, event-time rules) -----------------
  const deadLettered = new Counter({
    name: `${prefix}events_dead_lettered_total`,
    help: 'Readings sent to the dead-letter hub, by event type and reason (error code).',
    labelNames: ['type', 'reason'] as const,
    registers,
  });
  const flagged = new Counter({
    name: `${prefix}events_flagged_total`,
    help: 'Readings stored with a late or future flag, by event type and reason.',
    labelNames: ['type', 'reason'] as const,
    registers,
  });
  const lag = new Histogram({
    name: `${prefix}event_time_lag_seconds`,
    help: 'Receive time minus reading time, by event type (types with eventTime settings only).',
    labelNames: ['type'] as const,
    buckets: LAG_SECONDS_BUCKETS,
    registers,
  });
  const deadLetteredChild = boundChildren(([t, r]) => deadLettered.labels(t ?? '', r ?? ''), cap);
  const flaggedChild = boundChildren(([t, r]) => flagged.labels(t ?? '', r ?? ''), cap);
  const lagChild = boundChildren(([t]) => lag.labels(t ?? ''), cap);

  // Only event types (and the reasons paired with them) can be invented by clients; every other
  // label comes from our own code (route patterns, partition ids, error codes), so it is uncapped.
  const requestChild = boundChildren(([m, r, s]) => requests.labels(m ?? '', r ?? '', s ?? ''), Infinity);
  const acceptedChild = boundChildren(([t]) => accepted.labels(t ?? ''), cap);
  const rejectedChild = boundChildren(([t, r]) => rejected.labels(t ?? '', r ?? ''), cap);
  const rateLimitedChild = boundChildren(([b]) => rateLimitedTotal.labels(b ?? ''), Infinity);
  const tokensChild = boundChildren(([k]) => tokens.labels(k ?? ''), Infinity);

  for (const budget of options.rateLimitBudgets ?? ['events', 'tokens']) rateLimitedChild(budget).inc(0);

  // One observer per hub the gateway sends to (the event hub, the dead-letter hub), each with its
  // children bound once: a batcher's hooks stay one Map lookup and one increment.
  const batcherObserverFor = (hub: string): MetricsBatcherObserver => {
    const reports = new Map<string, BufferReport>();
    const batchesChild = boundChildren(([p]) => batchesSent.labels(hub, p ?? ''), Infinity);
    const failuresChild = boundChildren(([c]) => sendFailures.labels(hub, c ?? ''), Infinity);
    const failedEventsChild = boundChildren(([c]) => sendFailedEvents.labels(hub, c ?? ''), Infinity);
    const batchEvents = eventsPerBatch.labels(hub);
    const batchBytes = bytesPerBatch.labels(hub);
    const sendTime = sendSeconds.labels(hub);
    return {
      batchSent(partitionId, events, bytes, durationMs) {
        batchesChild(partitionId).inc();
        batchEvents.observe(events);
        batchBytes.observe(bytes);
        sendTime.observe(durationMs / 1000);
      },
      sendFailed(_partitionId, code, events) {
        failuresChild(code).inc();
        failedEventsChild(code).inc(events);
      },
      buffered(partitionId, bytes, events) {
        const report = reports.get(partitionId);
        if (report !== undefined) {
          report.bytes = bytes;
          report.events = events;
          return;
        }
        const first: BufferReport = { hub, partition: partitionId, bytes, events };
        reports.set(partitionId, first);
        buffers.push(first);
      },
    };
  };

  return {
    registry,
    batcherObserverFor,
    eventsAccepted: (type, n) => acceptedChild(type).inc(n),
    eventsRejected: (type, reason, n) => rejectedChild(type, reason).inc(n),
    eventsDeadLettered: (type, reason, n) => deadLetteredChild(type, reason).inc(n),
    eventsFlagged: (type, reason, n) => flaggedChild(type, reason).inc(n),
    eventTimeLag: (type, seconds) => lagChild(type).observe(seconds),
    tokensIssued: (kind) => tokensChild(kind).inc(),
    rateLimited: (budget) => rateLimitedChild(budget).inc(),
    rateLimitStoreState: (up) => {
      // Registered on first report, so the series exist exactly when a shared store is configured.
      if (registry.getSingleMetric(storeUpName) === undefined) {
        registry.registerMetric(storeUp);
        registry.registerMetric(unenforced);
        for (const budget of ['events', 'tokens', 'auth']) unenforced.labels(budget).inc(0);
      }
      storeUp.set(up ? 1 : 0);
    },
    rateLimitUnenforced: (budget) => unenforced.labels(budget).inc(),
    requestFinished: (method, route, status) => requestChild(method, route, String(status)).inc(),
    render: () => registry.metrics(),
  };
}
