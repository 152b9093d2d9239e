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
  stopListening(): Promise<void>;
  startListening(): Promise<void>;
}

export interface SendRejection {
  readonly condition: string;
  readonly description: string;
}

type CounterName = keyof FaultCounters;

export class FaultState implements FaultControls {
  #rejections: SendRejection[] = [];
  #delayMs = 0;
  #hooks: FaultHooks | undefined;
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
