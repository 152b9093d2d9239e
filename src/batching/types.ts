/**
 * The batcher's contract with the ingest route (which enqueues events and waits on tickets) and
 * with the metrics code (which observes batches). Kept in its own file so both sides can import
 * types without pulling in the flusher's implementation.
 */
import type { GatewayError } from '../errors';
import type { Sink } from '../sink/types';
import type { LoadGauge } from './loop-load';
import type { PartitionMap } from './partition-map';

export interface OutgoingEvent {
  /** Already validated (1..128 chars). */
  readonly partitionKey: string;
  readonly messageId: string;
  /** The event's JSON bytes exactly as received. */
  readonly body: Buffer;
  /** Application properties; the ingest route puts the partition key here as `partitionKey`. */
  readonly properties: Record<string, string | number | boolean>;
  /** 'application/json'. */
  readonly contentType: string;
}

export interface Ticket {
  /** The partition id of each event, in order, known synchronously at enqueue. */
  readonly partitionIds: readonly string[];
  /**
   * Resolves when Event Hubs acknowledged every event of the request. Rejects with a GatewayError:
   * GW_ERR_SEND_FAILED (503, retryable), GW_ERR_EVENT_TOO_LARGE (422, the SDK found an event that
   * no batch can hold), GW_ERR_SHUTTING_DOWN (close gave up), or the reason given to `withdraw`.
   */
  readonly acknowledged: Promise<void>;
  /**
   * Deadline passed or client gone: removes the ticket's not-yet-sent events, frees their bytes and
   * rejects `acknowledged` with `reason`. Events already in flight cannot be recalled; their outcome
   * is ignored. No-op when the ticket is already settled.
   */
  withdraw(reason: GatewayError): void;
}

export interface PartitionStats {
  readonly bytes: number;
  readonly events: number;
}

/** One partition as the operator sees it (readiness body, metrics). */
export interface PartitionHealth {
  readonly partitionId: string;
  readonly state: 'ok' | 'stalled' | 'failing';
  /** Why, when not ok: timeout, refused, dns, unauthorized, not-found, busy, connection, error. */
  readonly reason?: string;
  /** The sink's error code behind the reason. */
  readonly code?: string;
  /** Age of the oldest reading not yet acknowledged (0 when none waits). */
  readonly oldestWaitingMs: number;
}

export interface HubHealth {
  /** ok; degraded (some partitions cannot send); unreachable or refused (nothing can be sent). */
  readonly state: 'ok' | 'degraded' | 'unreachable' | 'refused';
  readonly reason?: string;
  readonly partitions: readonly PartitionHealth[];
}

export interface BatcherStats {
  /** Bytes held by the batcher (queued, in an open batch, or in flight), estimated per event. */
  readonly bufferedBytes: number;
  readonly bufferedEvents: number;
  /** Live view, one entry per partition id seen; do not mutate. */
  readonly perPartition: ReadonlyMap<string, PartitionStats>;
}

export interface Batcher {
  /** Reads partition ids from the sink (retrying in the background on failure), starts the refresh. */
  start(): Promise<void>;
  /**
   * Synchronous. Throws GatewayError: GW_ERR_BUFFER_FULL (retryAfterSeconds set; nothing buffered),
   * GW_ERR_SHUTTING_DOWN after close began, GW_ERR_UNAVAILABLE before partition ids are known,
   * GW_ERR_EVENT_TOO_LARGE when an event can certainly never fit in a batch.
   */
  enqueue(events: readonly OutgoingEvent[]): Ticket;
  /**
   * The partition id enqueue would give each key now, without buffering anything (dry runs).
   * Throws as enqueue does before partition ids are known or after close began.
   */
  placement(partitionKeys: readonly string[]): string[];
  /** Flushes everything buffered (default), answers every ticket, closes the sink. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
  readonly stats: BatcherStats;
  /** Partition ids known, not closing, and the last call to the hub (send or metadata) succeeded. */
  readonly ready: boolean;
  /** The hub and each partition as seen from here, computed now (cheap: no I/O). */
  health(): HubHealth;
}

