/**
 * One partition's channel: entries wait in a FIFO (entry-fifo.ts) for room in the open batch
 * (open-batch.ts, supplied with a spare behind it by batch-supply.ts), and the send scheduler
 * (send-scheduler.ts) decides when the open batch leaves; at most one batch is in flight, which
 * keeps order within the partition, and while it is the next one keeps filling, so under load
 * batches leave full. An open batch holding withdrawn entries is rebuilt from its survivors before
 * it leaves. Outcomes are reported to the host, which owns tickets, byte accounting and retries;
 * the channel only moves entries.
 */
import type { Sink, SinkBatch } from '../sink/types';
import type { BackoffPolicy } from './backoff';
import { BatchSupply } from './batch-supply';
import { EntryFifo } from './entry-fifo';
import type { LoadGauge } from './loop-load';
import { Placement, type OpenBatch } from './open-batch';
import type { PartitionHandover } from './partition-handover';
import { PartitionHealthTrack } from './partition-health';
import { EntryState, type Entry } from './pending-ticket';
import { SendScheduler } from './send-scheduler';
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

type ChannelBatch = OpenBatch<PartitionChannel>;

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
  private readonly fifo = new EntryFifo<PartitionChannel>();
  private readonly supply: BatchSupply<PartitionChannel>;
  private readonly scheduler: SendScheduler;
  private readonly placeEntry = (open: ChannelBatch, entry: ChannelEntry): boolean => this.place(open, entry);

  constructor(id: string, host: ChannelHost) {
    this.id = id;
    this.host = host;
    const kick = (): void => this.kick();
    this.supply = new BatchSupply(id, host, {
      ready: kick,
      // Out of retries: the queued events cannot go anywhere now; fail them. The next enqueue tries again.
      exhausted: (error) => this.host.entriesFailed(this, this.fifo.takeQueued(), error),
    });
    this.scheduler = new SendScheduler(host, kick);
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
    const open = this.supply.open;
    if (this.fifo.empty && open !== null && !open.full && this.place(open, entry)) return;
    this.fifo.push(entry);
  }

  /** Decides what to do next: send, wait for the linger, or get a batch to fill. */
  kick(): void {
    if (this.host.signal.aborted) return;
    const open = this.supply.open;
    if (open !== null && !open.full && !this.fifo.empty) this.fifo.fill(open, this.placeEntry);
    if (this.scheduler.sending) return;
    if (open === null) {
      if (this.fifo.hasQueued()) this.supply.order();
    } else if (open.entries.length > 0 && this.scheduler.due(open)) {
      this.sendOpen();
    }
  }

  /** Gets an empty batch ready ahead of the first event (attaches the link early). */
  prepare(): void {
    this.supply.prepare();
  }

  /** Shutdown flush: from now on partial batches leave at once. */
  drainNow(): void {
    this.scheduler.drainNow();
    this.kick();
  }

  /** A withdrawn entry sat in the open batch; rebuild it before sending. */
  markDirty(): void {
    const open = this.supply.open;
    if (open !== null) open.dirty = true;
  }

  /**
   * Enqueue time of the oldest entry not yet acknowledged (in flight, in the open batch, or at the
   * head of the queue), +∞ when there is none. Approximate: a withdrawn entry at the head counts.
   */
  oldestWaitingAt(): number {
    let oldest = this.scheduler.inFlightSince;
    const open = this.supply.open;
    if (open !== null && open.entries.length > 0 && open.firstAt < oldest) oldest = open.firstAt;
    const head = this.fifo.first;
    if (head !== undefined && head.at < oldest) oldest = head.at;
    return oldest;
  }

  /** Every entry not yet handed to the sink, for shutdown. */
  pendingEntries(): ChannelEntry[] {
    const open = this.supply.open;
    const batched = open === null ? [] : open.batched();
    return batched.concat(this.fifo.queued());
  }

  /** Stops timers; in-flight work is aborted through the host's signal. */
  dispose(): void {
    this.scheduler.dispose();
    this.supply.dispose();
  }

  /** Tries to put one entry into the open batch; false when the batch is full. */
  private place(open: ChannelBatch, entry: ChannelEntry): boolean {
    switch (open.place(entry, this.host.maxEventsPerBatch)) {
      case Placement.Added:
        return true;
      case Placement.TooLarge:
        this.host.eventTooLarge(entry);
        return true;
      case Placement.Full:
        return false;
    }
  }

  private sendOpen(): void {
    const open = this.supply.take();
    this.scheduler.left();
    if (open.dirty) {
      // An SDK batch cannot drop an event: put the survivors back at the front and refill.
      this.fifo.putBack(open.survivors());
      if (this.supply.openNext()) this.kick(); // refill and, when due, send in this same turn
      return;
    }
    const entries = open.entries;
    for (const e of entries) e.state = EntryState.InFlight;
    this.scheduler.sendStarted(open.firstAt);
    const started = this.host.clock();
    this.health.sendStarted(started);
    this.host.track(
      this.host
        .send(open.batch, this.id, () => entries.some(awaited))
        .then(
          () => {
            this.scheduler.sendEnded();
            this.host.batchAcknowledged(this, entries, open.batch, this.host.clock() - started);
            this.kick();
          },
          (error: unknown) => {
            this.scheduler.sendEnded();
            this.host.entriesFailed(this, entries, error);
            this.kick();
          },
        ),
    );
    // Fill the next batch while this one is in flight.
    if (this.supply.openNext()) this.kick();
  }
}
