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

/**
 * Attempts in flight, in a doubly linked list threaded through the attempts themselves, and one
 * shared timer that ends those past their bound. Measured: a timer, a promise wrapper and a Set
 * entry per attempt kept enough short-lived objects alive across young-generation collections to
 * double what V8 promoted per request (issue 10's bench: ~250 → ~400 B, full collections every
 * 0.7 s instead of 2.7 s); a list entry costs two fields and no allocation.
 */
let first: Attempt | undefined;
let last: Attempt | undefined;
let ticker: NodeJS.Timeout | undefined;

/**
 * How often the shared timer looks: an attempt ends at most this much after its bound. The
 * bounds are a second and more in production (attempt-timeout.ts floors), so this is noise.
 */
export const BOUND_TICK_MS = 25;

/** Outer signals that have our one listener. */
const followed = new WeakSet<AbortSignal>();

class Attempt {
  prev: Attempt | undefined = undefined;
  next: Attempt | undefined = undefined;
  private done = false;

  constructor(
    readonly signal: AttemptSignal,
    readonly outer: AbortSignal | undefined,
    private readonly deadline: number,
    private readonly ms: number,
    private readonly timeoutCode: string,
    private readonly what: string,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  succeeded(value: unknown): void {
    if (this.finish()) this.resolve(value);
  }

  failed(error: unknown): void {
    if (this.finish()) this.reject(toSinkError(error));
  }

  /** Called by the shared timer: the bound passed before the operation answered. */
  expireIfDue(now: number): void {
    if (now < this.deadline || !this.finish()) return;
    this.signal.abort();
    this.reject(
      new SinkError(this.timeoutCode, true, `${this.what}: no answer from Event Hubs within ${this.ms} ms.`),
    );
  }

  /** The outer signal aborted (shutdown): answered at once, before the SDK's own listener runs. */
  abandon(): void {
    if (!this.finish()) return;
    this.signal.abort();
    this.reject(new SinkError('AbortError', false, `${this.what}: abandoned, the gateway is shutting down.`));
  }

  /** True the first time only; takes the attempt off the list. */
  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    unlink(this);
    return true;
  }
}

function link(attempt: Attempt): void {
  attempt.prev = last;
  if (last === undefined) first = attempt;
  else last.next = attempt;
  last = attempt;
  // Unref'd: an attempt is the SDK's work on a socket, which keeps the process alive on its own;
  // the bound must not hold an exit (or a test runner) once nothing else does.
  ticker ??= setInterval(tick, BOUND_TICK_MS).unref();
}

function unlink(attempt: Attempt): void {
  const { prev, next } = attempt;
  if (prev === undefined) first = next;
  else prev.next = next;
  if (next === undefined) last = prev;
  else next.prev = prev;
  attempt.prev = attempt.next = undefined;
}

function tick(): void {
  // Stopped by a tick that finds nothing in flight, not by the last attempt's end: under load the
  // list empties between sends, and a timer per gap would cost what a timer per attempt did.
  if (first === undefined && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
    return;
  }
  const now = performance.now();
  for (let attempt = first; attempt !== undefined;) {
    const next = attempt.next;
    attempt.expireIfDue(now);
    attempt = next;
  }
}

function abandonUnder(outer: AbortSignal): void {
  for (let attempt = first; attempt !== undefined;) {
    const next = attempt.next;
    if (attempt.outer === outer) attempt.abandon();
    attempt = next;
  }
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
    if (outer?.aborted) {
      signal.abort();
      reject(new SinkError('AbortError', false, `${what}: abandoned, the gateway is shutting down.`));
      return;
    }
    if (outer !== undefined && !followed.has(outer)) {
      followed.add(outer);
      outer.addEventListener('abort', () => abandonUnder(outer), { once: true });
    }
    const attempt = new Attempt(
      signal,
      outer,
      performance.now() + ms,
      ms,
      timeoutCode,
      what,
      resolve as (value: unknown) => void,
      reject,
    );
    link(attempt);
    operation(signal).then(
      (value) => attempt.succeeded(value),
      (error: unknown) => attempt.failed(error),
    );
  });
}
