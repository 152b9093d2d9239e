/**
 * Backoff for our own retry loop around `Sink.send`: exponential from `delayMs`, capped at
 * `maxDelayMs`, no jitter (each partition retries on its own schedule already, and a fixed
 * schedule keeps fake-timer tests exact). Pure.
 */

export interface BackoffPolicy {
  readonly maxRetries: number;
  readonly delayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  maxRetries: 3,
  delayMs: 100,
  maxDelayMs: 2000,
});

/** Delay before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, policy: BackoffPolicy): number {
  // 2 ** 31 already exceeds any sane cap; clamping the exponent keeps the result finite.
  return Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.min(retry, 31));
}

/** Validates and fills defaults; throws with the option's name on contradictions. */
export function resolveBackoff(options: Partial<BackoffPolicy> | undefined): BackoffPolicy {
  const policy: BackoffPolicy = {
    maxRetries: options?.maxRetries ?? DEFAULT_BACKOFF.maxRetries,
    delayMs: options?.delayMs ?? DEFAULT_BACKOFF.delayMs,
    maxDelayMs: options?.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
  };
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new RangeError(`retry.maxRetries must be an integer >= 0, got ${policy.maxRetries}`);
  }
  if (!(policy.delayMs >= 0)) throw new RangeError(`retry.delayMs must be >= 0, got ${policy.delayMs}`);
  if (!(policy.maxDelayMs >= policy.delayMs)) {
    throw new RangeError(
      `retry.maxDelayMs (${policy.maxDelayMs}) must be >= retry.delayMs (${policy.delayMs})`,
    );
  }
  return policy;
}
