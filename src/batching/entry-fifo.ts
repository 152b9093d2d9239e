/**
 * A partition's FIFO of entries waiting for room in its open batch. An array with a head index
 * (shift() would copy the array on every entry); withdrawn entries stay where they are and are
 * skipped, and the consumed front is dropped when the FIFO empties or when it is both long and
 * most of the array.
 */
import type { OpenBatch } from './open-batch';
import { EntryState, type Entry } from './pending-ticket';

/** Compacting a consumed front shorter than this is not worth a copy. */
const COMPACT_AFTER = 1024;

export class EntryFifo<C> {
  private queue: Entry<C>[] = [];
  private head = 0;

  /** Nothing is in it, not even withdrawn entries. */
  get empty(): boolean {
    return this.head === this.queue.length;
  }

  /** The entry at the front (perhaps withdrawn), for its enqueue time. */
  get first(): Entry<C> | undefined {
    return this.queue[this.head];
  }

  push(entry: Entry<C>): void {
    this.queue.push(entry);
  }

  /**
   * Moves queued entries into `open` in order until it is full. `place` returns false when the
   * entry did not fit: it stays at the front for the next batch.
   */
  fill(open: OpenBatch<C>, place: (open: OpenBatch<C>, entry: Entry<C>) => boolean): void {
    const queue = this.queue;
    let head = this.head;
    while (head < queue.length && !open.full) {
      const entry = queue[head]!;
      if (entry.state === EntryState.Queued && !place(open, entry)) break;
      head++;
    }
    this.head = head;
    this.compact();
  }

  /** Whether some entry still waits (not withdrawn). */
  hasQueued(): boolean {
    for (let i = this.head; i < this.queue.length; i++)
      if (this.queue[i]!.state === EntryState.Queued) return true;
    this.compact();
    return false;
  }

  /** The entries still waiting, in order. */
  queued(): Entry<C>[] {
    const queued: Entry<C>[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (e.state === EntryState.Queued) queued.push(e);
    }
    return queued;
  }

  /** Empties the FIFO, returning the entries that still waited. */
  takeQueued(): Entry<C>[] {
    const queued = this.queued();
    this.queue.length = 0;
    this.head = 0;
    return queued;
  }

  /** Puts entries back at the front, ahead of everything waiting (a rebuilt batch's survivors). */
  putBack(entries: Entry<C>[]): void {
    this.queue = entries.concat(this.queue.slice(this.head));
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > COMPACT_AFTER && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
