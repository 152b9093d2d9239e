import { createReadiness } from './readiness';

function subject(overrides: { reachable?: boolean; bytes?: number } = {}) {
  const state = { reachable: overrides.reachable ?? true, bytes: overrides.bytes ?? 0 };
  const readiness = createReadiness({
    hubReachable: () => state.reachable,
    bufferedBytes: () => state.bytes,
    maxBufferedBytes: 1000,
  });
  return { state, readiness };
}

describe('createReadiness', () => {
  it('when starting, then not ready until marked serving', () => {
    const { readiness } = subject();
    expect(readiness.check()).toMatchObject({ ready: false, reason: 'starting' });
    readiness.markServing();
    expect(readiness.check()).toEqual({ ready: true });
  });

  it('when draining, then not ready for good, even if marked serving again', () => {
    const { readiness } = subject();
    readiness.markServing();
    readiness.markDraining();
    readiness.markServing();
    expect(readiness.check()).toMatchObject({ ready: false, reason: 'draining' });
    expect(readiness.state).toBe('draining');
  });

  it('when the hub is unreachable, then not ready until it answers again', () => {
    const { state, readiness } = subject({ reachable: false });
    readiness.markServing();
    expect(readiness.check()).toMatchObject({ ready: false, reason: 'hub-unreachable' });
    state.reachable = true;
    expect(readiness.check()).toEqual({ ready: true });
  });

  it('when the buffer crosses the high-water mark, then not ready until it falls below the low one', () => {
    const { state, readiness } = subject();
    readiness.markServing();
    const trace: boolean[] = [];
    for (const bytes of [0, 799, 800, 750, 701, 699, 790]) {
      state.bytes = bytes;
      trace.push(readiness.check().ready);
    }
    expect(trace).toEqual([true, true, false, false, false, true, true]);
  });

  it('when ratios contradict, then creation fails naming them', () => {
    const base = { hubReachable: () => true, bufferedBytes: () => 0, maxBufferedBytes: 10 };
    expect(() => createReadiness({ ...base, highWaterRatio: 1.5 })).toThrow(/highWaterRatio/);
    expect(() => createReadiness({ ...base, highWaterRatio: 0.5, lowWaterRatio: 0.6 })).toThrow(
      /lowWaterRatio/,
    );
  });
});
