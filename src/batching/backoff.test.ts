import { backoffDelay, resolveBackoff } from './backoff';

describe('backoff', () => {
  it('when retrying with the defaults, then delays double from 100 ms and stop at 2 s', () => {
    const policy = resolveBackoff(undefined);
    expect([0, 1, 2, 3, 4, 5, 60].map((retry) => backoffDelay(retry, policy))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000,
    ]);
    expect(policy.maxRetries).toBe(3);
  });

  it('when delayMs is 0, then every retry is immediate (0 stays 0)', () => {
    const policy = resolveBackoff({ delayMs: 0, maxDelayMs: 0, maxRetries: 0 });
    expect(backoffDelay(3, policy)).toBe(0);
    expect(policy.maxRetries).toBe(0);
  });

  it('when the options contradict each other, then the error names the option', () => {
    expect(() => resolveBackoff({ delayMs: 500, maxDelayMs: 100 })).toThrow(/retry\.maxDelayMs/);
    expect(() => resolveBackoff({ maxRetries: -1 })).toThrow(/retry\.maxRetries/);
    expect(() => resolveBackoff({ delayMs: Number.NaN })).toThrow(/retry\.delayMs/);
  });
});
