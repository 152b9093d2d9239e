import { compilePatterns, matchesAny, patternProblem } from './patterns';

describe('patterns', () => {
  it('when a pattern ends in *, then it matches by prefix; otherwise exactly; * alone matches anything', () => {
    const fleet = compilePatterns(['plant-a/*', 'sensor-17']);
    expect(matchesAny(fleet, 'plant-a/line-1')).toBe(true);
    expect(matchesAny(fleet, 'plant-a/')).toBe(false); // an empty last segment is no sensor id
    expect(matchesAny(fleet, 'plant-a')).toBe(false);
    expect(matchesAny(fleet, 'plant-ab/x')).toBe(false);
    expect(matchesAny(fleet, 'sensor-17')).toBe(true);
    expect(matchesAny(fleet, 'sensor-170')).toBe(false);
    expect(matchesAny(compilePatterns(['*']), 'anything')).toBe(true);
    expect(matchesAny(compilePatterns([]), 'anything')).toBe(false);
  });

  it('when a * is not last, or the pattern is empty or has whitespace, then it is reported', () => {
    expect(patternProblem('a*b')).toMatch(/last/);
    expect(patternProblem('')).toMatch(/empty/);
    expect(patternProblem('a b')).toMatch(/whitespace/);
    expect(patternProblem('plant-a/*')).toBeUndefined();
  });

  it('when a name has a dot segment, a control character or non-ASCII, then no prefix grant covers it', () => {
    const fleet = compilePatterns(['plant-a/*']);
    expect(matchesAny(fleet, 'plant-a/s1')).toBe(true);
    expect(matchesAny(fleet, 'plant-a/line.1/s-2_x~y')).toBe(true);
    for (const name of [
      'plant-a/../plant-b/s1',
      'plant-a/./s1',
      'plant-a//s1',
      'plant-a/s1/',
      'plant-a/s\u00001',
      'plant-a/s\n1',
      'plant-a/caf\u00e9',
      'plant-a/cafe\u0301',
      'plant-a/s%2e%2e',
      `plant-a/${'x'.repeat(128)}`,
    ])
      expect([name, matchesAny(fleet, name)]).toEqual([name, false]);
    // `*` alone is "any name": what a name may look like is then the schema's business.
    expect(matchesAny(compilePatterns(['*']), 'plant-a/../x')).toBe(true);
  });

  it('when a pattern is outside the safe set, then the key file reports it', () => {
    for (const pattern of ['plant-a/../*', 'plant-a/.*', 'a//*', '/a', 'caf\u00e9', 'a\u0000b', '../x'])
      expect([pattern, patternProblem(pattern)]).toEqual([pattern, expect.stringMatching(/ASCII/)]);
    for (const pattern of ['*', 'telemetry', 'plant-a-*', 'plant-a/line.1/*', 'sensor-17'])
      expect([pattern, patternProblem(pattern)]).toEqual([pattern, undefined]);
  });
});
