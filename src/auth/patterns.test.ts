import { compilePatterns, matchesAny, patternProblem } from './patterns';

describe('patterns', () => {
  it('when a pattern ends in *, then it matches by prefix; otherwise exactly; * alone matches anything', () => {
    const fleet = compilePatterns(['plant-a/*', 'sensor-17']);
    expect(matchesAny(fleet, 'plant-a/line-1')).toBe(true);
    expect(matchesAny(fleet, 'plant-a/')).toBe(true);
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
});
