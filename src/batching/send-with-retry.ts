/**
 * Our retry loop around `Sink.send`. The SDK's own retries are configured away (its default is a
 * fixed 30 s delay); here transient failures back off exponentially with a cap, non-retryable ones
 * fail at once, and an abort (shutdown) ends the wait immediately.
 */
import { SinkError, type Sink, type SinkBatch } from '../sink/types';
import { backoffDelay, type BackoffPolicy } from './backoff';
import type { Timers } from './types';

export interface RetryContext {
  readonly sink: Sink;
  readonly policy: BackoffPolicy;
  readonly timers: Timers;
  readonly signal: AbortSignal;
  /** Called before each retry, for metrics. */
  readonly onRetry?: (error: SinkError, retry: number) => void;
}

/**
 * Sends `batch`, retrying transient failures while `wanted()` says some request still waits for
 * it: a retry nobody waits for would only keep the partition busy (and its queue delay growing).
 */
export async function sendWithRetry(
  context: RetryContext,
  batch: SinkBatch,
  wanted: () => boolean,
): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      await context.sink.send(batch, context.signal);
      return;
    } catch (error) {
      const retryable = error instanceof SinkError && error.retryable && error.kind === 'transient';
      if (!retryable || retry >= context.policy.maxRetries || context.signal.aborted) throw error;
      if (!wanted())
        throw new SinkError('Abandoned', false, 'No request waits for this batch any more.', {
          cause: error,
        });
      context.onRetry?.(error, retry + 1);
      await pause(backoffDelay(retry, context.policy), context);
      if (context.signal.aborted) throw error;
      if (!wanted())
        throw new SinkError('Abandoned', false, 'No request waits for this batch any more.', {
          cause: error,
        });
    }
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, context: RetryContext): Promise<void> {
  return new Promise<void>((resolve) => {
    const onAbort = (): void => {
      context.timers.clearTimeout(handle);
      resolve();
    };
    const handle = context.timers.setTimeout(() => {
      context.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    context.signal.addEventListener('abort', onAbort, { once: true });
  });
}
