/**
 * One partition channel's rule for a partial batch that is due by its linger while the event loop
 * is saturated (loop-load.ts): keep filling, because requests are waiting to be parsed and their
 * events would only miss it. The first look asks about the last 10-20 ms; each later look about
 * the time since the previous one (a millisecond, or however long the loop took to get back to
 * its timers), so the batch leaves at the first look that finds the loop had time to spare, or
 * once `boundMs` has passed since its first event.
 *
 * A held batch that leaves without filling means every client's events were in already: holding
 * only stalled them (measured: 64 connections of 100-reading bodies fell from 1.0 to 0.8 cores).
 * Holding then pauses for PAUSE_MS; one such stall a second is cheap, and a saturated gateway
 * with more events in flight than a batch holds finds its batches filling again.
 */
import type { LoadGauge, LoadMark } from './loop-load';

const PAUSE_MS = 1000;

export class LoadHold {
  private readonly gauge: LoadGauge;
  private readonly boundMs: number;
  private pausedUntil = 0;
  private holding = false;
  private mark: LoadMark = undefined;

  /** `boundMs` 0: never hold. */
  constructor(gauge: LoadGauge, boundMs: number) {
    this.gauge = gauge;
    this.boundMs = boundMs;
  }

  /** The open batch (first event at `firstAt`) is due by its linger: true to let it keep filling. */
  keepFilling(firstAt: number, now: number): boolean {
    if (now < this.pausedUntil || now >= firstAt + this.boundMs) return this.stop(now);
    const gauge = this.gauge;
    if (!(this.holding ? gauge.saturatedSince(this.mark) : gauge.saturatedRecently())) return this.stop(now);
    this.mark = gauge.mark();
    this.holding = true;
    return true;
  }

  /** The batch left on its own (full, or draining): the next one starts afresh. */
  released(): void {
    this.holding = false;
  }

  private stop(now: number): false {
    if (this.holding) this.pausedUntil = now + PAUSE_MS;
    this.holding = false;
    return false;
  }
}
