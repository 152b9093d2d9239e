/**
 * The Event Hubs adapter: the only code that talks to `@azure/event-hubs`. Batches are created per
 * partition (`createBatch({ partitionId })`, so they go to `<hub>/Partitions/<id>`), each event
 * carries its message id, content type and application properties, and every SDK error leaves as a
 * SinkError. The SDK's own retries are turned off by default (`sdkMaxRetries` 0): the batcher's
 * loop retries with a short exponential backoff instead of the SDK's fixed 30 s, and the delays we
 * hand the SDK (for its connection and link recovery) come from the same settings. Each attempt is
 * bounded by what the hub has recently shown (attempt-timeout.ts), and a connection that stops
 * answering is replaced (producer-keeper.ts): the SDK itself neither fails a send pending on a dead
 * connection nor notices a blackholed one before its own timeout.
 */
import {
  EventHubProducerClient,
  RetryMode,
  type EventDataBatch,
  type EventHubClientOptions,
} from '@azure/event-hubs';
import type { TokenCredential } from '@azure/identity';
import type { OutgoingEvent } from '../batching/types';
import { AttemptTimeout } from './attempt-timeout';
import { bounded } from './bounded';
import { ProducerKeeper, type Generation } from './producer-keeper';
import { mayExceed, publicationSize } from './publication-size';
import { toSinkError } from './translate-error';
import { untracedProperties } from './untraced-properties';
import { SinkError, type Sink, type SinkBatch, type SinkObserver } from './types';

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
  /** Bounds on one attempt (see attempt-timeout.ts); the ceiling is tryTimeoutMs. */
  readonly attempts?: {
    /** A send attempt is never cut shorter than this. Default 1000. */
    readonly sendFloorMs?: number;
    /** A link set-up (CBS + attach) is never cut shorter than this. Default 2000. */
    readonly setupFloorMs?: number;
    /** Bound = multiplier × slowest recent answer. Default 5. */
    readonly multiplier?: number;
  };
  readonly observer?: SinkObserver;
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
  private readonly keeper: ProducerKeeper<EventHubProducerClient>;
  private readonly traceEvents: boolean;
  private readonly sendTimeout: AttemptTimeout;
  private readonly setupTimeout: AttemptTimeout;
  private readonly closeTimeout: AttemptTimeout;
  private readonly observer: SinkObserver;
  private readonly clock = (): number => performance.now();

  constructor(target: EventHubsTarget, options: EventHubsSinkOptions) {
    this.traceEvents = options.traceEvents ?? false;
    this.observer = options.observer ?? {};
    const delayMs = options.retry?.delayMs ?? 100;
    const ceilingMs = options.tryTimeoutMs ?? 30_000;
    const clientOptions: EventHubClientOptions = {
      retryOptions: {
        maxRetries: options.sdkMaxRetries ?? 0,
        retryDelayInMs: delayMs,
        maxRetryDelayInMs: Math.max(delayMs, options.retry?.maxDelayMs ?? 2000),
        mode: RetryMode.Exponential,
        timeoutInMs: ceilingMs,
      },
      ...(options.identifier === undefined ? {} : { identifier: options.identifier }),
    };
    const attempts = options.attempts ?? {};
    this.sendTimeout = new AttemptTimeout({
      floorMs: Math.min(ceilingMs, attempts.sendFloorMs ?? 1000),
      ceilingMs,
      multiplier: attempts.multiplier ?? 5,
      window: 64,
    });
    // Closing is a courtesy to a live hub (every request has its answer by then): a few round trips,
    // bounded by what sends have shown, between 250 ms and the send floor. Unbounded, a blackholed
    // connection would hold the exit for the SDK's own operation timeout.
    const sendFloorMs = Math.min(ceilingMs, attempts.sendFloorMs ?? 1000);
    this.closeTimeout = new AttemptTimeout({
      floorMs: Math.min(sendFloorMs, CLOSE_FLOOR_MS),
      ceilingMs: sendFloorMs,
      multiplier: attempts.multiplier ?? 5,
      window: 64,
    });
    this.setupTimeout = new AttemptTimeout({
      floorMs: Math.min(ceilingMs, attempts.setupFloorMs ?? 2000),
      ceilingMs,
      multiplier: attempts.multiplier ?? 5,
      window: 16,
    });
    const create = (): EventHubProducerClient =>
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
    this.keeper = new ProducerKeeper({
      create,
      close: (producer) => producer.close(),
      clock: this.clock,
      onRecreated: (reason) => {
        const observer = this.observer;
        safely(() => observer.connectionRecreated?.(reason));
      },
    });
  }

  exceedsPublication(event: OutgoingEvent, footprint: number, maxBytes: number): boolean {
    // Encoded only near the limit: the cheap bound clears every ordinary reading.
    return mayExceed(event, footprint, maxBytes) && publicationSize(event) > maxBytes;
  }

  get attemptTimeoutMs(): number {
    return this.sendTimeout.currentMs();
  }

  async getPartitionIds(signal?: AbortSignal): Promise<string[]> {
    const generation = this.keeper.current;
    const started = this.clock();
    try {
      const ids = await bounded(
        this.setupTimeout.currentMs(),
        signal,
        'SetupTimeout',
        'Reading the partition ids',
        (abortSignal) => generation.producer.getPartitionIds({ abortSignal }),
      );
      this.keeper.answered(generation);
      return ids;
    } catch (error) {
      this.failed(generation, started, undefined, error);
      throw error;
    }
  }

  async createBatch(partitionId: string, signal?: AbortSignal): Promise<SinkBatch> {
    const generation = this.keeper.current;
    const inner = await this.setUp(generation, partitionId, signal);
    return new EventHubsBatch(partitionId, inner, this.traceEvents);
  }

  async send(batch: SinkBatch, signal?: AbortSignal): Promise<void> {
    if (!(batch instanceof EventHubsBatch)) throw new TypeError('send() takes batches from this sink only');
    const generation = this.keeper.current;
    const partitionId = batch.partitionId;
    // A fresh producer sets its link up first, under the set-up bound (CBS and attach may be slow
    // on a healthy hub); the send itself then gets the tighter send bound. A batch is plain encoded
    // data, so one made by an earlier producer is sent by the current one.
    if (!generation.linked.has(partitionId)) await this.setUp(generation, partitionId, signal);
    const started = this.clock();
    const timeoutMs = this.sendTimeout.currentMs();
    try {
      await bounded(timeoutMs, signal, 'SendTimeout', 'Sending a batch', (abortSignal) =>
        generation.producer.sendBatch(batch.inner, { abortSignal }),
      );
    } catch (error) {
      const ms = this.clock() - started;
      const code = error instanceof SinkError ? error.code : 'Unknown';
      const observer = this.observer;
      if (!(signal?.aborted ?? false))
        safely(() => observer.attempt?.(partitionId, code === 'SendTimeout' ? 'timeout' : code, ms));
      this.failed(generation, started, partitionId, error);
      throw error;
    }
    const ms = this.clock() - started;
    this.sendTimeout.observe(ms);
    this.closeTimeout.observe(ms);
    this.keeper.answered(generation, partitionId);
    const observer = this.observer;
    safely(() => observer.attempt?.(partitionId, 'ok', ms));
  }

  async close(): Promise<void> {
    try {
      await bounded(this.closeTimeout.currentMs(), undefined, 'CloseTimeout', 'Closing the connection', () =>
        this.keeper.close(),
      );
    } catch (error) {
      // A hub that does not answer the close loses nothing: the socket goes with the process.
      if (error instanceof SinkError && error.code === 'CloseTimeout') return;
      throw toSinkError(error);
    }
  }

  private async setUp(
    generation: Generation<EventHubProducerClient>,
    partitionId: string,
    signal: AbortSignal | undefined,
  ): Promise<EventDataBatch> {
    const started = this.clock();
    try {
      const inner = await bounded(
        this.setupTimeout.currentMs(),
        signal,
        'SetupTimeout',
        `Setting up the link to partition ${partitionId}`,
        (abortSignal) => generation.producer.createBatch({ partitionId, abortSignal }),
      );
      this.setupTimeout.observe(this.clock() - started);
      this.keeper.linked(generation, partitionId);
      this.maxMessageSize = inner.maxSizeInBytes;
      return inner;
    } catch (error) {
      this.failed(generation, started, partitionId, error);
      throw error;
    }
  }

  /** Decides, after a failed operation, whether the link or the whole connection must be renewed. */
  private failed(
    generation: Generation<EventHubProducerClient>,
    started: number,
    partitionId: string | undefined,
    error: unknown,
  ): void {
    if (!(error instanceof SinkError)) return;
    if (error.code === 'SendTimeout' || error.code === 'SetupTimeout') {
      this.keeper.timedOut(generation, started, partitionId, error.code);
      return;
    }
    if (partitionId !== undefined && error.problem === 'connection') generation.linked.delete(partitionId);
  }
}

/** The shortest wait for a graceful close (a few loopback or in-region round trips). */
const CLOSE_FLOOR_MS = 250;

function safely(hook: () => void): void {
  try {
    hook();
  } catch {
    // A metrics hook must never break a send.
  }
}

export function createEventHubsSink(target: EventHubsTarget, options: EventHubsSinkOptions = {}): Sink {
  return new EventHubsSink(target, options);
}
