/**
 * The SDK batch a partition is filling, with the entries in it. An SDK batch cannot drop an
 * event, so an entry withdrawn from it marks it dirty: it must be rebuilt from its survivors
 * before it may be sent.
 */
import type { SinkBatch } from '../sink/types';
import { EntryState, type Entry } from './pending-ticket';

export enum Placement {
  /** In the batch now. */
  Added,
  /** The batch is full; the entry was not added. */
  Full,
  /** It did not fit into an empty batch: no batch will ever hold it. */
  TooLarge,
}

export class OpenBatch<C> {
  readonly batch: SinkBatch;
  readonly entries: Entry<C>[] = [];
  /** Enqueue time of its first entry (its linger counts from there). */
  firstAt = 0;
  full = false;
  /** Holds withdrawn entries: it must be rebuilt before it may be sent. */
  dirty = false;

  constructor(batch: SinkBatch) {
    this.batch = batch;
  }

  /** Hot path: tries to add one entry; a full answer also marks the batch full. */
  place(entry: Entry<C>, maxEvents: number): Placement {
    if (this.batch.tryAdd(entry.event)) {
      entry.state = EntryState.Batched;
      if (this.entries.push(entry) === 1) this.firstAt = entry.at;
      if (this.entries.length >= maxEvents) this.full = true;
      return Placement.Added;
    }
    if (this.batch.count === 0) return Placement.TooLarge;
    this.full = true;
    return Placement.Full;
  }

  /** The entries not withdrawn, in order. */
  batched(): Entry<C>[] {
    return this.entries.filter((e) => e.state === EntryState.Batched);
  }

  /** For a rebuild: the entries not withdrawn, queued again, in order. */
  survivors(): Entry<C>[] {
    const survivors = this.batched();
    for (const e of survivors) e.state = EntryState.Queued;
    return survivors;
  }
}
