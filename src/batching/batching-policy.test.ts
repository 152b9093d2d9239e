import { deriveBatchingPolicy } from './batching-policy';

const MiB = 1024 * 1024;

const input = (requestDeadlineMs: number, lingerUnderLoadMs = 500, { maxBufferedBytes = 64 * MiB } = {}) => ({
  http: { requestDeadlineMs },
  batching: { lingerUnderLoadMs, maxBufferedBytes },
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

  it('when the load linger is set under a quarter of the deadline, then it is kept as set', () => {
    expect(deriveBatchingPolicy(input(5000, 100)).lingerUnderLoadMs).toBe(100);
    expect(deriveBatchingPolicy(input(5000, 0)).lingerUnderLoadMs).toBe(0);
  });

  it('then a send attempt is bounded from 1 s and a link set-up from 2 s, by 5 × the slowest recent answer', () => {
    const policy = deriveBatchingPolicy(input(5000));
    expect([policy.sendAttemptFloorMs, policy.setupAttemptFloorMs, policy.attemptTimeoutMultiplier]).toEqual([
      1000, 2000, 5,
    ]);
  });

  it('then health is re-evaluated four times a second', () => {
    expect(deriveBatchingPolicy(input(5000)).healthIntervalMs).toBe(250);
  });

  it('then the dead-letter hub buffers at most a quarter of MAX_BUFFERED_BYTES, and never nothing', () => {
    expect(
      deriveBatchingPolicy(input(5000, 500, { maxBufferedBytes: 64 * MiB })).deadLetterMaxBufferedBytes,
    ).toBe(16 * MiB);
    expect(deriveBatchingPolicy(input(5000, 500, { maxBufferedBytes: 3 })).deadLetterMaxBufferedBytes).toBe(
      1,
    );
  });

  it('then the policy cannot be changed after it is derived', () => {
    expect(Object.isFrozen(deriveBatchingPolicy(input(5000)))).toBe(true);
  });
});
