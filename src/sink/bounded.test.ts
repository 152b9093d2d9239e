import { AttemptSignal, bounded } from './bounded';
import { SinkError } from './types';

/** An operation that settles only when told to, or rejects when its signal aborts. */
function pending(): {
  operation: (signal: AttemptSignal) => Promise<string>;
  signals: AttemptSignal[];
  resolve: (value: string) => void;
} {
  const signals: AttemptSignal[] = [];
  let resolve: (value: string) => void = () => undefined;
  return {
    signals,
    resolve: (value) => resolve(value),
    operation: (signal) => {
      signals.push(signal);
      return new Promise<string>((ok, fail) => {
        resolve = ok;
        signal.addEventListener('abort', () => fail(new Error('aborted')));
      });
    },
  };
}

describe('bounded', () => {
  it('when the operation answers in time, then its value is returned and its signal never aborts', async () => {
    const op = pending();
    const result = bounded(1000, undefined, 'SendTimeout', 'Sending', op.operation);
    op.resolve('ok');
    await expect(result).resolves.toBe('ok');
    expect(op.signals[0]?.aborted).toBe(false);
  });

  it('when the bound passes first, then the caller gets a retryable SinkError at once and the SDK its abort', async () => {
    const signals: AttemptSignal[] = [];
    // An operation that ignores its abort, as the SDK may on a dead connection.
    const result = bounded(20, undefined, 'SendTimeout', 'Sending a batch', (signal) => {
      signals.push(signal);
      return new Promise<string>(() => undefined);
    });
    const error = (await result.catch((e: unknown) => e)) as SinkError;
    expect(error).toBeInstanceOf(SinkError);
    expect(error.code).toBe('SendTimeout');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('within 20 ms');
    expect(signals[0]?.aborted).toBe(true);
  });

  it('when attempts with different bounds are in flight, then each ends at its own bound, not another one', async () => {
    const never = (): Promise<string> => new Promise<string>(() => undefined);
    const started = performance.now();
    const short = bounded(30, undefined, 'SendTimeout', 'Sending', never).catch((e: unknown) => e);
    const long = bounded(400, undefined, 'SetupTimeout', 'Setting up', never).catch((e: unknown) => e);
    const shortError = (await short) as SinkError;
    const shortMs = performance.now() - started;
    expect(shortError.code).toBe('SendTimeout');
    expect(shortMs).toBeGreaterThanOrEqual(29);
    expect(shortMs).toBeLessThan(400);
    const longError = (await long) as SinkError;
    expect(longError.code).toBe('SetupTimeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(399);
  });

  it('when the outer signal aborts, then every attempt under it is aborted, through one listener on it', async () => {
    const outer = new AbortController();
    const added = jest.spyOn(outer.signal, 'addEventListener');
    const a = pending();
    const b = pending();
    const first = bounded(10_000, outer.signal, 'SendTimeout', 'Sending', a.operation);
    const second = bounded(10_000, outer.signal, 'SendTimeout', 'Sending', b.operation);
    expect(added).toHaveBeenCalledTimes(1);
    outer.abort();
    await expect(first).rejects.toBeInstanceOf(SinkError);
    await expect(second).rejects.toBeInstanceOf(SinkError);
    expect(a.signals[0]?.aborted).toBe(true);
    expect(b.signals[0]?.aborted).toBe(true);
  });

  it('when the outer signal was aborted before, then the attempt is refused at once and never started', async () => {
    const outer = new AbortController();
    outer.abort();
    let started = false;
    const error = (await bounded(1000, outer.signal, 'SendTimeout', 'Sending', () => {
      started = true;
      return Promise.resolve('late');
    }).catch((e: unknown) => e)) as SinkError;
    expect(error).toBeInstanceOf(SinkError);
    expect(error.code).toBe('AbortError');
    expect(error.retryable).toBe(false);
    expect(started).toBe(false);
  });

  it('when the outer signal aborts and the SDK ignores it (a blackholed connection), then the attempt ends at once', async () => {
    const outer = new AbortController();
    let seen: AttemptSignal | undefined;
    const result = bounded(10_000, outer.signal, 'SendTimeout', 'Sending', (signal) => {
      seen = signal;
      return new Promise<string>(() => undefined);
    });
    const at = performance.now();
    outer.abort();
    const error = (await result.catch((e: unknown) => e)) as SinkError;
    expect(error.code).toBe('AbortError');
    expect(performance.now() - at).toBeLessThan(1000);
    expect(seen?.aborted).toBe(true);
  });

  it('when an attempt finished, then a later outer abort leaves its signal alone', async () => {
    const outer = new AbortController();
    const op = pending();
    const result = bounded(1000, outer.signal, 'SendTimeout', 'Sending', op.operation);
    op.resolve('done');
    await result;
    outer.abort();
    expect(op.signals[0]?.aborted).toBe(false);
  });
});

describe('AttemptSignal', () => {
  it('calls each listener once, not the removed ones, and none added after the abort', () => {
    const signal = new AttemptSignal();
    const calls: string[] = [];
    const kept = (): void => void calls.push('kept');
    const removed = (): void => void calls.push('removed');
    signal.addEventListener('abort', kept);
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    signal.abort();
    signal.abort();
    signal.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['kept']);
    expect(signal.aborted).toBe(true);
  });

  it('when one listener throws, then the others still run', () => {
    const signal = new AttemptSignal();
    const calls: string[] = [];
    signal.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    signal.addEventListener('abort', () => void calls.push('second'));
    signal.abort();
    expect(calls).toEqual(['second']);
  });
});
