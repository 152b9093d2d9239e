/**
 * One partition's FIFO: a queue of entries waiting for room, one open SDK batch being filled, and
 * at most one batch in flight (which keeps order within the partition). While a batch is in flight
 * the next one keeps filling, so under load batches leave full. A second, empty SDK batch is kept
 * ready (`spare`): the next batch opens the moment one leaves, and an open batch that holds
 * withdrawn entries is rebuilt synchronously when it is due, so it leaves in the same turn. (The
 * rebuild used to wait for a new batch from the SDK; under deadline pressure more entries were
 * withdrawn during every wait, so a batch could be rebuilt, re-encoding every event, again and
 * again without ever leaving.) A batch leaves when it is full (the next event did not fit, or the
 * count cap), when its linger time since its first event ran out, or at once while draining for
 * shutdown. While the event loop is saturated a due batch keeps filling (load-hold.ts), up to
 * lingerUnderLoadMs from its first event: at saturation fuller batches mean fewer, larger
 * publications. Outcomes are reported to the host, which owns tickets, byte accounting and
 * retries; the channel only moves entries.
 */
import { SinkError, type Sink, type SinkBatch } from '../sink/types';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { LoadHold } from './load-hold';
import type { PartitionHandover } from './partition-handover';
import { PartitionHealthTrack } from './partition-health';
import type { LoadGauge } from './loop-load';
import { EntryState, type Entry } from './pending-ticket';
import type { Timers } from './types';

export type ChannelEntry = Entry<PartitionChannel>;

/** Whether some request still waits for this entry's outcome. */
const awaited = (entry: ChannelEntry): boolean => !entry.ticket.settled;

export interface ChannelHost {
  readonly sink: Sink;
  readonly lingerMs: number;
  /** While the event loop is saturated, a partial batch may wait this long (from its first event). */
  readonly lingerUnderLoadMs: number;
  readonly load: LoadGauge;
  readonly maxEventsPerBatch: number;
  readonly retry: BackoffPolicy;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly signal: AbortSignal;
  /** Sends with our retry loop while `wanted()`; resolves once the hub acknowledged the batch. */
  send(batch: SinkBatch, partitionId: string, wanted: () => boolean): Promise<void>;
  /** Registers background work that close() must wait for; `work` never rejects. */
  track(work: Promise<void>): void;
  batchAcknowledged(
    channel: PartitionChannel,
    entries: readonly ChannelEntry[],
    batch: SinkBatch,
    ms: number,
  ): void;
  /** A batch, or the queued entries when no batch could be created, failed with `error`. */
  entriesFailed(channel: PartitionChannel, entries: readonly ChannelEntry[], error: unknown): void;
  /** The entry did not fit into an empty batch. */
  eventTooLarge(entry: ChannelEntry): void;
}

interface OpenBatch {
  readonly batch: SinkBatch;
  readonly entries: ChannelEntry[];
  firstAt: number;
  full: boolean;
  /** Holds withdrawn entries: it must be rebuilt before it may be sent. */
  dirty: boolean;
}

export class PartitionChannel {
  readonly id: string;
  /** Live totals of entries not yet released (queued, batched or in flight). */
  readonly stats = { bytes: 0, events: 0 };
  /** Marker used by the batcher to visit each touched channel once per call. */
  mark = 0;
  /** Whether this partition's sends get answers (for readiness and metrics). */
  readonly health = new PartitionHealthTrack();
  /** Entries taken so far; the next one's ordinal. */
  taken = 0;
  /** While keys leaving this partition wait for what it held when the partition map changed. */
  handover: PartitionHandover | null = null;
  private readonly host: ChannelHost;
  private queue: ChannelEntry[] = [];
  private head = 0;
  private open: OpenBatch | null = null;
  /** Enqueue time of the first entry of the batch in flight (+∞ when none). */
  private inFlightSince = Number.POSITIVE_INFINITY;
  /** An empty batch ready to become the open one. */
  private spare: SinkBatch | null = null;
  private creating = false;
  private sending = false;
  private draining = false;
  private createFailures = 0;
  /** Whether a due partial batch keeps filling while the event loop is saturated. */
  private readonly hold: LoadHold;
  private lingerTimer: unknown = undefined;
  private lingerAt = Number.POSITIVE_INFINITY;
  private retryTimer: unknown = undefined;
  private readonly onLinger = (): void => {
    this.lingerTimer = undefined;
    this.lingerAt = Number.POSITIVE_INFINITY;
    this.kick();
  };
  private readonly onCreateRetry = (): void => {
    this.retryTimer = undefined;
    this.kick();
  };

