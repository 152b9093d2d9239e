/**
 * The batcher: the composition of its parts, and the owner of their lifecycle. An event goes from
 * enqueue() through admission (admission.ts: buffer cap and queue delay, all-or-nothing per
 * request) to its partition's channel (partition-directory.ts: key → partition over the hub's
 * ids), and its request's ticket is answered only when the hub acknowledged all its events
 * (ticket-ledger.ts). hub-monitor.ts re-reads the partition ids and tracks whether the hub answers.
 * start() learns the partitions, close() flushes, answers every ticket and closes the sink; one
 * AbortController stops every background operation, and every one of them is tracked so close()
 * waits for it. The batcher is also the channels' host: their sends and outcomes come through here.
 */
import { setMaxListeners } from 'node:events';
import { GatewayError } from '../errors';
import { SinkError, type Sink, type SinkBatch } from '../sink/types';
import { Admission } from './admission';
import { resolveBackoff, type BackoffPolicy } from './backoff';
import { HubMonitor } from './hub-monitor';
import { eventLoopGauge, type LoadGauge } from './loop-load';
import { observeSafely } from './observe-safely';
import { PartitionDirectory } from './partition-directory';
import type { PartitionHandover } from './partition-handover';
import { LOCAL_PARTITION_MAP, type PartitionMap } from './partition-map';
import type { ChannelEntry, ChannelHost, PartitionChannel } from './partition-channel';
import { EntryState, PendingTicket } from './pending-ticket';
import { sendWithRetry } from './send-with-retry';
import { TicketLedger } from './ticket-ledger';
import type {
  Batcher,
  BatcherObserver,
  BatcherOptions,
  BatcherStats,
  CloseOptions,
  HubHealth,
  OutgoingEvent,
  PartitionHealth,
  Ticket,
  Timers,
} from './types';

const MiB = 1024 * 1024;
/** With partitions failing, the hub counts as unreachable once nothing was answered for this long. */
const SERVED_WINDOW_MS = 1000;

const defaultTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function createBatcher(options: BatcherOptions): Batcher {
  return new FlushingBatcher(options);
}

