/**
 * When a partition's open batch leaves, and the one-send-in-flight rule that keeps the partition
 * in order. A batch leaves when it is full, at once while draining for shutdown, or when its
 * linger time since its first event ran out; while the event loop is saturated a due batch keeps
 * filling (load-hold.ts) up to lingerUnderLoadMs from its first event, since at saturation fuller
 * batches mean fewer, larger publications. One timer asks again when the answer was "not yet";
 * an earlier deadline replaces a later one.
 */
import { LoadHold } from './load-hold';
import type { LoadGauge } from './loop-load';
import type { OpenBatch } from './open-batch';
import type { Timers } from './types';

export interface SchedulerHost {
  readonly lingerMs: number;
  /** While the event loop is saturated, a partial batch may wait this long (from its first event). */
  readonly lingerUnderLoadMs: number;
  readonly load: LoadGauge;
  readonly clock: () => number;
  readonly timers: Timers;
}

export class SendScheduler {
  /** Enqueue time of the first entry of the batch in flight; +∞ while none is. */
  inFlightSince = Number.POSITIVE_INFINITY;
  private draining = false;
  private readonly host: SchedulerHost;
  private readonly hold: LoadHold;
  private timer: unknown = undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.wake();
  };
  private readonly wake: () => void;

  /** `wake` is called when a batch that was not due yet may be now. */
  constructor(host: SchedulerHost, wake: () => void) {
    this.host = host;
    this.wake = wake;
    this.hold = new LoadHold(host.load, host.lingerUnderLoadMs);
  }

  /** A batch is in flight: the next one keeps filling but may not leave. */
  get sending(): boolean {
    return this.inFlightSince !== Number.POSITIVE_INFINITY;
  }

  /** Whether `open` (not empty, nothing in flight) leaves now; if not, a timer will ask again. */
  due<C>(open: OpenBatch<C>): boolean {
    if (open.full || this.draining) return true;
    const now = this.host.clock();
    const lingerEnd = open.firstAt + this.host.lingerMs;
    if (now < lingerEnd) this.wakeAt(lingerEnd);
    else if (this.hold.keepFilling(open.firstAt, now)) this.wakeAt(now + 1);
    else return true;
    return false;
  }

  /** The open batch left the filling slot (sent, or taken apart for a rebuild). */
  left(): void {
    this.hold.released();
    this.cancel();
  }

  sendStarted(firstAt: number): void {
    this.inFlightSince = firstAt;
  }

  sendEnded(): void {
    this.inFlightSince = Number.POSITIVE_INFINITY;
  }

  /** Shutdown flush: from now on partial batches leave at once. */
  drainNow(): void {
    this.draining = true;
  }

  dispose(): void {
    this.cancel();
  }

  private wakeAt(at: number): void {
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      this.host.timers.clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = this.host.timers.setTimeout(this.onTimer, Math.max(0, at - this.host.clock()));
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    this.host.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}