  constructor(id: string, host: ChannelHost) {
    this.id = id;
    this.host = host;
    this.hold = new LoadHold(host.load, host.lingerUnderLoadMs);
  }

  /** Hot path: takes one entry (already counted by the batcher); call kick() after a run of adds. */
  add(entry: ChannelEntry): void {
    this.stats.bytes += entry.bytes;
    this.stats.events++;
    this.takeCounted(entry);
  }

  /** Takes an entry already counted in `stats` (one a partition handover held for this channel). */
  takeCounted(entry: ChannelEntry): void {
    entry.ordinal = this.taken++;
    const open = this.open;
    if (this.head === this.queue.length && open !== null && !open.full && this.place(open, entry)) return;
    this.queue.push(entry);
  }

  /** Decides what to do next: send, arm the linger timer, or get a batch to fill. */
  kick(): void {
    if (this.host.signal.aborted) return;
    const open = this.open;
    if (open !== null && !open.full && this.head < this.queue.length) this.drain(open);
    if (this.sending) return;
    if (open !== null) {
      if (open.entries.length === 0) return;
      if (open.full || this.draining) {
        this.sendOpen(open);
        return;
      }
      const now = this.host.clock();
      const due = open.firstAt + this.host.lingerMs;
      if (now < due) this.armLinger(due);
      else if (this.hold.keepFilling(open.firstAt, now)) this.armLinger(now + 1);
      else this.sendOpen(open);
      return;
    }
    if (!this.creating && this.retryTimer === undefined && this.hasQueued()) this.create();
  }

  /** Gets an empty batch ready ahead of the first event (attaches the link early). */
  prepare(): void {
    if (this.open === null && !this.creating && this.retryTimer === undefined) this.create();
  }

  /** Shutdown flush: from now on partial batches leave at once. */
  drainNow(): void {
    this.draining = true;
    this.kick();
  }

  /** A withdrawn entry sat in the open batch; rebuild it before sending. */
  markDirty(): void {
    if (this.open !== null) this.open.dirty = true;
  }

  /**
   * Enqueue time of the oldest entry not yet acknowledged (in flight, in the open batch, or at the
   * head of the queue), +∞ when there is none. Approximate: a withdrawn entry at the head counts.
   */
  oldestWaitingAt(): number {
    let oldest = this.inFlightSince;
    const open = this.open;
    if (open !== null && open.entries.length > 0 && open.firstAt < oldest) oldest = open.firstAt;
    const head = this.queue[this.head];
    if (head !== undefined && head.at < oldest) oldest = head.at;
    return oldest;
  }

