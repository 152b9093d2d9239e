/**
 * The partitions the batcher knows: the hub's partition ids, one channel per id, and the lookup from
 * an event's partition key to its channel (the Event Hubs hash over the ids; each key's hash is
 * cached, since devices send the same keys over and over, and stays valid whatever the count).
 * Bookkeeping only, no I/O: hub-monitor.ts reads the ids from the hub and hands them to apply().
 * Channels are never removed, so a channel keeps its entries and stats if its id disappears from
 * one read and comes back in the next.
 *
 * When the ids change while channels hold readings, the keys that move wait behind a handover
 * (partition-handover.ts) per old partition that held readings, so a sensor's readings never
 * reach its new partition before its old partition has answered for what it held. A further
 * change that arrives meanwhile is applied once every handover has finished.
 */
import { hashPartitionKey } from '../partitioning/partition-key';
import { PartitionChannel, type ChannelHost } from './partition-channel';
import { PartitionHandover } from './partition-handover';
import type { ChannelEntry } from './partition-channel';
import type { PartitionStats } from './types';

/** Keys seen recently → |hash|; cleared when full. */
const KEY_CACHE_LIMIT = 65_536;

/** What the directory reports about changes of the partition map (for logs and metrics). */
export interface DirectoryListener {
  /** The ids to route with changed; `handovers` old partitions hold readings of keys that move. */
  mapChanged?(previous: readonly string[], next: readonly string[], handovers: number): void;
  /** An old partition answered for what it held; `held` readings of moving keys waited for it. */
  handoverFinished?(partitionId: string, held: number, ms: number): void;
}

export class PartitionDirectory {
  /** Live totals per partition id seen, for BatcherStats. */
  readonly perPartition = new Map<string, PartitionStats>();
  private readonly host: ChannelHost;
  private readonly listener: DirectoryListener;
  private readonly channels = new Map<string, PartitionChannel>();
  private readonly keyHashes = new Map<string, number>();
  /** The channel of each current id, by index. */
  private routes: PartitionChannel[] | null = null;
  private ids: readonly string[] | null = null;
  /** While handovers run: the channels of the ids routed with before the change. */
  private previousRoutes: PartitionChannel[] | null = null;
  private handovers = 0;
  /** A read that arrived during handovers, applied when they finish. */
  private deferred: readonly string[] | null = null;
  private readonly handoverDone = (handover: PartitionHandover, held: number): void =>
    this.finishHandover(handover, held);

  constructor(host: ChannelHost, listener: DirectoryListener = {}) {
    this.host = host;
    this.listener = listener;
  }

  /** True once the hub's partition ids have been read. */
  get known(): boolean {
    return this.ids !== null;
  }

  /** Whether keys that moved with the last change of ids still wait for their old partitions. */
  get handingOver(): boolean {
    return this.handovers > 0;
  }

  /** Hot path: the channel for a key. Only call once `known`. */
  channelFor(key: string): PartitionChannel {
    const routes = this.routes!;
    return routes[this.keyHash(key) % routes.length]!;
  }

  /**
   * While handing over: the handover a key's readings must wait behind, when the key moved and
   * its old partition has not answered yet for what it held. Only call when `handingOver`.
   */
  handoverFor(key: string): PartitionHandover | undefined {
    const routes = this.routes!;
    const previous = this.previousRoutes!;
    const hash = this.keyHash(key);
    const from = previous[hash % previous.length]!;
    const handover = from.handover;
    if (handover === null || from === routes[hash % routes.length]) return undefined;
    return handover;
  }

  /** The channel of a partition id, if it was ever seen. */
  get(id: string): PartitionChannel | undefined {
    return this.channels.get(id);
  }

  /** Every channel, in the order its id was first seen. */
  all(): IterableIterator<PartitionChannel> {
    return this.channels.values();
  }

  /** Readings held by handovers, for shutdown. */
  heldEntries(): ChannelEntry[] {
    const held: ChannelEntry[] = [];
    if (this.handovers > 0)
      for (const channel of this.channels.values())
        if (channel.handover !== null) held.push(...channel.handover.pendingEntries());
    return held;
  }

  /** Takes a fresh read of the ids; new ids get a channel with a batch made ready ahead of use. */
  apply(ids: readonly string[]): void {
    if (this.handovers > 0) {
      this.deferred = sameIds(this.ids, ids) ? null : ids;
      return;
    }
    const current = this.ids;
    if (sameIds(current, ids)) return;
    const frozen = Object.freeze(ids.slice());
    const routes = frozen.map((id) => this.channelOf(id));
    const previousRoutes = this.routes;
    this.ids = frozen;
    this.routes = routes;
    if (current === null || previousRoutes === null) return;
    // Every old partition that holds readings hands its leaving keys over; an idle one has nothing
    // a moved key could overtake.
    const now = this.host.clock();
    for (const channel of new Set(previousRoutes)) {
      if (channel.stats.events === 0) continue;
      channel.handover = new PartitionHandover(channel, now, this.handoverDone);
      this.handovers++;
    }
    if (this.handovers > 0) this.previousRoutes = previousRoutes;
    this.listener.mapChanged?.(current, frozen, this.handovers);
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

  private channelOf(id: string): PartitionChannel {
    let channel = this.channels.get(id);
    if (channel === undefined) {
      channel = new PartitionChannel(id, this.host);
      this.channels.set(id, channel);
      this.perPartition.set(id, channel.stats);
      channel.prepare();
    }
    return channel;
  }

  private finishHandover(handover: PartitionHandover, held: number): void {
    handover.source.handover = null;
    this.listener.handoverFinished?.(handover.source.id, held, this.host.clock() - handover.since);
    if (--this.handovers > 0) return;
    this.previousRoutes = null;
    const deferred = this.deferred;
    this.deferred = null;
    if (deferred !== null) this.apply(deferred);
  }

  /** |hash| of the key (the partition index is this modulo the count, as the service computes it). */
  private keyHash(key: string): number {
    let hash = this.keyHashes.get(key);
    if (hash === undefined) {
      hash = Math.abs(hashPartitionKey(key));
      if (this.keyHashes.size >= KEY_CACHE_LIMIT) this.keyHashes.clear();
      this.keyHashes.set(key, hash);
    }
    return hash;
  }
}

function sameIds(a: readonly string[] | null, b: readonly string[]): boolean {
  return a !== null && a.length === b.length && a.every((id, i) => id === b[i]);
}
