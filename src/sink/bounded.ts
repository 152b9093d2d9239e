/**
 * Runs one SDK operation under an abort signal that fires after `ms` or when `outer` aborts,
 * and tells the two apart: our own timer firing becomes a retryable SinkError with `timeoutCode`
 * (the link is presumed dead), while the caller's abort stays an abort. The SDK honours the signal
 * at once, so a send stuck on a dead connection is given up in `ms`, not in its own timeout.
 */
import { toSinkError } from './translate-error';
import { SinkError } from './types';

export async function bounded<T>(
  ms: number,
  outer: AbortSignal | undefined,
  timeoutCode: string,
  what: string,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  const onAbort = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  try {
    return await operation(controller.signal);
  } catch (error) {
    if (timedOut && !(outer?.aborted ?? false))
      throw new SinkError(timeoutCode, true, `${what}: no answer from Event Hubs within ${ms} ms.`, {
        cause: error,
      });
    throw toSinkError(error);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