  /** Every entry not yet handed to the sink, for shutdown. */
  pendingEntries(): ChannelEntry[] {
    const pending: ChannelEntry[] = [];
    if (this.open !== null)
      for (const e of this.open.entries) if (e.state === EntryState.Batched) pending.push(e);
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (e.state === EntryState.Queued) pending.push(e);
    }
    return pending;
  }

  /** Stops timers; in-flight work is aborted through the host's signal. */
  dispose(): void {
    if (this.lingerTimer !== undefined) this.host.timers.clearTimeout(this.lingerTimer);
    if (this.retryTimer !== undefined) this.host.timers.clearTimeout(this.retryTimer);
    this.lingerTimer = undefined;
    this.retryTimer = undefined;
  }

  /** Tries to put one entry into the open batch; false when the batch is full. */
  private place(open: OpenBatch, entry: ChannelEntry): boolean {
    if (open.batch.tryAdd(entry.event)) {
      entry.state = EntryState.Batched;
      if (open.entries.push(entry) === 1) open.firstAt = entry.at;
      if (open.entries.length >= this.host.maxEventsPerBatch) open.full = true;
      return true;
    }
    if (open.batch.count === 0) {
      // Did not fit into an empty batch: no batch will ever hold it.
      this.host.eventTooLarge(entry);
      return true;
    }
    open.full = true;
    return false;
  }

  private drain(open: OpenBatch): void {
    const queue = this.queue;
    let head = this.head;
    while (head < queue.length && !open.full) {
      const entry = queue[head]!;
      if (entry.state === EntryState.Queued && !this.place(open, entry)) break;
      head++;
    }
    this.head = head;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private hasQueued(): boolean {
    for (let i = this.head; i < this.queue.length; i++)
      if (this.queue[i]!.state === EntryState.Queued) return true;
    this.compact();
    return false;
  }

  private armLinger(due: number): void {
    if (this.lingerTimer !== undefined) {
      if (this.lingerAt <= due) return;
      this.host.timers.clearTimeout(this.lingerTimer);
    }
    this.lingerAt = due;
    this.lingerTimer = this.host.timers.setTimeout(this.onLinger, Math.max(0, due - this.host.clock()));
  }

  private sendOpen(open: OpenBatch): void {
    this.open = null;
    this.hold.released();
    if (this.lingerTimer !== undefined) {
      this.host.timers.clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      this.lingerAt = Number.POSITIVE_INFINITY;
    }
    if (open.dirty) {
      // An SDK batch cannot drop an event: put the survivors back at the front and refill.
      const survivors: ChannelEntry[] = [];
      for (const e of open.entries) {
        if (e.state === EntryState.Batched) {
          e.state = EntryState.Queued;
          survivors.push(e);
        }
      }
      this.queue = survivors.concat(this.queue.slice(this.head));
      this.head = 0;
      if (this.openSpare())
        this.kick(); // refill and, when due, send in this same turn
      else this.create();
      return;
    }
    const entries = open.entries;
    for (const e of entries) e.state = EntryState.InFlight;
    this.sending = true;
    this.inFlightSince = open.firstAt;
    const started = this.host.clock();
    this.health.sendStarted(started);
    this.host.track(
      this.host
        .send(open.batch, this.id, () => entries.some(awaited))
        .then(
          () => {
            this.sending = false;
            this.inFlightSince = Number.POSITIVE_INFINITY;
            this.host.batchAcknowledged(this, entries, open.batch, this.host.clock() - started);
            this.kick();
          },
          (error: unknown) => {
            this.sending = false;
            this.inFlightSince = Number.POSITIVE_INFINITY;
            this.host.entriesFailed(this, entries, error);
            this.kick();
          },
        ),
    );
    // Fill the next batch while this one is in flight.
    if (this.openSpare()) this.kick();
    else this.create();
  }

  /** Makes the spare batch the open one (and orders a new spare); false when there is none. */
  private openSpare(): boolean {
    const spare = this.spare;
    if (spare === null) return false;
    this.spare = null;
    this.open = { batch: spare, entries: [], firstAt: 0, full: false, dirty: false };
    this.create();
    return true;
  }

  private create(): void {
    if (this.creating || this.host.signal.aborted) return;
    this.creating = true;
    this.host.track(
      this.host.sink.createBatch(this.id, this.host.signal).then(
        (batch) => {
          this.creating = false;
          this.createFailures = 0;
          if (this.open === null) {
            this.open = { batch, entries: [], firstAt: 0, full: false, dirty: false };
            this.create(); // and a spare behind it
            this.kick();
          } else if (this.spare === null) {
            this.spare = batch;
          }
        },
        (error: unknown) => {
          this.creating = false;
          this.createFailed(error);
        },
      ),
    );
  }

  private createFailed(error: unknown): void {
    // A failed spare is not retried here: the next send falls back to creating a batch then.
    if (this.host.signal.aborted || this.open !== null) return;
    if (error instanceof SinkError && error.retryable && this.createFailures < this.host.retry.maxRetries) {
      const delay = backoffDelay(this.createFailures++, this.host.retry);
      this.retryTimer = this.host.timers.setTimeout(this.onCreateRetry, delay);
      return;
    }
    // Out of retries: the queued events cannot go anywhere now; fail them. The next enqueue tries again.
    this.createFailures = 0;
    const failed: ChannelEntry[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (e.state === EntryState.Queued) failed.push(e);
    }
    this.queue.length = 0;
    this.head = 0;
    this.host.entriesFailed(this, failed, error);
  }
}
