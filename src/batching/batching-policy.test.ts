import { deriveBatchingPolicy } from './batching-policy';

const input = (requestDeadlineMs: number, lingerUnderLoadMs = 500) => ({
  http: { requestDeadlineMs },
  batching: { lingerUnderLoadMs },
});

describe('deriveBatchingPolicy', () => {
  it('when the deadline is 5 s, then the queue delay is half of it and the SDK ceiling 5 s', () => {
    const policy = deriveBatchingPolicy(input(5000));
    expect(policy.maxQueueDelayMs).toBe(2500);
    expect(policy.sdkAttemptCeilingMs).toBe(5000);
    expect(policy.lingerUnderLoadMs).toBe(500);
  });

  it('when the deadline is short, then the SDK ceiling stays 5 s (slow link set-up) and the load linger is a quarter of it', () => {
    const policy = deriveBatchingPolicy(input(200));
    expect(policy.sdkAttemptCeilingMs).toBe(5000);
    expect(policy.maxQueueDelayMs).toBe(100);
    expect(policy.lingerUnderLoadMs).toBe(50);
  });

  it('when the deadline is long, then the SDK ceiling follows it', () => {
    expect(deriveBatchingPolicy(input(30_000)).sdkAttemptCeilingMs).toBe(30_000);
  });

  it('when the deadline is 1 ms, then the queue delay never reaches 0', () => {
    expect(deriveBatchingPolicy(input(1)).maxQueueDelayMs).toBe(1);
  });

  it('then a send attempt is bounded from 1 s and a link set-up from 2 s, by 5 × the slowest recent answer', () => {
    const policy = deriveBatchingPolicy(input(5000));
    expect([policy.sendAttemptFloorMs, policy.setupAttemptFloorMs, policy.attemptTimeoutMultiplier]).toEqual([
      1000, 2000, 5,
    ]);
  });
});
