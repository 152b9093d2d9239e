/**
 * How long one send attempt, or one link set-up, may take before the link is presumed dead. The
 * SDK waits out its per-operation timeout (seconds) on a connection that died under a pending send,
 * and it never fails such a send early, so the adapter bounds each attempt itself. The bound follows
 * what the hub has recently shown: a multiple of the slowest of the last samples, never below a
 * floor (a busy machine pauses for hundreds of milliseconds) nor above the ceiling (the SDK's own
 * timeout). With no sample yet it is the ceiling, so the first link set-up on a slow hub is not cut
 * short. Pure; the clock is the caller's.
 */

export interface AttemptTimeoutPolicy {
  /** Never shorter than this. */
  readonly floorMs: number;
  /** Never longer than this (and the value used before any sample). */
  readonly ceilingMs: number;
  /** Timeout = multiplier × slowest recent sample (clamped). */
  readonly multiplier: number;
  /** How many recent samples count. */
  readonly window: number;
}

export class AttemptTimeout {
  private readonly policy: AttemptTimeoutPolicy;
  private readonly samples: number[] = [];
  private next = 0;

  constructor(policy: AttemptTimeoutPolicy) {
    if (!(policy.floorMs > 0)) throw new RangeError(`floorMs must be > 0, got ${policy.floorMs}`);
    if (!(policy.ceilingMs >= policy.floorMs))
      throw new RangeError(`ceilingMs must be >= floorMs (${policy.floorMs}), got ${policy.ceilingMs}`);
    if (!(policy.multiplier >= 1)) throw new RangeError(`multiplier must be >= 1, got ${policy.multiplier}`);
    if (!Number.isInteger(policy.window) || policy.window < 1)
      throw new RangeError(`window must be a positive integer, got ${policy.window}`);
    this.policy = policy;
  }

  /** A completed operation took `ms`. */
  observe(ms: number): void {
    if (!(ms >= 0)) return;
    if (this.samples.length < this.policy.window) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.policy.window;
  }

  /** The bound for the next attempt. */
  currentMs(): number {
    const { floorMs, ceilingMs, multiplier } = this.policy;
    if (this.samples.length === 0) return ceilingMs;
    let slowest = 0;
    for (const sample of this.samples) if (sample > slowest) slowest = sample;
    return Math.min(ceilingMs, Math.max(floorMs, Math.ceil(slowest * multiplier)));
  }
}
