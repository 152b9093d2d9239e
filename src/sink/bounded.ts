/**
 * Runs one SDK operation with a bound of `ms`: when the bound passes first, the operation is
 * aborted (so the SDK cleans up) and the caller gets a retryable SinkError with `timeoutCode` at
 * once, without waiting for the SDK to honour the abort (on a dead connection it may not, until its
 * own timeout). The caller's `outer` abort (shutdown) stays an abort, and it too is answered at
 * once: a shutdown must not wait for a blackholed connection to notice.
 *
 * Every send and link set-up runs through here, so the abort it hands the SDK is an
 * `AttemptSignal` (the SDK takes any AbortSignalLike: `aborted` plus add/remove of 'abort'
 * listeners), not an AbortController: node's EventTarget made a controller and the SDK's two
 * listeners on it the largest part of an attempt's own cost. For the same reason an `outer`
 * signal gets one listener for all its attempts, not one per attempt.
 */
import { toSinkError } from './translate-error';
import { SinkError } from './types';

type AbortListener = (this: AttemptSignal, event: { readonly type: 'abort' }) => unknown;

/** The abort signal of one attempt: an AbortSignalLike that costs an object and an array. */
export class AttemptSignal {
  aborted = false;
  private listeners: AbortListener[] = [];

  addEventListener(type: 'abort', listener: AbortListener): void {
    if (type === 'abort' && !this.aborted) this.listeners.push(listener);
  }

  removeEventListener(type: 'abort', listener: AbortListener): void {
    const at = this.listeners.indexOf(listener);
    if (type === 'abort' && at !== -1) this.listeners.splice(at, 1);
  }

  /** Marks the signal aborted and calls each listener once, in the order they were added. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) {
      try {
        listener.call(this, { type: 'abort' });
      } catch {
        // One listener's failure must not keep the others from cleaning up.
      }
    }
  }
}

/** The attempts running under each outer signal, aborted together by its one listener. */
const running = new WeakMap<AbortSignal, Set<AttemptSignal>>();

function follow(outer: AbortSignal, attempt: AttemptSignal): void {
  let attempts = running.get(outer);
  if (attempts === undefined) {
    const set = new Set<AttemptSignal>();
    attempts = set;
    running.set(outer, set);
    outer.addEventListener(
      'abort',
      () => {
        running.delete(outer);
        for (const each of set) each.abort();
      },
      { once: true },
    );
  }
  attempts.add(attempt);
}

export function bounded<T>(
  ms: number,
  outer: AbortSignal | undefined,
  timeoutCode: string,
  what: string,
  operation: (signal: AttemptSignal) => Promise<T>,
): Promise<T> {
  const signal = new AttemptSignal();
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      if (outer !== undefined) running.get(outer)?.delete(signal);
      return true;
    };
    const timer = setTimeout(() => {
      if (!finish()) return;
      signal.abort();
      reject(new SinkError(timeoutCode, true, `${what}: no answer from Event Hubs within ${ms} ms.`));
    }, ms);
    // A shutdown is answered at once (this listener runs before the SDK's, added by `operation`).
    const onShutdown = (): void => {
      if (!finish()) return;
      reject(new SinkError('AbortError', false, `${what}: abandoned, the gateway is shutting down.`));
    };
    if (outer?.aborted) {
      signal.abort();
      onShutdown();
      return;
    }
    if (outer !== undefined) {
      signal.addEventListener('abort', onShutdown);
      follow(outer, signal);
    }
    operation(signal).then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(toSinkError(error));
      },
    );
  });
}
