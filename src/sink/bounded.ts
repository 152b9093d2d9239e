/**
 * Runs one SDK operation with a bound of `ms`: when the bound passes first, the operation is
 * aborted (so the SDK cleans up) and the caller gets a retryable SinkError with `timeoutCode` at
 * once, without waiting for the SDK to honour the abort (on a dead connection it may not, until its
 * own timeout). The caller's `outer` abort (shutdown) stays an abort.
 */
import { toSinkError } from './translate-error';
import { SinkError } from './types';

export function bounded<T>(
  ms: number,
  outer: AbortSignal | undefined,
  timeoutCode: string,
  what: string,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      return true;
    };
    const timer = setTimeout(() => {
      if (!finish()) return;
      controller.abort();
      reject(new SinkError(timeoutCode, true, `${what}: no answer from Event Hubs within ${ms} ms.`));
    }, ms);
    const onAbort = (): void => controller.abort();
    if (outer?.aborted) controller.abort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    operation(controller.signal).then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(toSinkError(error));
      },
    );
  });
}
