/**
 * The partitions the batcher knows: the hub's partition ids, one channel per id, and the lookup from
 * an event's partition key to its channel (the Event Hubs hash over the ids, cached per key, since
 * devices send the same keys over and over). Bookkeeping only, no I/O: hub-monitor.ts reads the ids
 * from the hub and hands them to apply(). Channels are never removed, so a channel keeps its
 * entries and stats if its id disappears from one read and comes back in the next.
 */
import { partitionIndexForKey } from '../partitioning/partition-key';
import { PartitionChannel, type ChannelHost } from './partition-channel';
import type { PartitionStats } from './types';

/** Keys seen recently → partition index; cleared when full or when the partition ids change. */
const KEY_CACHE_LIMIT = 65_536;

export class PartitionDirectory {
  /** Live totals per partition id seen, for BatcherStats. */
  readonly perPartition = new Map<string, PartitionStats>();
  private readonly host: ChannelHost;
  private readonly channels = new Map<string, PartitionChannel>();
  private readonly keyCache = new Map<string, number>();
  private ids: readonly string[] | null = null;

  constructor(host: ChannelHost) {
    this.host = host;
  }

  /** True once the hub's partition ids have been read. */
  get known(): boolean {
    return this.ids !== null;
  }

  /** Hot path: the channel for a key. Only call once `known`. */
  channelFor(key: string): PartitionChannel {
    const ids = this.ids!;
    const id = ids[this.partitionIndex(key, ids.length)]!;
    return this.channels.get(id)!;
  }

  /** The channel of a partition id, if it was ever seen. */
  get(id: string): PartitionChannel | undefined {
    return this.channels.get(id);
  }

  /** Every channel, in the order its id was first seen. */
  all(): IterableIterator<PartitionChannel> {
    return this.channels.values();
  }

  /** Takes a fresh read of the ids; new ids get a channel with a batch made ready ahead of use. */
  apply(ids: readonly string[]): void {
    const current = this.ids;
    if (current !== null && current.length === ids.length && current.every((id, i) => id === ids[i])) return;
    this.ids = Object.freeze(ids.slice());
    this.keyCache.clear();
    for (const id of ids) {
      if (this.channels.has(id)) continue;
      const channel = new PartitionChannel(id, this.host);
      this.channels.set(id, channel);
      this.perPartition.set(id, channel.stats);
      channel.prepare();
    }
  }

  /** Enqueue time of the oldest entry not yet acknowledged in any partition, +∞ when none. */
  oldestWaitingAt(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const channel of this.channels.values()) {
      const at = channel.oldestWaitingAt();
      if (at < oldest) oldest = at;
    }
    return oldest;
  }

  private partitionIndex(key: string, partitionCount: number): number {
    let index = this.keyCache.get(key);
    if (index === undefined) {
      index = partitionIndexForKey(key, partitionCount);
      if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
      this.keyCache.set(key, index);
    }
    return index;
  }
}
