/**
 * Where a partition's batches come from: the open batch being filled and one empty SDK batch kept
 * ready behind it (`spare`), so the next batch opens the moment one leaves and a dirty batch is
 * rebuilt synchronously. (A rebuild that waited for a new batch from the SDK could, under
 * deadline pressure, be rebuilt again and again without ever leaving: more entries were withdrawn
 * during every wait.) Creating a batch also attaches the partition's link, so prepare() does it
 * ahead of the first event. A failed creation is retried with backoff while no batch is open; once
 * retries run out the partition is told, and the next event tries again.
 */
import { SinkError, type Sink } from '../sink/types';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { OpenBatch } from './open-batch';
import type { Timers } from './types';

/** What the supply uses of its partition's host. */
export interface SupplyHost {
  readonly sink: Sink;
  readonly retry: BackoffPolicy;
  readonly timers: Timers;
  readonly signal: AbortSignal;
  /** Registers background work that close() must wait for; `work` never rejects. */
  track(work: Promise<void>): void;
}

export interface SupplyEvents {
  /** A batch was opened (there was none): fill it. Also after a retry delay, to try again. */
  readonly ready: () => void;
  /** No batch could be created and retries ran out. */
  readonly exhausted: (error: unknown) => void;
}

export class BatchSupply<C> {
  /** The batch being filled, if any. */
  open: OpenBatch<C> | null = null;
  private spare: OpenBatch<C>['batch'] | null = null;
  private creating = false;
  private failures = 0;
  private retryTimer: unknown = undefined;
  private readonly partitionId: string;
  private readonly host: SupplyHost;
  private readonly events: SupplyEvents;
  private readonly onRetry = (): void => {
    this.retryTimer = undefined;
    this.events.ready();
  };

  constructor(partitionId: string, host: SupplyHost, events: SupplyEvents) {
    this.partitionId = partitionId;
    this.host = host;
    this.events = events;
  }

  /** Gets an empty batch ready ahead of the first event (attaches the link early). */
  prepare(): void {
    if (this.open === null) this.order();
  }

  /** Orders a batch unless one is being created or a retry is scheduled. */
  order(): void {
    if (!this.creating && this.retryTimer === undefined) this.create();
  }

  /** Takes the open batch out (it leaves, or is rebuilt); the caller opens the next one. */
  take(): OpenBatch<C> {
    const open = this.open!;
    this.open = null;
    return open;
  }

  /** Opens the next batch: the spare at once (true), or a new one when it arrives (false). */
  openNext(): boolean {
    const spare = this.spare;
    if (spare === null) {
      this.create();
      return false;
    }
    this.spare = null;
    this.open = new OpenBatch<C>(spare);
    this.create(); // a spare behind it
    return true;
  }

  dispose(): void {
    if (this.retryTimer !== undefined) this.host.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private create(): void {
    if (this.creating || this.host.signal.aborted) return;
    this.creating = true;
    this.host.track(
      this.host.sink.createBatch(this.partitionId, this.host.signal).then(
        (batch) => {
          this.creating = false;
          this.failures = 0;
          if (this.open === null) {
            this.open = new OpenBatch<C>(batch);
            this.create(); // and a spare behind it
            this.events.ready();
          } else if (this.spare === null) {
            this.spare = batch;
          }
        },
        (error: unknown) => {
          this.creating = false;
          this.failed(error);
        },
      ),
    );
  }

  private failed(error: unknown): void {
    // A failed spare is not retried here: the next send falls back to creating a batch then.
    if (this.host.signal.aborted || this.open !== null) return;
    if (error instanceof SinkError && error.retryable && this.failures < this.host.retry.maxRetries) {
      this.retryTimer = this.host.timers.setTimeout(
        this.onRetry,
        backoffDelay(this.failures++, this.host.retry),
      );
      return;
    }
    this.failures = 0;
    this.events.exhausted(error);
  }
}
