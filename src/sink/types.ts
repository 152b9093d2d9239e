/**
 * The sink is the only boundary that sees AMQP and SDK errors: the batcher talks to this interface,
 * and the Event Hubs adapter (or a fake in tests) implements it. Errors cross it as `SinkError`.
 */
import type { OutgoingEvent } from '../batching/types';
import { failureKind, hubProblem, type HubProblem, type SinkFailureKind } from './classify-failure';

export type { HubProblem, SinkFailureKind } from './classify-failure';

/** One open batch for one partition; `tryAdd` uses the SDK's exact envelope accounting. */
export interface SinkBatch {
  readonly partitionId: string;
  readonly count: number;
  /** Encoded size of the whole publication so far. */
  readonly sizeInBytes: number;
  readonly maxSizeInBytes: number;
  /** false when the event does not fit (the batch is full, or the event is too large for any batch). */
  tryAdd(event: OutgoingEvent): boolean;
}

export interface Sink {
  getPartitionIds(signal?: AbortSignal): Promise<string[]>;
  /** Wraps the SDK EventDataBatch created with `{ partitionId }`. Rejects with a SinkError. */
  createBatch(partitionId: string, signal?: AbortSignal): Promise<SinkBatch>;
  /** Resolves when the hub acknowledged the batch. Rejects with a SinkError. */
  send(batch: SinkBatch, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** The bound currently put on one send attempt (derived from observed latency). */
  readonly attemptTimeoutMs?: number;
  /** Learned from the link (the first createBatch); undefined before that. */
  readonly maxMessageSize: number | undefined;
  /**
   * Whether `event` (of footprint `footprint`, a lower bound of its size) alone in a publication
   * takes more than `maxBytes`, as the SDK counts it. Optional: without it, only the footprint is
   * compared with the limit.
   */
  exceedsPublication?(event: OutgoingEvent, footprint: number, maxBytes: number): boolean;
}

/** An SDK/AMQP failure translated: a stable code (the SDK's, e.g. 'ServerBusyError') and whether a retry may help. */
export class SinkError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, retryable: boolean, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.code = code;
    this.retryable = retryable;
  }

  /** Whether a retry may help, or whose fault it is (classify-failure.ts). */
  get kind(): SinkFailureKind {
    return failureKind(this.code, this.retryable);
  }

  /** The short reason for readiness and the hub-state log line. */
  get problem(): HubProblem {
    return hubProblem(this.code, this.message);
  }
}

/** Optional hooks for metrics, called synchronously by the sink; they must be cheap. */
export interface SinkObserver {
  /** One send attempt ended: 'ok', 'timeout' (no answer in time) or the SinkError code. */
  attempt?(partitionId: string, outcome: string, ms: number): void;
  /** The producer (its AMQP connection) was replaced because the old one stopped answering. */
  connectionRecreated?(reason: string): void;
}
