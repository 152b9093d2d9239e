/**
 * Budgets that count readings, not requests: a request pays one hit on arrival (before its body is
 * read, so a spent budget refuses it for nothing), and once its readings are counted the rest are
 * charged in ONE store operation, whatever their number (one Redis round trip, not one per reading).
 *
 * `ChargeableStore` is express-rate-limit's Store plus that operation. `MemoryChargeStore` is the
 * in-process one (express-rate-limit's MemoryStore can only add one hit at a time); the Redis one is
 * in rate-limit-store.ts. Both count a fixed window per key, as the limiter in front of them does.
 */
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/** What a charge did: `added` false when the hits would have passed `limit` (nothing was added). */
export interface Charge {
  readonly added: boolean;
  /** Hits in the key's window after the charge (or as they stand, when it was refused). */
  readonly totalHits: number;
  readonly resetTime: Date;
}

export interface ChargeableStore extends Store {
  /**
   * Adds `hits` to `key` in one operation. With `limit`, only if the window's total stays within
   * it (all or nothing, atomically across every process sharing the store).
   */
  charge(key: string, hits: number, limit?: number): Charge | Promise<Charge>;
}

export function isChargeable(store: Store): store is ChargeableStore {
  return typeof (store as Partial<ChargeableStore>).charge === 'function';
}

interface Window {
  totalHits: number;
  resetTime: Date;
}

/** In-process fixed windows; expired keys are dropped a window after their last hit. */
export class MemoryChargeStore implements ChargeableStore {
  readonly localKeys = true;
  private windowMs = 60_000;
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private sweeper: NodeJS.Timeout | undefined;

  init(options: Options): void {
    this.windowMs = options.windowMs;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    // Keys not hit for a whole window are in `previous` at the next turn and are dropped with it.
    this.sweeper = setInterval(() => {
      this.previous = this.current;
      this.current = new Map();
    }, this.windowMs);
    this.sweeper.unref();
  }

  get(key: string): ClientRateLimitInfo | undefined {
    const window = this.current.get(key) ?? this.previous.get(key);
    return window === undefined || window.resetTime.getTime() <= Date.now() ? undefined : window;
  }

  increment(key: string): ClientRateLimitInfo {
    const window = this.windowOf(key);
    window.totalHits++;
    return window;
  }

  charge(key: string, hits: number, limit?: number): Charge {
    const window = this.windowOf(key);
    if (limit !== undefined && window.totalHits + hits > limit)
      return { added: false, totalHits: window.totalHits, resetTime: window.resetTime };
    window.totalHits += hits;
    return { added: true, totalHits: window.totalHits, resetTime: window.resetTime };
  }

  decrement(key: string): void {
    const window = this.current.get(key) ?? this.previous.get(key);
    if (window !== undefined && window.totalHits > 0) window.totalHits--;
  }

  resetKey(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  resetAll(): void {
    this.current.clear();
    this.previous.clear();
  }

  shutdown(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.resetAll();
  }

  /** The key's window, started afresh when the last one ended; kept in `current`. */
  private windowOf(key: string): Window {
    const now = Date.now();
    let window = this.current.get(key);
    if (window === undefined) {
      window = this.previous.get(key);
      if (window !== undefined) this.previous.delete(key);
      else window = { totalHits: 0, resetTime: new Date(now + this.windowMs) };
      this.current.set(key, window);
    }
    if (window.resetTime.getTime() <= now) {
      window.totalHits = 0;
      window.resetTime = new Date(now + this.windowMs);
    }
    return window;
  }
}