function positive(name: string, value: number, allowZero = false): number {
  if (Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be ${allowZero ? '>= 0' : '> 0'}, got ${value}`);
  }
  return value;
}

class FlushingBatcher implements Batcher, ChannelHost {
  readonly sink: Sink;
  readonly lingerMs: number;
  readonly lingerUnderLoadMs: number;
  readonly load: LoadGauge;
  readonly maxEventsPerBatch: number;
  readonly retry: BackoffPolicy;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly signal: AbortSignal;
  readonly partitionMap: PartitionMap;

  private readonly controller = new AbortController();
  private readonly observer: BatcherObserver;
  private readonly directory: PartitionDirectory;
  private readonly monitor: HubMonitor;
  private readonly ledger: TicketLedger;
  private readonly admission: Admission;
  private closing = false;
  private readonly unsubscribePartitionMap: () => void;
  private readonly healthIntervalMs: number | undefined;
  private healthTimer: unknown = undefined;
  private lastHubState: HubHealth['state'] = 'ok';
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private active = 0;
  private idleWaiter: (() => void) | undefined;
  private readonly opDone = (): void => {
    if (--this.active === 0 && this.idleWaiter !== undefined) this.idleWaiter();
  };
  private readonly opCrashed = (error: unknown): void => {
    // A bug in an outcome handler; the tickets involved are answered by their deadlines.
    process.emitWarning(`batcher background operation failed: ${String(error)}`, 'BatcherWarning');
    this.opDone();
  };

  constructor(options: BatcherOptions) {
    this.sink = options.sink;
    this.lingerMs = positive('lingerMs', options.lingerMs ?? 1, true);
    this.lingerUnderLoadMs = positive('lingerUnderLoadMs', options.lingerUnderLoadMs ?? 0, true);
    this.load = options.load ?? eventLoopGauge();
    this.maxEventsPerBatch = positive(
      'maxEventsPerBatch',
      options.maxEventsPerBatch ?? Number.POSITIVE_INFINITY,
    );
    const maxBufferedBytes = positive('maxBufferedBytes', options.maxBufferedBytes ?? 64 * MiB);
    const maxQueueDelayMs = positive('maxQueueDelayMs', options.maxQueueDelayMs ?? 5000);
    const partitionRefreshMs = positive('partitionRefreshMs', options.partitionRefreshMs ?? 30_000);
    const retryAfterSeconds = positive(
      'bufferFullRetryAfterSeconds',
      options.bufferFullRetryAfterSeconds ?? 1,
    );
    this.retry = resolveBackoff(options.retry);
    this.healthIntervalMs =
      options.healthIntervalMs === undefined
        ? undefined
        : positive('healthIntervalMs', options.healthIntervalMs);
    this.observer = options.observer ?? {};
    this.clock = options.clock ?? (() => performance.now());
    this.timers = options.timers ?? defaultTimers;
    this.signal = this.controller.signal;
    // One listener per in-flight send and retry wait; many partitions would trip the default of 10.
    setMaxListeners(0, this.signal);

    const observer = this.observer;
    this.directory = new PartitionDirectory(this, {
      mapChanged: (previous, next, handovers) => {
        if (observer.partitionMapChanged !== undefined)
          observeSafely(() => observer.partitionMapChanged?.(previous, next, handovers));
      },
      handoverFinished: (partitionId, held, ms) => {
        if (observer.handoverFinished !== undefined)
          observeSafely(() => observer.handoverFinished?.(partitionId, held, ms));
      },
    });
    this.monitor = new HubMonitor(this, this.directory, partitionRefreshMs);
    this.partitionMap = options.partitionMap ?? LOCAL_PARTITION_MAP;
    // Ids agreed from another worker's read are routed with at once, not at the next own read.
    this.unsubscribePartitionMap = this.partitionMap.subscribe((ids) => {
      if (!this.closing && ids.length > 0) this.directory.apply(ids);
    });
    this.ledger = new TicketLedger(this.sink, this.signal, this.observer, this.timers);
    this.admission = new Admission(
      { maxBufferedBytes, maxQueueDelayMs, retryAfterSeconds },
      this.sink,
      this.clock,
      this.ledger,
    );
  }

  /** A snapshot of the totals; `perPartition` is live. */
  get stats(): BatcherStats {
    const ledger = this.ledger;
    return {
      bufferedBytes: ledger.bytes,
      bufferedEvents: ledger.events,
      perPartition: this.directory.perPartition,
    };
  }

  get ready(): boolean {
    if (!this.directory.known || this.closing) return false;
    const state = this.health().state;
    return state === 'ok' || state === 'degraded';
  }

  health(): HubHealth {
    const now = this.clock();
    const timeoutMs = this.sink.attemptTimeoutMs ?? Number.POSITIVE_INFINITY;
    const partitions: PartitionHealth[] = [];
    let unhealthy = 0;
    let firstReason: string | undefined;
    for (const channel of this.directory.all()) {
      const verdict = channel.health.verdict(now, timeoutMs, this.monitor.answeredAt);
      const oldest = channel.oldestWaitingAt();
      const oldestWaitingMs = oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, now - oldest);
      if (verdict.state === 'ok') partitions.push({ partitionId: channel.id, state: 'ok', oldestWaitingMs });
      else {
        unhealthy++;
        firstReason ??= verdict.reason;
        partitions.push({
          partitionId: channel.id,
          state: verdict.state,
          reason: verdict.reason,
          code: verdict.code,
          oldestWaitingMs,
        });
      }
    }
    const problem = this.monitor.problem;
    if (problem === 'unauthorized' || problem === 'not-found')
      return { state: 'refused', reason: problem, partitions };
    if (problem !== undefined || !this.directory.known)
      return { state: 'unreachable', reason: problem ?? 'starting', partitions };
    // Partitions cannot send and the hub has answered nothing for a while (no acknowledgement on
    // any partition, no probe): nothing is being served, whatever the last probe said.
    if (unhealthy > 0 && now - this.monitor.answeredAt > SERVED_WINDOW_MS)
      return { state: 'unreachable', reason: firstReason ?? 'error', partitions };
    if (unhealthy > 0) return { state: 'degraded', reason: firstReason ?? 'error', partitions };
    return { state: 'ok', partitions };
  }

  start(): Promise<void> {
    if (this.startPromise === undefined) {
      const first = this.monitor.refresh();
      this.track(first);
      this.startPromise = first;
      const interval = this.healthIntervalMs;
      // Health is judged from the first read of the ids on, so start-up is not reported as a change.
      if (interval !== undefined)
        void first.then(() => {
          if (!this.closing) {
            this.lastHubState = this.health().state;
            this.armHealthTimer(interval);
          }
        });
    }
    return this.startPromise;
  }

  enqueue(events: readonly OutgoingEvent[]): Ticket {
    if (this.closing) throw new GatewayError('GW_ERR_SHUTTING_DOWN', 'The gateway is shutting down.');
    const directory = this.directory;
    if (!directory.known) throw this.notReached();
    const count = events.length;
    const sizes = new Array<number>(count);
    const channels = new Array<PartitionChannel>(count);
    for (let i = 0; i < count; i++) channels[i] = directory.channelFor(events[i]!.partitionKey);
    // Only while keys that moved wait for their old partitions (after a change of partition count).
    let handovers: (PartitionHandover | undefined)[] | undefined;
    if (directory.handingOver) {
      handovers = new Array<PartitionHandover | undefined>(count);
      for (let i = 0; i < count; i++) handovers[i] = directory.handoverFor(events[i]!.partitionKey);
    }
    this.admission.admit(this.admission.measure(events, sizes), channels, handovers);

    const ledger = this.ledger;
    const ticket = new PendingTicket<PartitionChannel>(ledger, count);
    const at = this.clock();
    for (let i = 0; i < count; i++) {
      const event = events[i]!;
      const channel = channels[i]!;
      const entry: ChannelEntry = {
        event,
        ticket,
        channel,
        bytes: sizes[i]!,
        at,
        ordinal: 0,
        state: EntryState.Queued,
      };
      ticket.partitionIds[i] = channel.id;
      ticket.entries[i] = entry;
      ledger.hold(entry);
      const handover = handovers?.[i];
      if (handover === undefined) channel.add(entry);
      else handover.hold(entry);
      if (ticket.settled) break; // an event did not fit into an empty batch; the ticket was withdrawn
    }
    ledger.kickTouched();
    if (ticket.settled && count > 0) {
      // Only a synchronous too-large rejection settles a fresh ticket: report it as the throw.
      throw ticket.failure ?? new GatewayError('GW_ERR_INTERNAL', 'The events could not be buffered.');
    }
    return ticket;
  }

  placement(partitionKeys: readonly string[]): string[] {
    if (this.closing) throw new GatewayError('GW_ERR_SHUTTING_DOWN', 'The gateway is shutting down.');
    if (!this.directory.known) throw this.notReached();
    return partitionKeys.map((key) => this.directory.channelFor(key).id);
  }

  /** Why nothing is taken before the partition ids are known: a refusal is no reason to retry. */
  private notReached(): GatewayError {
    const problem = this.monitor.problem;
    if (problem === 'unauthorized' || problem === 'not-found')
      return new GatewayError(
        'GW_ERR_HUB_REFUSED',
        `Event Hubs refused the gateway (${problem}); the operator must fix its configuration.`,
      );
    return new GatewayError('GW_ERR_UNAVAILABLE', 'The event hub has not been reached yet.', {
      retryAfterSeconds: this.admission.retryAfterSeconds,
    });
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closePromise ??= this.shutdown(options.flush ?? true, options.deadlineMs);
    return this.closePromise;
  }

  // ---- ChannelHost ------------------------------------------------------------------------------

  send(batch: SinkBatch, partitionId: string, wanted: () => boolean): Promise<void> {
    const observer = this.observer;
    const health = this.directory.get(partitionId)?.health;
    return sendWithRetry(
      {
        sink: this.sink,
        policy: this.retry,
        timers: this.timers,
        signal: this.signal,
        onRetry: (error, retry) => {
          health?.attemptFailed(error, this.clock());
          if (observer.sendRetried !== undefined)
            observeSafely(() => observer.sendRetried?.(partitionId, error.code, retry));
        },
      },
      batch,
      wanted,
    );
  }

  track(work: Promise<void>): void {
    this.active++;
    void work.then(this.opDone, this.opCrashed);
  }

  batchAcknowledged(
    channel: PartitionChannel,
    entries: readonly ChannelEntry[],
    batch: SinkBatch,
    ms: number,
  ): void {
    this.monitor.answered();
    channel.health.acknowledged();
    this.ledger.batchAcknowledged(channel, entries, batch, ms);
  }

  entriesFailed(channel: PartitionChannel, entries: readonly ChannelEntry[], error: unknown): void {
    // A failure caused by our own shutdown, or a batch abandoned, says nothing new about the hub.
    const abandoned = error instanceof SinkError && error.code === 'Abandoned';
    if (!this.signal.aborted && !abandoned) {
      this.monitor.failed(error);
      channel.health.attemptFailed(error, this.clock());
    }
    channel.health.sendEnded();
    this.ledger.entriesFailed(channel, entries, error);
  }

  eventTooLarge(entry: ChannelEntry): void {
    this.ledger.eventTooLarge(entry);
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** Re-evaluates the hub's health and reports a change of state (one log line per change). */
  private armHealthTimer(ms: number): void {
    this.healthTimer = this.timers.setTimeout(() => {
      this.healthTimer = undefined;
      if (this.closing) return;
      const health = this.health();
      const previous = this.lastHubState;
      if (health.state !== previous) {
        this.lastHubState = health.state;
        const observer = this.observer;
        if (observer.hubStateChanged !== undefined)
          observeSafely(() => observer.hubStateChanged?.(health, previous));
      }
      this.armHealthTimer(ms);
    }, ms);
    (this.healthTimer as { unref?: () => void } | undefined)?.unref?.();
  }

  private async shutdown(flush: boolean, deadlineMs: number | undefined): Promise<void> {
    this.closing = true;
    this.monitor.stop();
    this.unsubscribePartitionMap();
    if (this.healthTimer !== undefined) this.timers.clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    if (flush) {
      for (const channel of this.directory.all()) channel.drainNow();
      await this.ledger.whenDrained(deadlineMs);
    }
    this.controller.abort();
    const reason = new GatewayError(
      'GW_ERR_SHUTTING_DOWN',
      'The gateway shut down before the events were sent.',
    );
    for (const channel of this.directory.all()) {
      channel.dispose();
      for (const entry of channel.pendingEntries()) entry.ticket.fail(reason);
    }
    for (const entry of this.directory.heldEntries()) entry.ticket.fail(reason);
    if (this.active > 0) await new Promise<void>((resolve) => (this.idleWaiter = resolve));
    this.idleWaiter = undefined;
    for (const channel of this.directory.all()) channel.dispose();
    await this.sink.close();
  }
}
