/**
 * The in-process store of the events budget: fixed windows per key, several hits in one charge,
 * all or nothing against a limit, and a fresh window once the last one ended.
 */
import type { Options } from 'express-rate-limit';
import { MemoryChargeStore } from './rate-limit-charge';

function storeWith(windowMs: number): MemoryChargeStore {
  const store = new MemoryChargeStore();
  store.init({ windowMs } as Options);
  return store;
}

describe('MemoryChargeStore', () => {
  afterEach(() => jest.useRealTimers());

  it('when a charge fits the limit, then it is added whole; when it does not, then nothing is added', () => {
    const store = storeWith(60_000);
    expect(store.increment('k').totalHits).toBe(1);
    expect(store.charge('k', 6, 10)).toMatchObject({ added: true, totalHits: 7 });
    expect(store.charge('k', 4, 10)).toMatchObject({ added: false, totalHits: 7 });
    expect(store.charge('k', 3, 10)).toMatchObject({ added: true, totalHits: 10 });
    // Without a limit (a refused body's scanned readings) it always adds.
    expect(store.charge('k', 5)).toMatchObject({ added: true, totalHits: 15 });
    expect(store.charge('other', 2, 10)).toMatchObject({ added: true, totalHits: 2 });
    store.shutdown();
  });

  it('when the window ends, then the key starts a fresh one with its own reset time', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = storeWith(1000);
    const first = store.charge('k', 3, 3);
    expect(first).toMatchObject({ added: true, totalHits: 3 });
    expect(first.resetTime.getTime()).toBe(1_001_000);
    expect(store.increment('k').totalHits).toBe(4);
    jest.advanceTimersByTime(1000);
    const next = store.charge('k', 2, 3);
    expect(next).toMatchObject({ added: true, totalHits: 2 });
    expect(next.resetTime.getTime()).toBe(1_002_000);
    // A window that ended reads as none.
    jest.advanceTimersByTime(2000);
    expect(store.get('k')).toBeUndefined();
    store.shutdown();
  });
});
