/**
 * One partition's append-only log: sequence numbers from 0, offsets as byte positions, enqueued
 * time from the injected clock, and a retention bound (events and bytes) that drops the oldest
 * first. Lookups by sequence number are O(1); by offset and time, binary search.
 */
import { LoggedEvent } from './stored-event';

export interface AppendInput {
  readonly raw: Buffer;
  readonly partitionKey?: string;
  readonly publisher?: string;
}

export interface LogRetention {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

export class PartitionLog {
  readonly hub: string;
  readonly partitionId: string;
  readonly #retention: LogRetention;
  #events: LoggedEvent[] = [];
  #head = 0;
  #bytes = 0;
  #nextSequence = 0;
  #nextOffset = 0;
  #lastEnqueuedMs = 0;
  readonly #listeners = new Set<() => void>();

  constructor(hub: string, partitionId: string, retention: LogRetention) {
    this.hub = hub;
    this.partitionId = partitionId;
    this.#retention = retention;
  }

  get size(): number {
    return this.#events.length - this.#head;
  }

  get retainedBytes(): number {
    return this.#bytes;
  }

  /** The sequence number the next appended event gets. */
  get nextSequence(): number {
    return this.#nextSequence;
  }

  first(): LoggedEvent | undefined {
    return this.#events[this.#head];
  }

  last(): LoggedEvent | undefined {
    return this.size > 0 ? this.#events[this.#events.length - 1] : undefined;
  }

  snapshot(): LoggedEvent[] {
    return this.#events.slice(this.#head);
  }

  append(inputs: readonly AppendInput[], now: number): LoggedEvent[] {
    // Enqueued time never goes backwards, so time lookups can binary-search.
    const enqueuedMs = Math.max(now, this.#lastEnqueuedMs);
    this.#lastEnqueuedMs = enqueuedMs;
    const enqueuedTime = new Date(enqueuedMs);
    const appended = inputs.map((input) => {
      const event = new LoggedEvent({
        hub: this.hub,
        partitionId: this.partitionId,
        sequenceNumber: this.#nextSequence++,
        offsetValue: this.#nextOffset,
        enqueuedTime,
        ...(input.partitionKey === undefined ? {} : { partitionKey: input.partitionKey }),
        ...(input.publisher === undefined ? {} : { publisher: input.publisher }),
        raw: input.raw,
      });
      this.#nextOffset += input.raw.length;
      this.#bytes += input.raw.length;
      this.#events.push(event);
      return event;
    });
    this.#enforceRetention();
    for (const listener of [...this.#listeners]) listener();
    return appended;
  }

  clear(): void {
    this.#events = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #enforceRetention(): void {
    const { maxEvents, maxBytes } = this.#retention;
    while (this.size > 1 && (this.size > maxEvents || this.#bytes > maxBytes)) {
      const dropped = this.#events[this.#head];
      this.#events[this.#head] = undefined as unknown as LoggedEvent; // release it for GC
      this.#head++;
      this.#bytes -= dropped?.raw.length ?? 0;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The retained event with this sequence number or the first one after it (if it was dropped). */
  indexAtOrAfterSequence(sequence: number): number {
    const first = this.first();
    if (!first) return 0;
    return Math.max(0, sequence - first.sequenceNumber);
  }

  eventAt(index: number): LoggedEvent | undefined {
    return this.#events[this.#head + index];
  }

  /** First retained event matching `predicate` on a monotone key, or undefined. */
  #firstWhere(predicate: (event: LoggedEvent) => boolean): LoggedEvent | undefined {
    let lo = this.#head;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (predicate(this.#events[mid] as LoggedEvent)) hi = mid;
      else lo = mid + 1;
    }
    return this.#events[lo];
  }

  /** Sequence number of the first event whose offset is > (or >=) `offset`; nextSequence when none. */
  sequenceAfterOffset(offset: number, inclusive: boolean): number {
    const found = this.#firstWhere((e) => (inclusive ? e.offsetValue >= offset : e.offsetValue > offset));
    return found ? found.sequenceNumber : this.#nextSequence;
  }

  /** Sequence number of the first event enqueued after `timeMs` (or at it, when inclusive). */
  sequenceAfterTime(timeMs: number, inclusive: boolean): number {
    const found = this.#firstWhere((e) =>
      inclusive ? e.enqueuedTime.getTime() >= timeMs : e.enqueuedTime.getTime() > timeMs,
    );
    return found ? found.sequenceNumber : this.#nextSequence;
  }

  /** Called after every append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
