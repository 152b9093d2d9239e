/**
 * How busy this process's event loop has been: the share of time it spent running callbacks
 * rather than waiting for I/O (Node's event-loop utilisation). Near 1 means the loop is
 * saturated: requests are waiting to be read and parsed. The batcher lets a partial batch keep
 * filling while that lasts, and sends it as soon as the loop has had time to spare (see
 * PartitionChannel.holdUnderLoad). Machine-independent: no rate or size needs tuning.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Opaque point in time of a gauge. */
export type LoadMark = unknown;

export interface LoadGauge {
  mark(): LoadMark;
  /** The loop was busy for at least the threshold share of the time since `since`. */
  saturatedSince(since: LoadMark): boolean;
  /** The same over the last 10 to 20 ms (longer when nobody asked for a while). */
  saturatedRecently(): boolean;
}

/** Share of the interval the loop must have been busy to count as saturated. */
const SATURATED_SHARE = 0.95;
/**
 * Shortest window of saturatedRecently: a batch's own first millisecond or two is too short a
 * sample (one gap between two reads would decide it).
 */
const RECENT_WINDOW_MS = 10;

function elapsedMs(from: EventLoopUtilization, to: EventLoopUtilization): number {
  return to.idle + to.active - (from.idle + from.active);
}

export function eventLoopGauge(): LoadGauge {
  let older = performance.eventLoopUtilization();
  let newer = older;
  const saturatedSince = (since: LoadMark): boolean =>
    performance.eventLoopUtilization(since as EventLoopUtilization).utilization >= SATURATED_SHARE;
  return {
    mark: () => performance.eventLoopUtilization(),
    saturatedSince,
    saturatedRecently(): boolean {
      const now = performance.eventLoopUtilization();
      if (elapsedMs(newer, now) >= RECENT_WINDOW_MS) {
        older = newer;
        newer = now;
      }
      return saturatedSince(older);
    },
  };
}
