/**
 * Fault injection and counters. The state (pending rejections, disposition delay, counts) lives
 * here; the connection-level actions are delegated to the AMQP server through `FaultHooks`, bound
 * once the server exists. The REST path should call `takeSendRejection()` and `count` too, so a
 * test's "reject the next N sends" applies to whichever path the gateway uses.
 */
import type { FaultControls, FaultCounters } from './types';

export interface FaultHooks {
  detachAllLinks(condition: string): void;
  dropConnections(): void;
  blackholeConnections(): void;
  addPartitions(hub: string | undefined, count: number): string[];
  stopListening(): Promise<void>;
  startListening(): Promise<void>;
}

export interface SendRejection {
  readonly condition: string;
  readonly description: string;
}

/** What one partition does with publications sent to `<hub>/Partitions/<id>`. */
export type PartitionFault =
  | { readonly kind: 'stall' }
  | { readonly kind: 'reject'; readonly rejection: SendRejection }
  | { readonly kind: 'delay'; readonly ms: number };

type CounterName = keyof FaultCounters;

const partitionKey = (hub: string | undefined, partitionId: string): string =>
  `${(hub ?? '*').toLowerCase()}/${partitionId}`;

export class FaultState implements FaultControls {
  #rejections: SendRejection[] = [];
  #delayMs = 0;
  #hooks: FaultHooks | undefined;
  readonly #partitionFaults = new Map<string, PartitionFault>();
  readonly #counters: Record<CounterName, number> = {
    transfers: 0,
    eventsStored: 0,
    rejected: 0,
    putTokens: 0,
    connections: 0,
  };

  bind(hooks: FaultHooks): void {
    this.#hooks = hooks;
  }

  get counters(): FaultCounters {
    return { ...this.#counters };
  }

  count(name: CounterName, by = 1): void {
    this.#counters[name] += by;
  }

  rejectNextSends(n: number, condition: string, description?: string): void {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`rejectNextSends: n must be a non-negative integer, got ${n}`);
    const text = description ?? `Injected fault: ${condition}`;
    this.#rejections = Array.from({ length: n }, () => ({ condition, description: text }));
  }

  /** The rejection to apply to the publication at hand, if one is pending (consumes it). */
  takeSendRejection(): SendRejection | undefined {
    return this.#rejections.shift();
  }

  delayDispositions(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delayDispositions: ms must be >= 0, got ${ms}`);
    this.#delayMs = ms;
  }

  get dispositionDelayMs(): number {
    return this.#delayMs;
  }

  stallPartition(partitionId: string, hub?: string): void {
    this.#partitionFaults.set(partitionKey(hub, partitionId), { kind: 'stall' });
  }

  rejectPartition(partitionId: string, condition: string, description?: string, hub?: string): void {
    const rejection = { condition, description: description ?? `Injected fault: ${condition}` };
    this.#partitionFaults.set(partitionKey(hub, partitionId), { kind: 'reject', rejection });
  }

  delayPartitionDispositions(partitionId: string, ms: number, hub?: string): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`delayPartitionDispositions: ms must be >= 0, got ${ms}`);
    const key = partitionKey(hub, partitionId);
    if (ms === 0) this.#partitionFaults.delete(key);
    else this.#partitionFaults.set(key, { kind: 'delay', ms });
  }

  clearPartitionFaults(): void {
    this.#partitionFaults.clear();
  }

  /** The fault set for this partition of this hub (or of any hub), if any. */
  partitionFault(hub: string, partitionId: string): PartitionFault | undefined {
    if (this.#partitionFaults.size === 0) return undefined;
    return (
      this.#partitionFaults.get(partitionKey(hub, partitionId)) ??
      this.#partitionFaults.get(partitionKey(undefined, partitionId))
    );
  }

  blackholeConnections(): void {
    this.#requireHooks().blackholeConnections();
  }

  addPartitions(count: number, hub?: string): string[] {
    return this.#requireHooks().addPartitions(hub, count);
  }

  detachAllLinks(condition = 'amqp:link:detach-forced'): void {
    this.#requireHooks().detachAllLinks(condition);
  }

  dropConnections(): void {
    this.#requireHooks().dropConnections();
  }

  stopListening(): Promise<void> {
    return this.#requireHooks().stopListening();
  }

  startListening(): Promise<void> {
    return this.#requireHooks().startListening();
  }

  #requireHooks(): FaultHooks {
    if (!this.#hooks) throw new Error('fault hooks are not bound: the emulator is not running');
    return this.#hooks;
  }
}
