/**
 * Name patterns for API-key grants (sensors, event types, publishers). Deliberately tiny: a
 * pattern is either `*` (any name), a prefix ending in `*` (`plant-a/*` matches every name that
 * starts with `plant-a/`), or an exact name. No globbing in the middle, no regular expressions,
 * so an operator can read a key file and know exactly what it grants.
 */

export interface CompiledPatterns {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

/** Pre-sorts patterns once so the per-event check is a set lookup plus a few `startsWith`. */
export function compilePatterns(patterns: readonly string[]): CompiledPatterns {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let any = false;
  for (const pattern of patterns) {
    if (pattern === '*') any = true;
    else if (pattern.endsWith('*')) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  return Object.freeze({ any, exact, prefixes: Object.freeze(prefixes) });
}

export function matchesAny(compiled: CompiledPatterns, name: string): boolean {
  if (compiled.any || compiled.exact.has(name)) return true;
  for (const prefix of compiled.prefixes) if (name.startsWith(prefix)) return true;
  return false;
}

/** Why a pattern is unusable, or undefined; `*` is only allowed as the last character. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'is empty';
  if (pattern.length > 256) return 'is longer than 256 characters';
  const star = pattern.indexOf('*');
  if (star !== -1 && star !== pattern.length - 1) return "may contain '*' only as its last character";
  if (/\s/u.test(pattern)) return 'contains whitespace';
  return undefined;
}
