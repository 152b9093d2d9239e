/**
 * A partition handover: when the hub's partition count changes, the Event Hubs hash sends some
 * keys to another partition. A key's readings still queued or in flight on its old partition
 * would race its new readings on the new one, and per-sensor order would break silently. So for
 * each old partition that held readings when the map changed, a handover holds the readings of
 * the keys leaving it (in arrival order, already counted against the buffer) until every entry
 * the old partition held at that moment is released: acknowledged, failed or withdrawn. Then the
 * held readings go to their new partitions' FIFOs, in order, and the keys route there directly.
 *
 * The wait is bounded by what bounds the old partition: its requests' deadlines and the bounded
 * send attempts. Held readings are withdrawn like queued ones when their request gives up.
 * Counting is O(1) per released entry: entries pending at the change are those whose ordinal is
 * below the old channel's count of entries taken at that moment.
 */
import type { ChannelEntry, PartitionChannel } from './partition-channel';
import { EntryState } from './pending-ticket';

/** Ordinal of a held entry until a channel takes it: never counted by any handover's fence. */
const HELD_ORDINAL = Number.MAX_SAFE_INTEGER;

export class PartitionHandover {
  readonly source: PartitionChannel;
  /** Clock reading of the change, for the report when the handover finishes. */
  readonly since: number;
  /** Entries of `source` with an ordinal below this were pending when the map changed. */
  private readonly fence: number;
  /** How many of those are not released yet. */
  private left: number;
  private held: ChannelEntry[] = [];
  private finishing = false;
  private readonly onDone: (handover: PartitionHandover, held: number) => void;

  constructor(
    source: PartitionChannel,
    since: number,
    onDone: (handover: PartitionHandover, held: number) => void,
  ) {
    this.source = source;
    this.since = since;
    this.fence = source.taken;
    this.left = source.stats.events;
    this.onDone = onDone;
  }

  /** Whether the old partition still holds some of what it held at the change. */
  get pending(): boolean {
    return this.left > 0;
  }

  /** How many readings wait here now (withdrawn ones included until the handover finishes). */
  get heldCount(): number {
    return this.held.length;
  }

  /** A reading of a key leaving `source`; counted against its new channel, sent after the handover. */
  hold(entry: ChannelEntry): void {
    const target = entry.channel;
    target.stats.bytes += entry.bytes;
    target.stats.events++;
    entry.ordinal = HELD_ORDINAL;
    this.held.push(entry);
  }

  /** The ledger released an entry of `source`; the last one pending at the change ends the handover. */
  released(entry: ChannelEntry): void {
    if (entry.ordinal < this.fence && --this.left === 0 && !this.finishing) {
      this.finishing = true;
      // Not from inside the ledger's loop over a batch's entries: the release moves entries
      // between channels and kicks them. Until then new readings of leaving keys still queue here.
      queueMicrotask(() => this.finish());
    }
  }

  /** Held readings not yet released, for shutdown. */
  pendingEntries(): ChannelEntry[] {
    return this.held.filter((e) => e.state === EntryState.Queued);
  }

  private finish(): void {
    const held = this.held;
    this.held = [];
    let last: PartitionChannel | undefined;
    const targets = new Set<PartitionChannel>();
    for (const entry of held) {
      if (entry.state !== EntryState.Queued) continue; // withdrawn while it waited
      const target = entry.channel;
      target.takeCounted(entry);
      if (target !== last) targets.add((last = target));
    }
    this.onDone(this, held.length);
    for (const target of targets) target.kick();
  }
}
