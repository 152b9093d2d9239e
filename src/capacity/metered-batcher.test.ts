import type { BatcherObserver } from '../batching/types';
import { bothObservers } from './metered-batcher';

describe('bothObservers', () => {
  it('when both observers have a hook, then each hears every call with all its arguments, in order', () => {
    const calls: unknown[][] = [];
    const first: BatcherObserver = { batchSent: (...args) => void calls.push(['first', ...args]) };
    const second: BatcherObserver = { batchSent: (...args) => void calls.push(['second', ...args]) };
    bothObservers(first, second).batchSent?.('3', 10, 2048, 1.5);
    expect(calls).toEqual([
      ['first', '3', 10, 2048, 1.5],
      ['second', '3', 10, 2048, 1.5],
    ]);
  });

  it('when only one observer has a hook, then it alone hears the call, and hooks neither has stay absent', () => {
    const calls: unknown[][] = [];
    const first: BatcherObserver = { buffered: (...args) => void calls.push(['buffered', ...args]) };
    const second: BatcherObserver = { sendFailed: (...args) => void calls.push(['sendFailed', ...args]) };
    const both = bothObservers(first, second);
    both.buffered?.('1', 512, 4);
    both.sendFailed?.('2', 'ServerBusyError', 7);
    expect(calls).toEqual([
      ['buffered', '1', 512, 4, undefined],
      ['sendFailed', '2', 'ServerBusyError', 7, undefined],
    ]);
    expect('hubStateChanged' in both).toBe(false);
  });
});
