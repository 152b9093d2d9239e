import { DEFAULT_PREFERENCES, parsePreferences, preferenceApplied } from './preferences';

describe('parsePreferences', () => {
  it('when there is no header or only unknown preferences, then the defaults (the same object)', () => {
    expect(parsePreferences(undefined)).toBe(DEFAULT_PREFERENCES);
    expect(parsePreferences('wait=10, return=minimal')).toBe(DEFAULT_PREFERENCES);
    expect(parsePreferences('handling=strict')).toBe(DEFAULT_PREFERENCES);
  });

  it('when preferences are combined, in any case, quoted or with parameters, then each is read', () => {
    expect(parsePreferences('Respond-Async; wait=5, handling="lenient" ,DRY-RUN')).toEqual({
      respondAsync: true,
      lenient: true,
      dryRun: true,
    });
    expect(parsePreferences(['handling=lenient', 'dry-run'])).toEqual({
      respondAsync: false,
      lenient: true,
      dryRun: true,
    });
  });

  it('when handling is given twice, then the first counts (RFC 7240 §2)', () => {
    expect(parsePreferences('handling=strict, handling=lenient').lenient).toBe(false);
    expect(parsePreferences('handling=lenient, handling=strict').lenient).toBe(true);
  });

  it('when a parameter merely mentions a preference, then it is not one', () => {
    expect(parsePreferences('foo; respond-async')).toBe(DEFAULT_PREFERENCES);
  });
});

describe('preferenceApplied', () => {
  it('when preferences were honoured, then they are listed in a fixed order', () => {
    expect(preferenceApplied({ respondAsync: true, lenient: true, dryRun: false }, true)).toBe(
      'respond-async, handling=lenient',
    );
    expect(preferenceApplied({ respondAsync: true, lenient: false, dryRun: false }, false)).toBeUndefined();
  });
});
