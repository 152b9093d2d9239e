/**
 * How busy this process's event loop has been since a mark: the share of the time it spent running
 * callbacks rather than waiting for I/O (Node's event-loop utilisation). Near 1 means the loop is
 * saturated: requests are waiting to be read and parsed. The batcher lets a partial batch keep
 * filling while that lasts, and sends it as soon as the loop has had time to spare (see
 * PartitionChannel.holdUnderLoad). Machine-independent: no rate or size needs tuning.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Opaque point in time of a gauge. */
export type LoadMark = unknown;

export interface LoadGauge {
  mark(): LoadMark;
  /** True when the loop was busy for at least the threshold share of the time since `since`. */
  saturatedSince(since: LoadMark): boolean;
}

/** Share of the interval the loop must have been busy to count as saturated. */
const SATURATED_SHARE = 0.95;

export function eventLoopGauge(): LoadGauge {
  return {
    mark: () => performance.eventLoopUtilization(),
    saturatedSince(since: LoadMark): boolean {
      return performance.eventLoopUtilization(since as EventLoopUtilization).utilization >= SATURATED_SHARE;
    },
  };
}
