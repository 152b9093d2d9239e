import { compileEventTime, timelinessOf } from './event-time';

const at = Date.parse('2026-01-01T12:00:00Z');
const rules = compileEventTime({
  pointer: '/meta/at',
  lateAfterSeconds: 60,
  late: 'flag',
  maxFutureSkewSeconds: 5,
  future: 'reject',
});
const judge = (stamp: unknown) => timelinessOf(rules, { meta: { at: stamp } }, at);

describe('timelinessOf', () => {
  it('when a reading is within the bounds, then on time with its lag', () => {
    expect(judge('2026-01-01T11:59:30Z')).toEqual({ kind: 'on-time', lagSeconds: 30 });
    expect(judge('2026-01-01T12:00:05Z')).toEqual({ kind: 'on-time', lagSeconds: -5 });
  });

  it('when a reading is past the watermark or ahead beyond the skew, then late or future', () => {
    expect(judge('2026-01-01T11:58:59.500Z')).toEqual({ kind: 'late', lagSeconds: 60.5 });
    expect(judge('2026-01-01T12:00:05.001Z')).toEqual({ kind: 'future', lagSeconds: -5.001 });
  });

  it('when the timestamp is missing or not a date, then unknown', () => {
    expect(judge(undefined)).toEqual({ kind: 'unknown' });
    expect(judge(1767268800000)).toEqual({ kind: 'unknown' });
    expect(judge('soon')).toEqual({ kind: 'unknown' });
  });
});

describe('compileEventTime', () => {
  it('when an action has no bound, then it throws naming both settings', () => {
    expect(() => compileEventTime({ pointer: '/t', future: 'dead-letter' })).toThrow(
      'eventTime.future is "dead-letter" but eventTime.maxFutureSkewSeconds is not set',
    );
  });

  it('when only a pointer is set, then nothing is late (the lag is still measured)', () => {
    const lagOnly = compileEventTime({ pointer: '/t' });
    expect(timelinessOf(lagOnly, { t: '2000-01-01T00:00:00Z' }, at).kind).toBe('on-time');
  });
});