export interface CloseOptions {
  /** Default true. false: abort in-flight sends and reject every open ticket with GW_ERR_SHUTTING_DOWN. */
  readonly flush?: boolean;
  /** Give up flushing after this long (then as flush: false). Default: no deadline. */
  readonly deadlineMs?: number;
}

/** Optional hooks for metrics; called synchronously on the flusher's path, so they must be cheap. */
export interface BatcherObserver {
  batchSent?(partitionId: string, events: number, bytes: number, durationMs: number): void;
  /** Once per failed batch (after our retries), with the sink's error code. */
  sendFailed?(partitionId: string, code: string, events: number): void;
  /** Before each of our retries of a send (retry counts from 1). */
  sendRetried?(partitionId: string, code: string, retry: number): void;
  /** The hub's health changed state (checked every healthIntervalMs); for the one log line per change. */
  hubStateChanged?(health: HubHealth, previous: HubHealth['state']): void;
  /**
   * The partition ids routed with changed (the hub's count grew); `handovers` old partitions held
   * readings, so the keys leaving them wait until they have answered for those.
   */
  partitionMapChanged?(previous: readonly string[], next: readonly string[], handovers: number): void;
  /** Partition `partitionId` answered for what it held at the change; `held` readings had waited `ms`. */
  handoverFinished?(partitionId: string, held: number, ms: number): void;
  /** After each change (at most once per partition per enqueue call), the partition's totals. */
  buffered?(partitionId: string, bytes: number, events: number): void;
}

export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  readonly maxRetries?: number;
  /** First backoff delay. Default 100 ms; doubles per retry. */
  readonly delayMs?: number;
  /** Backoff cap. Default 2000 ms. */
  readonly maxDelayMs?: number;
}

/** Injectable timers so tests can drive time; defaults are the globals. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BatcherOptions {
  readonly sink: Sink;
  /** Longest an event waits in an open batch, counted from the batch's first event. Default 1. */
  readonly lingerMs?: number;
  /**
   * Longest a partial batch may keep filling past lingerMs while the event loop is saturated
   * (counted from its first event, like lingerMs). Default 0: never past lingerMs.
   */
  readonly lingerUnderLoadMs?: number;
  /** Tells whether the event loop is saturated. Default: the loop's own utilisation (loop-load.ts). */
  readonly load?: LoadGauge;
  /** Count cap per batch. Default unlimited: batches are bounded by the link's max message size. */
  readonly maxEventsPerBatch?: number;
  /** Cap on bufferedBytes; past it enqueue throws GW_ERR_BUFFER_FULL. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * Admission by waiting time: while the oldest unacknowledged event has waited longer than this,
   * enqueue throws GW_ERR_BUFFER_FULL (Retry-After). Keeps an overloaded gateway from accepting
   * work it cannot finish before the requests' deadlines. Give it well under the request deadline
   * (half is a good start). Default 5000; Infinity disables.
   */
  readonly maxQueueDelayMs?: number;
  /** How often the hub's health is re-evaluated for hubStateChanged. Default: never (no timer). */
  readonly healthIntervalMs?: number;
  /** How often partition ids are re-read. Default 30000. */
  readonly partitionRefreshMs?: number;
  /** Agreement on the ids to route with (cluster workers); default the process's own read. */
  readonly partitionMap?: PartitionMap;
  readonly retry?: RetryOptions;
  /** Retry-After seconds on GW_ERR_BUFFER_FULL. Default 1. */
  readonly bufferFullRetryAfterSeconds?: number;
  readonly observer?: BatcherObserver;
  /** Monotonic milliseconds. Default performance.now. */
  readonly clock?: () => number;
  readonly timers?: Timers;
}
