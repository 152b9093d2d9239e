import { parseOptions, UsageError } from './options';

describe('parseOptions', () => {
  it('when given no flags, then it uses the documented defaults', () => {
    const options = parseOptions([], {});
    expect(options).toMatchObject({
      warmupS: 5,
      durationS: 15,
      rounds: 3,
      connections: 64,
      saturationConnections: 256,
      soakS: 0,
      profile: false,
      targets: ['ceiling', 'typical', 'naive', 'gateway'],
      bodies: ['single', 'batch'],
    });
  });

  it('when --quick is given, then durations shrink but explicit flags still win', () => {
    const options = parseOptions(['--quick', '--duration=7'], {});
    expect(options).toMatchObject({ warmupS: 1, durationS: 7, pacedS: 3, rounds: 1, quick: true });
  });

  it('when --soak has no value, then it soaks for five minutes', () => {
    expect(parseOptions(['--soak'], {}).soakS).toBe(300);
    expect(parseOptions(['--soak=60'], {}).soakS).toBe(60);
  });

  it('when flags are wrong, then every problem is reported at once', () => {
    expect(() => parseOptions(['--targets', 'nope', '--connections', '-1', '--bogus'], {})).toThrow(
      UsageError,
    );
    try {
      parseOptions(['--targets', 'nope', '--connections', '-1', '--bogus'], {});
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('--targets');
      expect(message).toContain('--connections');
      expect(message).toContain('--bogus');
    }
  });

  it('when --against names a revision, then it is kept and the selectable targets are unchanged', () => {
    expect(parseOptions(['--against', 'v1.0'], {})).toMatchObject({
      against: 'v1.0',
      targets: ['ceiling', 'typical', 'naive', 'gateway'],
    });
    expect(parseOptions([], { BENCH_AGAINST: 'abc123' }).against).toBe('abc123');
    expect(parseOptions([], {}).against).toBeUndefined();
    expect(() => parseOptions(['--targets', 'previous'], {})).toThrow(UsageError);
  });

  it('when env sets BENCH_* and WORKERS, then they are the defaults', () => {
    const options = parseOptions([], { BENCH_DURATION_S: '30', BENCH_TARGETS: 'gateway', WORKERS: 'auto' });
    expect(options).toMatchObject({ durationS: 30, targets: ['gateway'], workers: 'auto' });
  });
});
