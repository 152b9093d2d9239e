/**
 * The current producer (one AMQP connection) and its replacement when it stops answering. Every
 * operation records which generation it ran on; when one times out and that generation has not
 * acknowledged anything since the operation began, the connection is presumed dead (reset without
 * the SDK noticing, or blackholed) and a fresh producer takes over for every later operation. An
 * acknowledgement on another partition in the meantime proves the connection alive: then only the
 * partition is slow, and its link is merely set up again. The old producer is closed in the
 * background; nothing waits for a close that a dead connection may never answer.
 */

export interface Generation<P> {
  readonly id: number;
  readonly producer: P;
  /** Partitions whose sender link was set up (an acknowledged set-up or send) on this producer. */
  readonly linked: Set<string>;
  /** Clock reading of the last acknowledged operation on this producer. */
  lastAnswerAt: number;
}

export interface ProducerKeeperOptions<P> {
  readonly create: () => P;
  readonly close: (producer: P) => Promise<void>;
  readonly clock: () => number;
  readonly onRecreated?: (reason: string) => void;
}

export class ProducerKeeper<P> {
  private generation: Generation<P>;
  private readonly options: ProducerKeeperOptions<P>;
  private closed = false;

  constructor(options: ProducerKeeperOptions<P>) {
    this.options = options;
    this.generation = this.fresh(1);
  }

  get current(): Generation<P> {
    return this.generation;
  }

  /** An operation on `generation` got its answer from the hub (a round trip, not a cached value). */
  answered(generation: Generation<P>, partitionId?: string): void {
    generation.lastAnswerAt = this.options.clock();
    if (partitionId !== undefined) generation.linked.add(partitionId);
  }

  /**
   * The partition's link is usable on `generation`. Not proof of a live connection: the SDK answers
   * a link set-up from its cache while it believes the link open, even on a silent connection.
   */
  linked(generation: Generation<P>, partitionId: string): void {
    generation.linked.add(partitionId);
  }

  /**
   * An operation started at `startedAt` on `generation` got no answer in time. Replaces the producer
   * unless the connection answered something since (or a newer producer already took over).
   */
  timedOut(
    generation: Generation<P>,
    startedAt: number,
    partitionId: string | undefined,
    reason: string,
  ): void {
    if (partitionId !== undefined) generation.linked.delete(partitionId);
    if (this.closed || generation !== this.generation || generation.lastAnswerAt >= startedAt) return;
    this.replace(reason);
  }

  /** A failure that leaves the connection unusable (the SDK saw it closed): replace it. */
  broken(generation: Generation<P>, reason: string): void {
    if (this.closed || generation !== this.generation) return;
    this.replace(reason);
  }

  /** Closes the current producer (waits for it) and stops replacing. */
  async close(): Promise<void> {
    this.closed = true;
    await this.options.close(this.generation.producer);
  }

  private replace(reason: string): void {
    const old = this.generation;
    this.generation = this.fresh(old.id + 1);
    this.options.close(old.producer).catch(() => undefined);
    this.options.onRecreated?.(reason);
  }

  private fresh(id: number): Generation<P> {
    return { id, producer: this.options.create(), linked: new Set(), lastAnswerAt: Number.NEGATIVE_INFINITY };
  }
}
