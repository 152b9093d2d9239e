/**
 * Whether the hub answers, for the batcher's `ready`, and the periodic re-read of the partition ids.
 * They are one module because the re-read is also the reachability probe: after a failed read or a
 * failed send it runs sooner (backing off, never faster than every 100 ms), so readiness comes back
 * soon after the hub does, and otherwise every partitionRefreshMs. A single timer serves both, and
 * an earlier deadline replaces a later one. An acknowledged batch counts as an answer too.
 */
import { SinkError, type HubProblem, type Sink } from '../sink/types';
import { backoffDelay, type BackoffPolicy } from './backoff';
import type { PartitionDirectory } from './partition-directory';
import type { PartitionMap } from './partition-map';
import type { Timers } from './types';

/** What the monitor uses of the batcher; the batcher itself provides it. */
export interface HubMonitorHost {
  readonly sink: Sink;
  readonly retry: BackoffPolicy;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly signal: AbortSignal;
  /** Turns each read of the ids into the ids to route with (the workers of a cluster agree). */
  readonly partitionMap: PartitionMap;
  /** Registers background work that close() must wait for; `work` never rejects. */
  track(work: Promise<void>): void;
}

export class HubMonitor {
  private readonly host: HubMonitorHost;
  private readonly directory: PartitionDirectory;
  private readonly refreshMs: number;
  private hubOk = false;
  /** Why the last failed call to the hub failed (cleared by a success). */
  private lastProblem: HubProblem | undefined = undefined;
  private stopped = false;
  private refreshing = false;
  private refreshFailures = 0;
  private refreshTimer: unknown = undefined;
  private refreshAt = Number.POSITIVE_INFINITY;
  private readonly onRefreshTimer = (): void => {
    this.refreshTimer = undefined;
    this.refreshAt = Number.POSITIVE_INFINITY;
    this.host.track(this.refresh());
  };

  constructor(host: HubMonitorHost, directory: PartitionDirectory, refreshMs: number) {
    this.host = host;
    this.directory = directory;
    this.refreshMs = refreshMs;
  }

  /** The last call to the hub (send or metadata) succeeded. */
  get reachable(): boolean {
    return this.hubOk;
  }

  /** Clock reading of the hub's last answer (an acknowledged batch or a read of the ids). */
  answeredAt = Number.NEGATIVE_INFINITY;

  /** Why the hub is not reachable, when it is not. */
  get problem(): HubProblem | undefined {
    return this.hubOk ? undefined : (this.lastProblem ?? 'error');
  }

  /** The hub acknowledged a batch. */
  answered(): void {
    // A refusal (wrong key, no such hub) is not healed by one partition's success elsewhere.
    this.answeredAt = this.host.clock();
    if (this.lastProblem === 'unauthorized' || this.lastProblem === 'not-found') return;
    this.hubOk = true;
    this.lastProblem = undefined;
  }

  /**
   * A send failed (not by shutdown): probe again soon. Only a refusal makes the hub unreachable at
   * once; a transient failure is the partition's (its health says so) until the probe fails too.
   */
  failed(error: unknown): void {
    const problem = error instanceof SinkError ? error.problem : 'error';
    if (problem === 'unauthorized' || problem === 'not-found') {
      this.hubOk = false;
      this.lastProblem = problem;
    }
    if (!this.refreshing && !this.stopped)
      this.scheduleRefresh(Math.min(this.refreshMs, this.host.retry.maxDelayMs));
  }

  /** Shutdown: no more reads; one in progress is ignored when it returns. */
  stop(): void {
    this.stopped = true;
    if (this.refreshTimer !== undefined) this.host.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Reads the partition ids once and schedules the next read; never rejects. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    this.refreshing = true;
    try {
      const read = await this.host.sink.getPartitionIds(this.host.signal);
      if (read.length === 0) throw new SinkError('NoPartitions', true, 'The hub reported no partitions.');
      const ids = await this.host.partitionMap.agree(read);
      if (this.stopped) return;
      this.directory.apply(ids);
      this.answeredAt = this.host.clock();
      this.hubOk = true;
      this.lastProblem = undefined;
      this.refreshFailures = 0;
    } catch (error) {
      if (this.stopped) return;
      this.hubOk = false;
      this.lastProblem = error instanceof SinkError ? error.problem : 'error';
      this.refreshFailures++;
    } finally {
      this.refreshing = false;
      if (!this.stopped) this.scheduleRefresh(this.nextRefreshDelay());
    }
  }

  private nextRefreshDelay(): number {
    if (this.hubOk && this.directory.known) return this.refreshMs;
    // Probe sooner while the hub is unreachable, so readiness comes back soon after the hub does;
    // never faster than every 100 ms, even with a zero retry delay.
    const backoff = backoffDelay(Math.max(0, this.refreshFailures - 1), this.host.retry);
    return Math.min(this.refreshMs, Math.max(100, backoff));
  }

  private scheduleRefresh(delay: number): void {
    const at = this.host.clock() + delay;
    if (this.refreshTimer !== undefined) {
      if (this.refreshAt <= at) return;
      this.host.timers.clearTimeout(this.refreshTimer);
    }
    this.refreshAt = at;
    this.refreshTimer = this.host.timers.setTimeout(this.onRefreshTimer, delay);
  }
}
