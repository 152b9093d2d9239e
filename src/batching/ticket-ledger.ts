/**
 * The batcher's books: what it holds (bytes and events, in total and per partition) and who is owed
 * an answer. It turns each batch outcome into ticket answers for exactly the requests whose events
 * were in the batch, releases every entry's bytes exactly once (acknowledged, failed or withdrawn),
 * and tells close() when nothing is left. Per-partition totals go to the observer at most once per
 * partition per call: channels touched during a call are marked with the current generation and
 * reported together at its end, so the hot path pays a compare per event, not an observer call.
 */
import { GatewayError } from '../errors';
import { SinkError, type Sink, type SinkBatch } from '../sink/types';
import { observeSafely } from './observe-safely';
import type { ChannelEntry, PartitionChannel } from './partition-channel';
import { EntryState, type PendingTicket, type TicketOwner } from './pending-ticket';
import type { BatcherObserver, Timers } from './types';

export class TicketLedger implements TicketOwner<PartitionChannel> {
  /** Bytes of entries not yet released (queued, batched or in flight). */
  bytes = 0;
  /** Entries not yet released. */
  events = 0;
  private readonly sink: Sink;
  private readonly signal: AbortSignal;
  private readonly observer: BatcherObserver;
  private readonly timers: Timers;
  private drainWaiter: (() => void) | undefined;
  private markGeneration = 1;
  private readonly touched: PartitionChannel[] = [];

  constructor(sink: Sink, signal: AbortSignal, observer: BatcherObserver, timers: Timers) {
    this.sink = sink;
    this.signal = signal;
    this.observer = observer;
    this.timers = timers;
  }

  /** Hot path: counts a new entry before it goes to its channel. */
  hold(entry: ChannelEntry): void {
    this.bytes += entry.bytes;
    this.events++;
    const channel = entry.channel;
    if (channel.mark !== this.markGeneration) {
      channel.mark = this.markGeneration;
      this.touched.push(channel);
    }
  }

  /** Ends an enqueue call: lets each channel that took entries act on them, then reports them. */
  kickTouched(): void {
    for (const channel of this.touched) channel.kick();
    this.flushTouched();
  }

  batchAcknowledged(
    channel: PartitionChannel,
    entries: readonly ChannelEntry[],
    batch: SinkBatch,
    ms: number,
  ): void {
    for (const entry of entries) {
      this.release(entry);
      entry.ticket.eventAcknowledged();
    }
    const observer = this.observer;
    if (observer.batchSent !== undefined) {
      observeSafely(() => observer.batchSent?.(channel.id, entries.length, batch.sizeInBytes, ms));
    }
    this.flushTouched();
    this.checkDrained();
  }

  entriesFailed(channel: PartitionChannel, entries: readonly ChannelEntry[], error: unknown): void {
    const code = error instanceof SinkError ? error.code : 'Unknown';
    const shuttingDown = this.signal.aborted;
    const reason = shuttingDown
      ? new GatewayError(
          'GW_ERR_SHUTTING_DOWN',
          'The gateway shut down before Event Hubs acknowledged the events.',
        )
      : sendFailure(error, code);
    let failed = 0;
    for (const entry of entries) if (entry.state !== EntryState.Done) failed++;
    const observer = this.observer;
    if (observer.sendFailed !== undefined && !shuttingDown && failed > 0) {
      observeSafely(() => observer.sendFailed?.(channel.id, code, failed));
    }
    for (const entry of entries) {
      if (entry.state === EntryState.Done) continue; // already withdrawn with another event of its ticket
      this.release(entry);
      entry.ticket.fail(reason);
    }
    this.flushTouched();
    this.checkDrained();
  }

  eventTooLarge(entry: ChannelEntry): void {
    const index = entry.ticket.entries.indexOf(entry);
    this.release(entry);
    entry.ticket.fail(
      new GatewayError('GW_ERR_EVENT_TOO_LARGE', `Event ${index} is larger than any batch the hub accepts.`, {
        extensions: { index, maxMessageSize: this.sink.maxMessageSize },
      }),
    );
    this.flushTouched();
    this.checkDrained();
  }

  // ---- TicketOwner ------------------------------------------------------------------------------

  withdrawEntries(ticket: PendingTicket<PartitionChannel>): void {
    for (const entry of ticket.entries) {
      // Slots past a synchronous failure during enqueue are still empty.
      if (entry === undefined) continue;
      if (entry.state === EntryState.Queued) this.release(entry);
      else if (entry.state === EntryState.Batched) {
        this.release(entry);
        entry.channel.markDirty();
      }
    }
    this.flushTouched();
    this.checkDrained();
  }

  /** Resolves once every entry is released, or after `deadlineMs` when given. */
  async whenDrained(deadlineMs: number | undefined): Promise<void> {
    if (this.events === 0) return;
    let timer: unknown;
    await new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
      if (deadlineMs !== undefined) timer = this.timers.setTimeout(resolve, deadlineMs);
    });
    this.drainWaiter = undefined;
    if (timer !== undefined) this.timers.clearTimeout(timer);
  }

  // ---- internals --------------------------------------------------------------------------------

  private release(entry: ChannelEntry): void {
    entry.state = EntryState.Done;
    const channel = entry.channel;
    channel.stats.bytes -= entry.bytes;
    channel.stats.events--;
    this.bytes -= entry.bytes;
    this.events--;
    const handover = channel.handover;
    if (handover !== null) handover.released(entry);
    if (channel.mark !== this.markGeneration) {
      channel.mark = this.markGeneration;
      this.touched.push(channel);
    }
  }

  /** Reports each touched partition's totals once, then starts a new marking round. */
  private flushTouched(): void {
    const observer = this.observer;
    if (observer.buffered !== undefined) {
      for (const channel of this.touched) {
        const { bytes, events } = channel.stats;
        observeSafely(() => observer.buffered?.(channel.id, bytes, events));
      }
    }
    this.touched.length = 0;
    this.markGeneration++;
  }

  private checkDrained(): void {
    if (this.events === 0 && this.drainWaiter !== undefined) this.drainWaiter();
  }
}

/** The answer a request gets when its batch failed: only transient failures are worth a retry. */
function sendFailure(error: unknown, code: string): GatewayError {
  const kind = error instanceof SinkError ? error.kind : 'permanent';
  if (kind === 'unauthorized' || kind === 'not-found')
    return new GatewayError(
      'GW_ERR_HUB_REFUSED',
      `Event Hubs refused the gateway (${code}); the operator must fix its configuration.`,
      { cause: error, extensions: { sinkCode: code } },
    );
  if (kind === 'too-large')
    return new GatewayError('GW_ERR_EVENT_TOO_LARGE', 'Event Hubs refused the batch as too large.', {
      cause: error,
      extensions: { sinkCode: code },
    });
  return new GatewayError('GW_ERR_SEND_FAILED', `Event Hubs did not accept the events (${code}).`, {
    cause: error,
    extensions: { sinkCode: code },
  });
}
