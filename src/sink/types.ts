/**
 * The sink is the only boundary that sees AMQP and SDK errors: the batcher talks to this interface,
 * and the Event Hubs adapter (or a fake in tests) implements it. Errors cross it as `SinkError`.
 */
import type { OutgoingEvent } from '../batching/types';

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
  /** Learned from the link (the first createBatch); undefined before that. */
  readonly maxMessageSize: number | undefined;
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
}
