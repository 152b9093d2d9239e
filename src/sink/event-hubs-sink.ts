/**
 * The Event Hubs adapter: the only code that talks to `@azure/event-hubs`. Batches are created per
 * partition (`createBatch({ partitionId })`, so they go to `<hub>/Partitions/<id>`), each event
 * carries its message id, content type and application properties, and every SDK error leaves as a
 * SinkError. The SDK's own retries are turned off by default (`sdkMaxRetries` 0): the batcher's
 * loop retries with a short exponential backoff instead of the SDK's fixed 30 s, and the delays we
 * hand the SDK (for its connection and link recovery) come from the same settings.
 */
import {
  EventHubProducerClient,
  RetryMode,
  type EventDataBatch,
  type EventHubClientOptions,
} from '@azure/event-hubs';
import type { TokenCredential } from '@azure/identity';
import type { OutgoingEvent } from '../batching/types';
import { toSinkError } from './translate-error';
import { untracedProperties } from './untraced-properties';
import type { Sink, SinkBatch } from './types';

export type EventHubsTarget =
  | { readonly connectionString: string; readonly eventHubName?: string }
  | {
      readonly fullyQualifiedNamespace: string;
      readonly eventHubName: string;
      readonly credential: TokenCredential;
    };

export interface EventHubsSinkOptions {
  /** Delays the SDK uses between its own attempts (same meaning as the batcher's retry). */
  readonly retry?: { readonly delayMs?: number; readonly maxDelayMs?: number };
  /** Retries inside the SDK per operation. Default 0: the batcher retries. */
  readonly sdkMaxRetries?: number;
  /** Per-attempt timeout of SDK operations (send, attach, management). Default 30000. */
  readonly tryTimeoutMs?: number;
  /** Client identifier shown on the hub's links. */
  readonly identifier?: string;
  /**
   * Let the SDK start its per-event "message" span in tryAdd (and, with a tracer registered, put a
   * `Diagnostic-Id` on each event). Default false: the span costs ~4 µs per event even with no
   * tracer, and the send span of each batch is kept either way. See untraced-properties.ts.
   */
  readonly traceEvents?: boolean;
}

class EventHubsBatch implements SinkBatch {
  readonly partitionId: string;
  readonly inner: EventDataBatch;
  private readonly traceEvents: boolean;

  constructor(partitionId: string, inner: EventDataBatch, traceEvents: boolean) {
    this.partitionId = partitionId;
    this.inner = inner;
    this.traceEvents = traceEvents;
  }

  get count(): number {
    return this.inner.count;
  }

  get sizeInBytes(): number {
    return this.inner.sizeInBytes;
  }

  get maxSizeInBytes(): number {
    return this.inner.maxSizeInBytes;
  }

  tryAdd(event: OutgoingEvent): boolean {
    // A Buffer body is sent as a raw data section: the bytes exactly as the device sent them.
    return this.inner.tryAdd({
      body: event.body,
      messageId: event.messageId,
      contentType: event.contentType,
      properties: this.traceEvents ? event.properties : untracedProperties(event.properties),
    });
  }
}

class EventHubsSink implements Sink {
  maxMessageSize: number | undefined = undefined;
  private readonly producer: EventHubProducerClient;
  private readonly traceEvents: boolean;

  constructor(target: EventHubsTarget, options: EventHubsSinkOptions) {
    this.traceEvents = options.traceEvents ?? false;
    const delayMs = options.retry?.delayMs ?? 100;
    const clientOptions: EventHubClientOptions = {
      retryOptions: {
        maxRetries: options.sdkMaxRetries ?? 0,
        retryDelayInMs: delayMs,
        maxRetryDelayInMs: Math.max(delayMs, options.retry?.maxDelayMs ?? 2000),
        mode: RetryMode.Exponential,
        timeoutInMs: options.tryTimeoutMs ?? 30_000,
      },
      ...(options.identifier === undefined ? {} : { identifier: options.identifier }),
    };
    this.producer =
      'connectionString' in target
        ? target.eventHubName === undefined
          ? new EventHubProducerClient(target.connectionString, clientOptions)
          : new EventHubProducerClient(target.connectionString, target.eventHubName, clientOptions)
        : new EventHubProducerClient(
            target.fullyQualifiedNamespace,
            target.eventHubName,
            target.credential,
            clientOptions,
          );
  }

  async getPartitionIds(signal?: AbortSignal): Promise<string[]> {
    try {
      return await this.producer.getPartitionIds(signal === undefined ? {} : { abortSignal: signal });
    } catch (error) {
      throw toSinkError(error);
    }
  }

  async createBatch(partitionId: string, signal?: AbortSignal): Promise<SinkBatch> {
    try {
      const inner = await this.producer.createBatch(
        signal === undefined ? { partitionId } : { partitionId, abortSignal: signal },
      );
      this.maxMessageSize = inner.maxSizeInBytes;
      return new EventHubsBatch(partitionId, inner, this.traceEvents);
    } catch (error) {
      throw toSinkError(error);
    }
  }

  async send(batch: SinkBatch, signal?: AbortSignal): Promise<void> {
    if (!(batch instanceof EventHubsBatch)) throw new TypeError('send() takes batches from this sink only');
    try {
      await this.producer.sendBatch(batch.inner, signal === undefined ? {} : { abortSignal: signal });
    } catch (error) {
      throw toSinkError(error);
    }
  }

  async close(): Promise<void> {
    try {
      await this.producer.close();
    } catch (error) {
      throw toSinkError(error);
    }
  }
}

export function createEventHubsSink(target: EventHubsTarget, options: EventHubsSinkOptions = {}): Sink {
  return new EventHubsSink(target, options);
}
